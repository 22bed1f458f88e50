// The cache2 engine on a private region with a fake clock: capacity (items=N holds N keys, the
// uWSGI N-1 bug fixed), chained buckets, keys as strings and bytes, expiry (sweeper, lazy, the
// purge_lru fix), LRU order, bitmap values across blocks, int64 math, the full event, counters.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { djb33x, murmur2 } from '../../../src/cache/key-hash.js';
import { makeCache } from './cache-kit.js';

test('items=N holds N keys (uWSGI 2.0.21 holds N-1), then refuses and reports full', () => {
  const { cache, full } = makeCache('name=c,items=3,blocksize=16');
  assert.ok(cache.set('a', '1'));
  assert.ok(cache.set('b', '2'));
  assert.ok(cache.set('c', '3'));
  assert.equal(cache.count(), 3);
  assert.equal(cache.set('d', '4'), false);
  assert.deepEqual(full, ['*** DANGER cache "c" is FULL !!! ***']);
  assert.equal(cache.stats().full, 1);
  assert.ok(cache.del('b'));
  assert.ok(cache.set('d', '4'), 'a deleted slot is reused');
  assert.deepEqual(cache.keys().sort(), ['a', 'c', 'd']);
});

test('ignore_full: refused without a line, still counted', () => {
  const { cache, full } = makeCache('name=c,items=1,ignore_full=1');
  assert.ok(cache.set('a', '1'));
  assert.equal(cache.set('b', '2'), false);
  assert.deepEqual(full, []);
  assert.equal(cache.stats().full, 1);
});

test('one bucket: chains survive deletes at the head, middle and tail', () => {
  const { cache } = makeCache('name=c,items=8,hashsize=1');
  for (const k of 'abcdef') assert.ok(cache.set(k, k.repeat(3)));
  assert.ok(cache.del('f')); // head (newest is first)
  assert.ok(cache.del('c')); // middle
  assert.ok(cache.del('a')); // tail
  assert.deepEqual(cache.keys(), ['e', 'd', 'b']);
  for (const k of 'bde') assert.equal(cache.get(k)?.toString(), k.repeat(3));
  for (const k of 'acf') assert.equal(cache.get(k), undefined);
  assert.ok(cache.set('c', 'again'));
  assert.equal(cache.get('c')?.toString(), 'again');
});

test('a key is its UTF-8 bytes: strings and byte arrays address the same item', () => {
  const { cache } = makeCache('name=c,items=8,keysize=8');
  assert.ok(cache.set('héllo', 'v1'));
  assert.equal(cache.get(Buffer.from('héllo'))?.toString(), 'v1');
  assert.ok(cache.set(Buffer.from([0xff, 0x00, 0x41]), 'binary'));
  assert.equal(cache.get(Buffer.from([0xff, 0x00, 0x41]))?.toString(), 'binary');
  // 8 bytes fit, 9 do not (é is 2 bytes: "ééééa" is 9)
  assert.ok(cache.set('éééé', 'x'));
  assert.equal(cache.set('ééééa', 'x'), false);
  assert.equal(cache.set('', 'x'), false);
  assert.equal(cache.get(''), undefined);
  assert.ok(cache.keys().includes('héllo'));
});

test('keys match by content, not by hash alone', () => {
  const { cache } = makeCache('name=c,items=4,hashsize=1');
  // same length, same bucket, different bytes in the tail (after the whole-word part)
  assert.ok(cache.set('abcdefg1', '1'));
  assert.ok(cache.set('abcdefg2', '2'));
  assert.ok(cache.set('abcdefgh12', '3'));
  assert.equal(cache.get('abcdefg1')?.toString(), '1');
  assert.equal(cache.get('abcdefg2')?.toString(), '2');
  assert.equal(cache.get('abcdefgh12')?.toString(), '3');
  assert.equal(cache.get('abcdefgh13'), undefined);
  assert.equal(cache.get(Buffer.from('abcdefg2'))?.toString(), '2');
});

test('values: empty refused, blocksize is the limit, strings stored as UTF-8', () => {
  const { cache } = makeCache('name=c,items=4,blocksize=6');
  assert.equal(cache.set('e', ''), false);
  assert.equal(cache.set('e', new Uint8Array(0)), false);
  assert.ok(cache.set('six', 'ééé'));
  assert.equal(cache.set('seven', 'éééa'), false);
  assert.equal(cache.getString('six'), 'ééé');
  assert.deepEqual(cache.get('six'), Buffer.from('ééé'));
  assert.ok(cache.update('six', 'abc'));
  assert.equal(cache.getString('six'), 'abc', 'a shorter update is not padded');
});

test('get copies: changing the returned buffer does not change the cache', () => {
  const { cache } = makeCache('name=c,items=2');
  cache.set('k', 'value');
  const got = cache.get('k')!;
  got.fill(0x21);
  assert.equal(cache.getString('k'), 'value');
});

test('hits and misses are counted by get (a bad key is a miss), not by exists', () => {
  const { cache } = makeCache('name=c,items=4,keysize=4');
  cache.set('a', '1');
  cache.get('a');
  cache.getString('a');
  cache.get('b');
  cache.get('toolong');
  cache.exists('a');
  cache.exists('b');
  const s = cache.stats();
  assert.equal(s.hits, 2);
  assert.equal(s.miss, 2);
  assert.equal(s.items, 1);
  assert.deepEqual(Object.keys(s), [
    'name',
    'hash',
    'hashsize',
    'keysize',
    'max_items',
    'blocks',
    'blocksize',
    'items',
    'hits',
    'miss',
    'full',
    'last_modified_at',
  ]);
});

test('expiry: absolute, swept by the master; get does not check it (uWSGI)', () => {
  const kit = makeCache('name=c,items=4');
  const { cache } = kit;
  const t0 = kit.clock;
  cache.set('a', '1', 10);
  cache.set('b', '2');
  assert.equal(cache.getEntry('a')?.expires, t0 + 10);
  assert.equal(cache.getEntry('b')?.expires, 0);
  kit.clock += 10;
  assert.equal(cache.getString('a'), '1', 'still there until the sweeper runs');
  assert.equal(cache.set('a', 'x'), false, 'and a set still finds it');
  assert.equal(cache.sweep(), 1);
  assert.equal(cache.get('a'), undefined);
  assert.equal(cache.getString('b'), '2');
  cache.set('c', '3', 5);
  cache.update('c', '4');
  kit.clock += 100;
  assert.equal(cache.sweep(), 0, 'an update without expiry made it permanent');
});

test('lazy_expire: an expired item is gone for get, exists, set, keys and math', () => {
  const kit = makeCache('name=c,items=4,lazy_expire=1,math_initial=10');
  const { cache } = kit;
  cache.set('a', '1', 1);
  cache.set('n', Buffer.from(new BigInt64Array([5n]).buffer), 1);
  kit.clock += 1;
  assert.deepEqual(cache.keys(), []);
  assert.equal(cache.count(), 2, 'keys() does not delete');
  assert.equal(cache.exists('a'), false);
  assert.equal(cache.count(), 1, 'the access deleted it');
  assert.equal(cache.inc('n'), 11n, 'an expired counter restarts at math_initial');
  assert.ok(cache.set('a', 'new'));
});

test('purge_lru: the least recently used item makes room; get and update refresh, exists does not', () => {
  const { cache, full } = makeCache('name=c,items=3,purge_lru=1');
  cache.set('a', '1');
  cache.set('b', '2');
  cache.set('c', '3');
  cache.get('a');
  cache.exists('b');
  assert.ok(cache.set('d', '4'));
  assert.deepEqual(cache.keys().sort(), ['a', 'c', 'd']);
  cache.update('c', '33');
  assert.ok(cache.set('e', '5'));
  assert.deepEqual(cache.keys().sort(), ['c', 'd', 'e']);
  assert.deepEqual(full, [
    'LRU item will be purged from cache "c"',
    'LRU item will be purged from cache "c"',
  ]);
  assert.equal(cache.stats().full, 2);
});

test('purge_lru keeps expiries (uWSGI stores them unconverted, so they never work)', () => {
  const kit = makeCache('name=c,items=3,purge_lru=1');
  kit.cache.set('a', '1', 5);
  assert.equal(kit.cache.getEntry('a')?.expires, kit.clock + 5);
  assert.equal(kit.cache.plan.sweep, true);
  kit.clock += 5;
  assert.equal(kit.cache.sweep(), 1);
});

test('purge_lru with a bitmap purges until the value fits, never the item being updated', () => {
  const { cache } = makeCache('name=c,items=4,blocks=4,blocksize=4,bitmap=1,purge_lru=1');
  cache.set('a', 'aaaa');
  cache.set('b', 'bbbb');
  cache.set('c', 'cccc');
  cache.set('d', 'dddd');
  assert.ok(cache.update('a', 'A'.repeat(12)), 'a grows to 3 blocks: b and c go');
  assert.equal(cache.getString('a'), 'A'.repeat(12));
  assert.deepEqual(cache.keys().sort(), ['a', 'd']);
  assert.ok(cache.set('e', 'e'.repeat(16)), 'everything goes');
  assert.deepEqual(cache.keys(), ['e']);
});

test('bitmap: a value spans consecutive blocks up to blocksize*blocks; deletes free them', () => {
  const { cache } = makeCache('name=c,items=8,blocks=10,blocksize=10,bitmap=1');
  const big = 'x'.repeat(100);
  assert.equal(cache.plan.maxItemSize, 100);
  assert.ok(cache.set('big', big));
  assert.equal(cache.set('one', 'y'), false);
  assert.equal(cache.getString('big'), big);
  assert.ok(cache.del('big'));
  for (let i = 0; i < 5; i++) assert.ok(cache.set(`k${i}`, 'z'.repeat(20)));
  assert.equal(cache.set('more', 'm'), false);
  cache.del('k1');
  cache.del('k3');
  assert.equal(cache.set('thirty', 't'.repeat(30)), false, 'free blocks are not consecutive');
  assert.ok(cache.set('twenty', 't'.repeat(20)));
});

test('bitmap: a long string value grows the encoder scratch', () => {
  const { cache } = makeCache('name=c,items=2,blocks=40,blocksize=4096,bitmap=1');
  const text = 'é'.repeat(70_000); // 140,000 bytes
  assert.ok(cache.set('t', text));
  assert.equal(cache.getString('t'), text);
  assert.equal(cache.set('u', 'é'.repeat(90_000)), false, '180,000 bytes > 163,840');
});

test('int64 math: math_initial, wrap-around, division by zero, 8-byte values', () => {
  const { cache } = makeCache('name=c,items=8,math_initial=-5');
  assert.equal(cache.inc('n'), -4n);
  assert.equal(cache.dec('n', 6), -10n);
  assert.equal(cache.mul('n'), -20n);
  assert.equal(cache.div('n', 3), -6n, 'truncates toward zero, as C');
  assert.equal(cache.div('n', 0), 0n);
  assert.equal(cache.num('n'), 0n);
  assert.equal(cache.get('n')?.length, 8);
  assert.equal(cache.inc('max', 2n ** 63n - 1n + 5n), 2n ** 63n - 1n, 'math_initial -5 + (2^63+4) = 2^63-1');
  assert.equal(cache.inc('max'), -(2n ** 63n), 'wraps like int64');
  assert.equal(cache.div('max', -1), -(2n ** 63n), 'INT64_MIN / -1 does not trap');
  cache.set('text', 'abcdefghij');
  assert.equal(cache.num('text'), 0n, 'num of a value that is not 8 bytes is 0, as uWSGI');
  assert.equal(cache.dec('text'), 0x6867666564636261n - 1n, 'math reads its first 8 bytes');
  assert.equal(cache.num('missing'), 0n);
  assert.throws(() => cache.inc('n', 1.5), RangeError);
});

test('math keeps or sets an expiry like an update', () => {
  const kit = makeCache('name=c,items=4');
  kit.cache.inc('n', 1, 30);
  assert.equal(kit.cache.getEntry('n')?.expires, kit.clock + 30);
  kit.cache.inc('n');
  assert.equal(kit.cache.getEntry('n')?.expires, 0);
});

test('sweep_on_full and clear_on_full make room (uWSGI 2.1 keys)', () => {
  const kit = makeCache('name=c,items=2,sweep_on_full=1');
  kit.cache.set('a', '1', 1);
  kit.cache.set('b', '2');
  kit.clock += 1;
  assert.ok(kit.cache.set('c', '3'), 'the expired a was swept');
  assert.deepEqual(kit.cache.keys().sort(), ['b', 'c']);
  assert.equal(kit.cache.set('d', '4'), false, 'nothing expired: full');
  assert.equal(kit.full.length, 2, 'both times the cache was full');

  const clear = makeCache('name=c,items=2,clear_on_full=1');
  clear.cache.set('a', '1');
  clear.cache.set('b', '2');
  assert.ok(clear.cache.set('c', '3'));
  assert.deepEqual(clear.cache.keys(), ['c']);
});

test('clear empties everything and the cache is reusable', () => {
  const { cache } = makeCache('name=c,items=3,blocks=6,blocksize=4,bitmap=1');
  cache.set('a', 'aaaaaaaa');
  cache.set('b', 'bbbbbbbb');
  cache.clear();
  assert.equal(cache.count(), 0);
  assert.deepEqual(cache.keys(), []);
  assert.ok(cache.set('c', 'c'.repeat(20)), 'the blocks are free again');
  assert.ok(cache.set('d', 'd'));
  assert.equal(cache.set('e', 'e'), false);
});

test('lastmod: last_modified_at follows changes', () => {
  const kit = makeCache('name=c,items=2,lastmod=1');
  assert.equal(kit.cache.stats().last_modified_at, 0);
  kit.cache.set('a', '1');
  assert.equal(kit.cache.stats().last_modified_at, kit.clock);
  kit.clock += 7;
  kit.cache.get('a');
  assert.equal(kit.cache.stats().last_modified_at, kit.clock - 7, 'a read is not a change');
  kit.cache.del('a');
  assert.equal(kit.cache.stats().last_modified_at, kit.clock);
});

test('murmur2 caches work the same; the hashes are the known values', () => {
  const { cache } = makeCache('name=c,items=4,hash=murmur2,hashsize=7');
  assert.ok(cache.set('héllo', 'w'));
  assert.equal(cache.getString('héllo'), 'w');
  assert.equal(cache.getString(Buffer.from('héllo')), 'w');
  const b = (s: string) => Buffer.from(s);
  // MurmurHash2, seed 0 (values from an independent Python implementation of the public algorithm)
  assert.equal(murmur2(b(''), 0), 0);
  assert.equal(murmur2(b('a'), 1), 0x92685f5e);
  assert.equal(murmur2(b('abcd'), 4), 0x26873021);
  assert.equal(murmur2(b('hello world'), 11), 0x44a81419);
  assert.equal(murmur2(b('héllo'), 6), 0x4ea02192);
  // djb33x: 5381 * 33 ^ 'a'; bytes >= 0x80 are signed chars
  assert.equal(djb33x(b('a'), 1), (5381 * 33) ^ 97);
  assert.equal(djb33x(Buffer.from([0xff]), 1), ((5381 * 33) ^ -1) >>> 0);
});

test('the lock is free after every operation, including a refused one', () => {
  const { cache } = makeCache('name=c,items=1');
  cache.set('a', '1');
  cache.set('b', '2');
  cache.get('zz');
  assert.throws(() => cache.inc('a', 0.5));
  assert.equal(cache.lockHolder(), 0);
});
