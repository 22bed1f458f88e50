// Start-up items: load-file-in-cache[-gzip] then add-cache-item (uWSGI's order), `[CACHE ]` prefix,
// the default cache, plain sets (a second item with the same key is refused and logged as uWSGI
// does), uWSGI's log lines, and the refusals (unknown cache, no `=`, unreadable file).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { planCaches } from '../../../src/cache/cache-plan.js';
import { planCachePreloads, runCachePreloads } from '../../../src/cache/cache-preload.js';
import { Caches } from '../../../src/cache/caches.js';
import { loadConfig } from '../../../src/config/load.js';
import type { ConfigHost } from '../../../src/config/loader.js';
import { isUwsgiError } from '../../../src/errors.js';
import { LayoutBuilder } from '../../../src/shared/layout.js';
import { SharedRegion } from '../../../src/shared/region.js';

const dir = mkdtempSync(join(tmpdir(), 'uwsgi-ts-cache-preload-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const file = join(dir, 'f1.txt');
writeFileSync(file, 'hello\n');

const host = (): ConfigHost => ({
  env: {},
  cwd: dir,
  magic: {
    cwd: dir,
    hostname: 'box',
    cores: 2,
    uid: 0,
    user: 'root',
    gid: 0,
    group: 'root',
    startMicros: 0n,
    version: '0.1.0',
    binary: '/bin/uwsgi-ts',
  },
  log: () => {},
  print: () => {},
  hasPlugin: () => true,
});

function setup(argv: string[]) {
  const { config } = loadConfig(argv, host());
  const builder = new LayoutBuilder();
  const plans = planCaches(config, builder);
  const layout = builder.build();
  const caches = new Caches(
    plans,
    new SharedRegion(new ArrayBuffer(layout.size), layout, undefined, undefined),
  );
  return { preloads: planCachePreloads(config, plans), caches };
}

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(isUwsgiError(err), String(err));
    return err.code;
  }
  assert.fail('accepted');
}

test('files, gzipped files, then items; prefixes name the cache; no prefix is the default cache', () => {
  const { preloads, caches } = setup([
    '--cache2',
    'name=a,items=5',
    '--cache2',
    'name=b,items=5',
    '--add-cache-item',
    'foo=bar',
    '--add-cache-item',
    'b x=y',
    '--add-cache-item',
    'k=v w',
    '--load-file-in-cache',
    file,
    '--load-file-in-cache',
    `b ${file}`,
    '--load-file-in-cache-gzip',
    `b ${file}`,
    '--add-cache-item',
    'a dup=1',
    '--add-cache-item',
    'a dup=2',
  ]);
  const lines = runCachePreloads(preloads, caches);
  assert.deepEqual(lines, [
    `[cache] stored "${file}" in "a"`,
    `[cache] stored "${file}" in "b"`,
    `[cache-error] unable to store "${file}" in "b"`,
    '[cache] stored "foo" in "a"',
    '[cache] stored "x" in "b"',
    '[cache] stored "k" in "a"',
    '[cache] stored "dup" in "a"',
    '[cache-error] unable to store "dup" in "a"',
  ]);
  const a = caches.get('a');
  const b = caches.get('b');
  assert.ok(a && b);
  assert.equal(a.getString(file), 'hello\n');
  assert.equal(a.getString('foo'), 'bar');
  assert.equal(a.getString('k'), 'v w', 'a space after the = is part of the value');
  assert.equal(a.getString('dup'), '1', 'a plain set: the first one stays');
  assert.equal(b.getString('x'), 'y');
  assert.equal(b.getString(file), 'hello\n', 'the gzip item replaced nothing: the first wins');
});

test('load-file-in-cache-gzip stores the gzipped file', () => {
  const { preloads, caches } = setup(['--cache2', 'name=a,items=2', '--load-file-in-cache-gzip', file]);
  assert.deepEqual(runCachePreloads(preloads, caches), [`[cache-gzip] stored "${file}" in "a"`]);
  assert.equal(gunzipSync(caches.get('a')?.get(file) ?? Buffer.alloc(0)).toString(), 'hello\n');
});

test('an item restored from a store is kept (preloads are plain sets)', () => {
  const { preloads, caches } = setup(['--cache2', 'name=a,items=2', '--add-cache-item', 'k=new']);
  caches.get('a')?.set('k', 'restored');
  assert.deepEqual(runCachePreloads(preloads, caches), ['[cache-error] unable to store "k" in "a"']);
  assert.equal(caches.get()?.getString('k'), 'restored');
});

test('refused: an unknown cache, no cache at all, no "=", an unreadable file', () => {
  assert.equal(
    code(() => setup(['--cache2', 'name=a,items=2', '--add-cache-item', 'nope k=v'])),
    'ERR_CACHE_UNKNOWN',
  );
  assert.equal(
    code(() => setup(['--add-cache-item', 'k=v'])),
    'ERR_CACHE_UNKNOWN',
  );
  assert.equal(
    code(() => setup(['--cache2', 'name=a,items=2', '--add-cache-item', 'novalue'])),
    'ERR_CACHE_PRELOAD',
  );
  const { preloads, caches } = setup([
    '--cache2',
    'name=a,items=2',
    '--load-file-in-cache',
    join(dir, 'missing'),
  ]);
  assert.equal(
    code(() => runCachePreloads(preloads, caches)),
    'ERR_CACHE_PRELOAD',
  );
});
