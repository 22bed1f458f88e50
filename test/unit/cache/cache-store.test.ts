// Cache persistence: a store survives a "restart" (a fresh region), is refused when written for
// another geometry (uWSGI's `invalid cache store file`), replaced with store_delete, never read
// when damaged, and written atomically (no temp file left, the old store kept on failure).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Cache } from '../../../src/cache/cache.js';
import { loadStore, saveStore, saveStoreAsync } from '../../../src/cache/cache-store.js';
import { isUwsgiError } from '../../../src/errors.js';
import { makeCache } from './cache-kit.js';

const dir = mkdtempSync(join(tmpdir(), 'uwsgi-ts-cache-store-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function storeError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(isUwsgiError(err));
    return err.code;
  }
  assert.fail('accepted');
}

test('a missing store is created; a saved one comes back in a fresh region', () => {
  const path = join(dir, 'a.store');
  const first = makeCache(`name=a,items=4,blocksize=32,store=${path}`);
  assert.deepEqual(loadStore(first.cache.plan, first.region), {
    status: 'created',
    items: 0,
    lines: [`creating a new cache store file: ${path}`, '[uwsgi-cache] restored 0 items'],
  });
  assert.ok(existsSync(path));
  first.cache.set('k1', 'one', 100);
  first.cache.set('k2', Buffer.from([0, 1, 2]));
  first.cache.get('k1');
  first.cache.get('nope');
  saveStore(first.cache.plan, first.region);
  first.cache.set('later', 'not saved');

  const second = makeCache(`name=a,items=4,blocksize=32,store=${path}`);
  const loaded = loadStore(second.cache.plan, second.region);
  assert.deepEqual(loaded, {
    status: 'recovered',
    items: 2,
    lines: [`recovered cache from backing store file: ${path}`, '[uwsgi-cache] restored 2 items'],
  });
  assert.equal(second.cache.getString('k1'), 'one');
  assert.deepEqual(second.cache.get('k2'), Buffer.from([0, 1, 2]));
  assert.equal(second.cache.get('later'), undefined);
  assert.equal(second.cache.getEntry('k1')?.expires, first.clock + 100, 'expiries are absolute');
  const stats = second.cache.stats();
  assert.deepEqual(
    [stats.items, stats.hits, stats.miss],
    [2, 3, 1],
    'counters restart: only the reads above count',
  );
  assert.equal(second.cache.lockHolder(), 0);
  assert.ok(second.cache.set('k3', 'three'), 'the restored cache keeps working');
  assert.ok(second.cache.del('k1'));
  assert.deepEqual(second.cache.keys().sort(), ['k2', 'k3']);
  assert.deepEqual(readdirSync(dir), ['a.store'], 'no temp file left');
});

test('a store of another geometry is refused, or replaced with store_delete', () => {
  const path = join(dir, 'b.store');
  const small = makeCache(`name=b,items=4,store=${path}`);
  small.cache.set('x', 'y');
  saveStore(small.cache.plan, small.region);
  const bigger = makeCache(`name=b,items=5,store=${path}`);
  assert.equal(
    storeError(() => loadStore(bigger.cache.plan, bigger.region)),
    'ERR_CACHE_STORE_INVALID',
  );
  try {
    loadStore(bigger.cache.plan, bigger.region);
  } catch (err) {
    assert.match(
      (err as Error).message,
      /^invalid cache store file\. Please remove it or fix cache blocksize\/items/,
    );
  }
  const replacing = makeCache(`name=b,items=5,store=${path},store_delete=1`);
  const result = loadStore(replacing.cache.plan, replacing.region);
  assert.equal(result.status, 'replaced');
  assert.equal(result.lines[0], `Removing invalid cache store file: ${path}`);
  assert.equal(replacing.cache.count(), 0);
  const again = makeCache(`name=b,items=5,store=${path}`);
  assert.equal(loadStore(again.cache.plan, again.region).status, 'recovered', 'the new store fits');
});

test('files that are not stores, truncated or damaged are refused', () => {
  const path = join(dir, 'c.store');
  const kit = makeCache(`name=c,items=4,hashsize=8,store=${path}`);
  writeFileSync(path, 'not a store at all');
  assert.equal(
    storeError(() => loadStore(kit.cache.plan, kit.region)),
    'ERR_CACHE_STORE_INVALID',
  );
  kit.cache.set('a', '1');
  kit.cache.set('b', '2');
  saveStore(kit.cache.plan, kit.region);
  const good = readFileSync(path);
  writeFileSync(path, good.subarray(0, good.length - 1));
  assert.equal(
    storeError(() => loadStore(kit.cache.plan, kit.region)),
    'ERR_CACHE_STORE_INVALID',
    'truncated',
  );
  // point every bucket at slot 1 and slot 1 at itself: a loop the engine would never leave
  const damaged = Buffer.from(good);
  const body = damaged.length - kit.cache.plan.size;
  for (let bucket = 0; bucket < 8; bucket++) damaged.writeInt32LE(1, body + 64 + bucket * 4);
  const slot1 = body + 64 + 32;
  damaged.writeInt32LE(1, slot1 + 5 * 4);
  writeFileSync(path, damaged);
  const fresh = makeCache(`name=c,items=4,hashsize=8,store=${path}`);
  assert.equal(
    storeError(() => loadStore(fresh.cache.plan, fresh.region)),
    'ERR_CACHE_STORE_INVALID',
    'a loop',
  );
  assert.equal(fresh.cache.count(), 0, 'nothing was copied');
});

test('saveStoreAsync writes the same store', async () => {
  const path = join(dir, 'd.store');
  const kit = makeCache(`name=d,items=4,bitmap=1,blocks=8,blocksize=4,store=${path}`);
  kit.cache.set('long', 'x'.repeat(20));
  await saveStoreAsync(kit.cache.plan, kit.region);
  const next = makeCache(`name=d,items=4,bitmap=1,blocks=8,blocksize=4,store=${path}`);
  loadStore(next.cache.plan, next.region);
  assert.equal(next.cache.getString('long'), 'x'.repeat(20));
  assert.equal(next.cache.set('more', 'y'.repeat(13)), false, 'the bitmap came back too: 3 blocks left');
  assert.ok(next.cache.set('more', 'y'.repeat(12)));
});

test('a cache without store has no default path', () => {
  const kit = makeCache('name=e,items=2');
  assert.throws(() => saveStore(kit.cache.plan, kit.region), TypeError);
  assert.ok(kit.cache instanceof Cache);
});
