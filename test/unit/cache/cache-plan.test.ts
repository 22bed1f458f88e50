// Cache plans from real configs: every cache2 key and alias, the legacy cache, uWSGI's refusals
// (compared with the lines uWSGI 2.0.21 printed for the same options, fixture "startup"), the
// options uwsgi-ts refuses (UDP replication, duplicate names), the notes, the sweeper plan, the
// blocks reserved in the layout and the start-up line.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { cacheOffsets } from '../../../src/cache/cache-layout.js';
import { cacheInitializedLine } from '../../../src/cache/cache-messages.js';
import { planCacheSweeper, planCaches } from '../../../src/cache/cache-plan.js';
import { loadConfig } from '../../../src/config/load.js';
import type { ConfigHost } from '../../../src/config/loader.js';
import { isUwsgiError, type UwsgiError } from '../../../src/errors.js';
import { LayoutBuilder } from '../../../src/shared/layout.js';
import { recorded } from './cache-kit.js';

const dir = mkdtempSync(join(tmpdir(), 'uwsgi-ts-cache-plan-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function host(): ConfigHost {
  return {
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
  };
}

function plan(argv: string[]) {
  const layout = new LayoutBuilder();
  const { config } = loadConfig(argv, host());
  const plans = planCaches(config, layout);
  return { plans, layout: layout.build(), sweeper: planCacheSweeper(config, plans) };
}

function planIni(ini: string) {
  const path = join(dir, 'c.ini');
  writeFileSync(path, `[uwsgi]\n${ini}\n`);
  return plan([path]);
}

function refused(argv: string[]): UwsgiError {
  try {
    plan(argv);
  } catch (err) {
    assert.ok(isUwsgiError(err), String(err));
    return err;
  }
  assert.fail(`${argv.join(' ')} was accepted`);
}

test('defaults of cache2 (reference §7.1)', () => {
  const [c] = plan(['--cache2', 'name=mycache,items=100']).plans;
  assert.ok(c);
  assert.equal(c.name, 'mycache');
  assert.equal(c.items, 100);
  assert.equal(c.blocksize, 65536);
  assert.equal(c.blocks, 100);
  assert.equal(c.keysize, 2048);
  assert.equal(c.hashsize, 65536);
  assert.equal(c.hash, 'djb33x');
  assert.equal(c.bitmap, false);
  assert.equal(c.maxItemSize, 65536);
  assert.equal(c.sweep, true);
  assert.equal(c.store, null);
  assert.equal(c.mathInitial, 0);
  assert.deepEqual(c.notes, []);
});

test('every key and alias, in an ini file; the last alias wins', () => {
  const { plans } = planIni(
    [
      'cache2 = name=a,max_items=5,maxitems=7,blocksize=128,blocks=20,key_size=64,hash=murmur2,hash_size=17,bitmap=1,store=/tmp/a.store,storesync=4,lru=1,lazy=1,ignore_full=1,math_initial=-3,lastmod=1',
      'cache2 = name=b,items=3,keysize=9,hashsize=5,store_sync=2,purge_lru=1,lazy_expire=1,store_delete=1,sweep_on_full=1,clear_on_full=1,no_expire=1',
    ].join('\n'),
  );
  const [a, b] = plans;
  assert.ok(a && b);
  assert.deepEqual(
    [a.items, a.blocksize, a.blocks, a.keysize, a.hash, a.hashsize, a.bitmap, a.maxItemSize],
    [7, 128, 20, 64, 'murmur2', 17, true, 2560],
  );
  assert.deepEqual(
    [a.store, a.storeSync, a.purgeLru, a.lazyExpire, a.ignoreFull, a.mathInitial, a.lastmod, a.sweep],
    ['/tmp/a.store', 4, true, true, true, -3, true, false],
  );
  assert.equal(a.origin, `${join(dir, 'c.ini')}:2`);
  assert.deepEqual(
    [b.items, b.keysize, b.hashsize, b.storeSync, b.storeDelete, b.sweepOnFull, b.clearOnFull, b.sweep],
    [3, 9, 5, 2, true, true, true, false],
  );
  assert.equal(b.notes.length, 4, 'the four uWSGI 2.1 keys are noted');
});

test('booleans read as every boolean option: bitmap=0 is off (uWSGI 2.0.21 turns it on)', () => {
  const { plans } = plan(['--cache2', 'name=a,items=2,bitmap=0', '--cache2', 'name=b,items=2,bitmap=true']);
  assert.deepEqual(
    plans.map((p) => p.bitmap),
    [false, true],
  );
});

test('unknown keys are ignored, as uWSGI does, and noted', () => {
  const [c] = plan(['--cache2', 'name=x,items=10,foo=bar']).plans;
  assert.equal(c?.notes.length, 1);
  assert.match(c?.notes[0] ?? '', /"foo" is unknown/);
});

test('the legacy cache: "default", first, with cache-blocksize, cache-store and cache-store-sync', () => {
  const { plans } = plan([
    '--cache2',
    'name=b,items=5',
    '--cache',
    '10',
    '--cache-blocksize',
    '100',
    '--cache-store',
    '/tmp/legacy.store',
    '--cache-store-sync',
    '3',
    '--cache-use-last-modified',
  ]);
  assert.deepEqual(
    plans.map((p) => p.name),
    ['default', 'b'],
  );
  const [legacy, b] = plans;
  assert.deepEqual(
    [legacy?.items, legacy?.blocksize, legacy?.store, legacy?.storeSync],
    [10, 100, '/tmp/legacy.store', 3],
  );
  assert.equal(b?.store, null, 'cache-store is the legacy cache');
  assert.equal(b?.storeSync, 3, 'cache-store-sync is every cache default');
  assert.ok(legacy?.lastmod && b?.lastmod);
  assert.deepEqual(plan(['--cache', '0']).plans, []);
  assert.equal(plan(['--cache', '5', '--cache-blocksize', '0']).plans[0]?.blocksize, 65536);
});

test('uWSGI refusals, with uWSGI line in the message and the option origin', () => {
  for (const c of recorded.startup.filter((s) => s.failed)) {
    const err = refused(c.args);
    assert.equal(err.code, 'ERR_CACHE_CONFIG', c.case);
    assert.ok(err.message.includes(c.lines[0] ?? '?'), `${c.case}: ${err.message}`);
    assert.match(err.message, /command line --cache2/, c.case);
  }
});

test('what uWSGI accepts is planned: the same caches, in the same order', () => {
  for (const c of recorded.startup.filter((s) => !s.failed && s.case !== 'two caches named default')) {
    const names = c.lines.map((l) => /^\*\*\* Cache "([^"]+)"/.exec(l)?.[1]).filter((n) => n !== undefined);
    const { plans, sweeper } = plan(c.args);
    assert.deepEqual(
      plans.map((p) => p.name),
      names,
      c.case,
    );
    const uwsgiSweeps = c.lines.includes('cache sweeper thread enabled');
    // uWSGI runs the sweeper in the master: only with --master its line appears; purge_lru caches
    // are swept by uwsgi-ts (their expiries work), so that case differs on purpose
    if (c.args.includes('--master') && !c.case.includes('purge_lru'))
      assert.equal(sweeper !== undefined, uwsgiSweeps, c.case);
  }
});

test('uwsgi-ts refuses what would go wrong silently', () => {
  assert.equal(refused(['--cache', '5', '--cache2', 'name=default,items=4']).code, 'ERR_CACHE_CONFIG');
  assert.equal(
    refused(['--cache2', 'name=a,items=4', '--cache2', 'name=a,items=5']).code,
    'ERR_CACHE_CONFIG',
  );
  assert.equal(refused(['--cache2', 'name=a,items=4,hash=random']).code, 'ERR_CACHE_CONFIG');
  assert.equal(refused(['--cache2', 'name=a,items=4,math_initial=x']).code, 'ERR_CACHE_CONFIG');
  assert.equal(refused(['--cache2', 'name=a,items=4,blocks=x']).code, 'ERR_CACHE_CONFIG');
  assert.equal(
    refused(['--cache2', 'name=a,items=70000,blocksize=65536']).code,
    'ERR_CACHE_CONFIG',
    'over 4 GiB',
  );
});

test('UDP replication and start-up sync are refused with what to do instead', () => {
  for (const argv of [
    ['--cache2', 'name=a,items=4,nodes=127.0.0.1:4242'],
    ['--cache2', 'name=a,items=4,node=127.0.0.1:4242'],
    ['--cache2', 'name=a,items=4,udp=127.0.0.1:4141'],
    ['--cache2', 'name=a,items=4,udp_servers=127.0.0.1:4141'],
    ['--cache2', 'name=a,items=4,sync=127.0.0.1:3031'],
    ['--cache', '4', '--cache-udp-node', '127.0.0.1:7171'],
    ['--cache', '4', '--cache-udp-server', '127.0.0.1:7171'],
    ['--cache', '4', '--cache-sync', '127.0.0.1:3031'],
  ]) {
    const err = refused(argv);
    assert.equal(err.code, 'ERR_CACHE_UNSUPPORTED', argv.join(' '));
    assert.match(err.message, /not supported by uwsgi-ts.*name@host:port/);
  }
});

test('each cache reserves its block; blocks never overlap', () => {
  const { plans, layout } = plan([
    '--cache2',
    'name=a,items=10,blocksize=100',
    '--cache2',
    'name=b,items=3,bitmap=1,blocks=20,blocksize=10,keysize=7',
  ]);
  const [a, b] = plans;
  assert.ok(a && b);
  assert.deepEqual(layout.blocks['cache:a'], { offset: a.offset, size: a.size });
  assert.deepEqual(layout.blocks['cache:b'], { offset: b.offset, size: b.size });
  assert.ok(a.offset + a.size <= b.offset);
  assert.equal(a.size, cacheOffsets(a).size);
  assert.equal(b.offset % 64, 0);
  assert.equal(cacheOffsets(b).bitmapBytes, 3);
});

test('the sweeper: cache-expire-freq, cache-report-freed-items; none when no cache needs one', () => {
  const { sweeper } = plan([
    '--cache2',
    'name=a,items=2',
    '--cache-expire-freq',
    '7',
    '--cache-report-freed-items',
  ]);
  assert.deepEqual(sweeper, { every: 7, report: true });
  assert.equal(plan(['--cache2', 'name=a,items=2,lazy_expire=1']).sweeper, undefined);
  assert.equal(plan(['--cache2', 'name=a,items=2', '--cache-no-expire']).sweeper, undefined);
  assert.deepEqual(plan(['--cache2', 'name=a,items=2']).sweeper, { every: 3, report: false });
});

test('the start-up line has uWSGI format, with uwsgi-ts own figures', () => {
  const uwsgiLine = recorded.startup.find((s) => s.case === 'cache2 bitmap')?.lines[0] ?? '';
  const format = (line: string) => line.replace(/\d+/g, 'N');
  const [bm] = plan(['--cache2', 'name=bm,items=20,bitmap=1,blocks=100']).plans;
  assert.ok(bm);
  const ours = cacheInitializedLine(bm);
  assert.equal(format(ours), format(uwsgiLine));
  assert.equal(
    ours,
    `*** Cache "bm" initialized: 6MB (key: 2088 bytes, keys: 41760 bytes, data: 6553600 bytes, bitmap: 13 bytes) preallocated ***`,
  );
});
