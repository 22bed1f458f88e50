// The cache fast path of Python processes (README "Python cache_get fast path"): what a Python
// process needs to read the instance's caches in its own address space, as the JS Cache reads
// them (src/cache/cache.ts, cache-layout.ts): the region's fd (inherited at REGION_FD, the same
// number the worker has it at) and each cache's offsets. Python maps the region, takes the cache's
// readers-writer lock (src/locks/shared-rwlock.ts) with the same atomic protocol through
// libatomic, and copies the value out: no round trip to the worker. Set once per process by
// attachProcessServices; empty when the region is not shared (no addon, or the IPC fallback).

import { cacheOffsets } from '../cache/cache-layout.js';
import type { Caches } from '../cache/caches.js';
import { REGION_FD } from '../shared/region.js';

/** One cache as python/uwsgi_cache_map.py reads it; byte offsets from the start of the region. */
export interface PythonCacheView {
  readonly name: string;
  /** The lock word (the cache block's first bytes). */
  readonly lock: number;
  readonly hash: number;
  readonly hashsize: number;
  readonly slots: number;
  readonly slotBytes: number;
  readonly data: number;
  readonly blocksize: number;
  readonly keysize: number;
  readonly murmur: boolean;
  /**
   * Reads take the lock shared and change nothing (not purge_lru, not lazy_expire): only then
   * does Python read by itself; the other caches keep the round trip.
   */
  readonly fast: boolean;
}

export interface PythonCacheMap {
  /** The fd of the region in the Python process (passed at the same number). */
  readonly fd: number;
  /** Bytes to map: the end of the last cache block. */
  readonly length: number;
  readonly caches: readonly PythonCacheView[];
}

let current: PythonCacheMap | undefined;

/** Called with the process's caches when they live in the shared region (`shared`). */
export function setPythonCacheMap(caches: Caches | undefined, shared: boolean): void {
  if (!caches || !shared || caches.list.length === 0) {
    current = undefined;
    return;
  }
  let length = 0;
  const views = caches.list.map((cache): PythonCacheView => {
    const p = cache.plan;
    const o = cacheOffsets(p);
    length = Math.max(length, p.offset + p.size);
    return {
      name: p.name,
      lock: p.offset,
      hash: p.offset + o.hash,
      hashsize: p.hashsize,
      slots: p.offset + o.slots,
      slotBytes: o.slotBytes,
      data: p.offset + o.data,
      blocksize: p.blocksize,
      keysize: p.keysize,
      murmur: p.hash === 'murmur2',
      fast: !p.purgeLru && !p.lazyExpire,
    };
  });
  current = { fd: PYTHON_REGION_FD, length, caches: views };
}

/** The map for a Python process's conf, or undefined (then every cache call is a round trip). */
export function pythonCacheMap(): PythonCacheMap | undefined {
  return current;
}

/**
 * Where a Python process finds the region: fd 7, after its channels (3 requests, 4 module calls,
 * 5 RPC, 6 events: python/uwsgi_ts/events.py); the worker's own REGION_FD is passed there.
 */
const PYTHON_REGION_FD = 7;

/** The child's stdio: its four channels, then the region when the map is there. */
export function pythonStdio(): Array<'ignore' | 'inherit' | 'pipe' | number> {
  const stdio: Array<'ignore' | 'inherit' | 'pipe' | number> = [
    'ignore',
    'inherit',
    'inherit',
    'pipe',
    'pipe',
    'pipe',
    'pipe',
  ];
  if (current) stdio[PYTHON_REGION_FD] = REGION_FD;
  return stdio;
}
