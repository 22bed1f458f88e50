// The small-file cache: a hit only for the same inode, size, mtime and ctime through the same
// root; a bounded budget with the oldest out first; large files never kept.
import assert from 'node:assert/strict';
import type { Stats } from 'node:fs';
import { test } from 'node:test';
import { CACHE_FILE_BYTES, FileCache, type LoadedFile } from '../../../src/static/file-cache.js';

const stats = (over: Partial<Stats> = {}) =>
  ({ dev: 1, ino: 10, size: 4, mtimeMs: 1000.5, ctimeMs: 1000.5, ...over }) as Stats;

const file = (size: number): LoadedFile => ({
  real: '/www/a',
  size,
  mtimeS: 1,
  lastModified: 'x',
  body: Buffer.alloc(size),
  fd: -1,
});

test('a hit needs the same file (inode, size, mtime, ctime) through the same root', () => {
  const cache = new FileCache();
  const root = {};
  const f = file(4);
  cache.put('/www/a', stats(), root, f);
  assert.equal(cache.get('/www/a', stats(), root), f);
  assert.equal(cache.get('/www/a', stats(), {}), undefined, 'another root');
  for (const change of [{ ino: 11 }, { dev: 2 }, { size: 5 }, { mtimeMs: 1000.6 }, { ctimeMs: 2000 }]) {
    assert.equal(cache.get('/www/a', stats(change), root), undefined, JSON.stringify(change));
  }
  assert.equal(cache.get('/www/b', stats(), root), undefined);
});

test('bounded: the oldest entries leave for new ones; large or streamed files are not kept', () => {
  const cache = new FileCache(10);
  const root = {};
  cache.put('/a', stats(), root, file(4));
  cache.put('/b', stats(), root, file(4));
  cache.put('/c', stats(), root, file(4));
  assert.equal(cache.size, 2);
  assert.equal(cache.get('/a', stats(), root), undefined);
  assert.ok(cache.get('/c', stats(), root));
  cache.put('/c', stats(), root, file(4));
  assert.equal(cache.size, 2, 'a refresh replaces its entry');
  const big = new FileCache();
  big.put('/big', stats({ size: CACHE_FILE_BYTES + 1 }), root, file(CACHE_FILE_BYTES + 1));
  big.put('/fd', stats(), root, { ...file(4), body: undefined, fd: 7 });
  assert.equal(big.size, 0);
});
