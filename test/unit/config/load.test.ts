// The loader in-process with an injected host: typed values out of the table, sources in uWSGI's
// order, first-definition placeholders, logic, and the show-config block.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { loadConfig } from '../../../src/config/load.js';
import type { ConfigHost } from '../../../src/config/loader.js';
import { isUwsgiError } from '../../../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'uwsgi-ts-load-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function host(env: Record<string, string> = {}): ConfigHost & { printed: string[]; logged: string[] } {
  const printed: string[] = [];
  const logged: string[] = [];
  return {
    env,
    cwd: dir,
    magic: {
      cwd: dir,
      hostname: 'box',
      cores: 4,
      uid: 0,
      user: 'root',
      gid: 0,
      group: 'root',
      startMicros: 0n,
      version: '0.1.0',
      binary: '/bin/uwsgi-ts',
    },
    log: (l) => logged.push(l),
    print: (t) => printed.push(t),
    hasPlugin: () => true,
    printed,
    logged,
  };
}

function write(name: string, text: string): string {
  const path = join(dir, name);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
  return path;
}

test('values are typed by their row: ints, flags, lists, defaults', () => {
  write(
    'typed.ini',
    '[uwsgi]\nprocesses = 4\nmaster\nvacuum = off\nenv = A=1\nenv = B=2\ncache2 = name=c,items=10\n',
  );
  const { config } = loadConfig(['typed.ini'], host());
  assert.equal(config.value('processes'), 4);
  assert.equal(config.value('master'), true);
  assert.equal(config.value('vacuum'), false);
  assert.deepEqual(
    config.all('env').map((o) => o.value),
    ['A=1', 'B=2'],
  );
  assert.equal(config.value('buffer-size'), 4096, 'default from the table');
  assert.equal(config.value('pidfile'), undefined);
  assert.deepEqual(config.all('cache2')[0]?.value, { name: 'c', items: '10' });
  assert.deepEqual(config.get('processes')?.origin, { kind: 'file', path: 'typed.ini', line: 2 });
});

test('environment first, then argv options, then positional files; aliases resolve', () => {
  write('order.ini', '[uwsgi]\nworkers = 3\n');
  const { config, loader } = loadConfig(['order.ini', '-p', '2'], host({ UWSGI_PROCESSES: '1' }));
  assert.deepEqual(
    loader.entries.map((e) => `${e.key}=${e.value}`),
    ['processes=1', 'processes=2', 'workers=3'],
  );
  assert.equal(config.value('processes'), 3, 'the last one wins, whatever name it was given by');
});

test('first definition wins for placeholders; set-ph values are never expanded themselves', () => {
  write(
    'ph.ini',
    '[uwsgi]\nset-ph = cnt=3\nset-ph = cnt=4\nchdir = /srv/%(cnt)\nset-ph = raw=%(cnt)\nenv = R=%(raw)\npidfile = %(raw)\n',
  );
  const { config, loader } = loadConfig(['ph.ini'], host());
  assert.equal(config.value('chdir'), '/srv/3');
  assert.equal(loader.firstValue('raw'), '%(cnt)');
  // uWSGI re-scans a substitution from index 1: inside a value it resolves again, at its start it does not
  assert.equal(config.all('env')[0]?.value, 'R=3');
  assert.equal(config.value('pidfile'), '%(cnt)');
});

test('for-glob marks directories, for-readline reads lines, print goes to the host', () => {
  write('g/a.conf', '');
  write('g/b.conf', '');
  mkdirSync(join(dir, 'g', 'sub'), { recursive: true });
  write('lines.txt', 'one\ntwo\n');
  write(
    'logic.ini',
    '[uwsgi]\nfor-glob = g/*\nprint = %(_)\nendfor\nfor-readline = lines.txt\nenv = L=%(_)\nend\n',
  );
  const h = host();
  const { config } = loadConfig(['logic.ini'], h);
  assert.deepEqual(h.printed, ['g/a.conf\n', 'g/b.conf\n', 'g/sub/\n']);
  assert.deepEqual(
    config.all('env').map((o) => o.value),
    ['L=one', 'L=two'],
  );
});

test('an include loop stops with ERR_CONFIG_INCLUDE_DEPTH instead of recursing forever', () => {
  write('loop.ini', '[uwsgi]\ninclude = loop.ini\n');
  assert.throws(
    () => loadConfig(['loop.ini'], host()),
    (err) => isUwsgiError(err) && err.code === 'ERR_CONFIG_INCLUDE_DEPTH',
  );
});

test('a self-referencing placeholder cannot loop forever', () => {
  write('self.ini', '[uwsgi]\na = x%(a)\nchdir = y%(a)\n');
  assert.throws(
    () => loadConfig(['self.ini'], host()),
    (err) => isUwsgiError(err) && err.code === 'ERR_CONFIG_READ' && /"a"/.test(err.message),
  );
});

test('declared options apply their template; show-config prints what was written', () => {
  write('decl.ini', '[uwsgi]\ndeclare-option = site=chdir=/srv/$1;env=SITE=$1\nsite = blog\n');
  const { config, loader } = loadConfig(['decl.ini'], host());
  assert.equal(config.value('chdir'), '/srv/blog');
  assert.equal(config.all('env')[0]?.value, 'SITE=blog');
  assert.equal(
    loader.showConfig(),
    '\n;uWSGI instance configuration\n[uwsgi]\ndeclare-option = site=chdir=/srv/$1;env=SITE=$1\nsite = blog\n;end of configuration\n\n',
  );
});
