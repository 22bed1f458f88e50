import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  djb33xHex,
  fileMagic,
  type MagicHost,
  magicTable,
  substituteMagic,
} from '../../../src/config/magic.js';

const host: MagicHost = {
  cwd: '/srv',
  hostname: 'box',
  cores: 8,
  uid: 1000,
  user: 'app',
  gid: 1001,
  group: 'apps',
  startMicros: 1795261138927277n,
  version: '0.1.0',
  binary: '/usr/bin/uwsgi-ts',
};

test('%j is djb33x of the path, bytes in little-endian order (recorded from uWSGI 2.0.21)', () => {
  assert.equal(djb33xHex('/tmp/uw/j.ini'), 'CBE5F1E2');
  assert.equal(djb33xHex('/tmp/uw/jl.ini'), 'C7E6E93C');
});

test('file magic: %d keeps a trailing slash, %0.. split it, a symlink keeps its own name', () => {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'magic-')));
  mkdirSync(join(dir, 'sub'));
  writeFileSync(join(dir, 'sub', 'app.ini'), '');
  symlinkSync(join(dir, 'sub', 'app.ini'), join(dir, 'sub', 'link.ini'));
  const vars = fileMagic('sub/app.ini', 'main', dir);
  assert.equal(vars.get('o'), 'sub/app.ini');
  assert.equal(vars.get('p'), join(dir, 'sub', 'app.ini'));
  assert.equal(vars.get('d'), `${join(dir, 'sub')}/`);
  assert.equal(vars.get('s'), 'app.ini');
  assert.equal(vars.get('n'), 'app');
  assert.equal(vars.get('e'), 'ini');
  assert.equal(vars.get('c'), 'sub');
  assert.equal(vars.get('x'), 'main');
  assert.equal(vars.get('0'), dir.split('/')[1]);
  assert.match(vars.get('i') ?? '', /^[1-9][0-9]*$/);
  assert.equal(fileMagic('sub/link.ini', '', dir).get('p'), join(dir, 'sub', 'link.ini'));
});

test('substitution: unknown letters vanish, %( survives, %% is a percent, a trailing % vanishes', () => {
  const table = magicTable(host, new Map([['n', 'app']]), new Map([['n', 'first']]));
  assert.equal(
    substituteMagic('%n-%N-%q-%%-%(x)-%k-%h-%u-%U-%g-%G-%t-%[-%', table),
    'app-first--%-%(x)-8-box-1000-app-1001-apps-1795261138-\x1b-',
  );
  assert.equal(substituteMagic('no magic here', table), 'no magic here');
});
