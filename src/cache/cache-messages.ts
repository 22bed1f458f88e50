// The log lines of the cache subsystem, worded as uWSGI 2.0.21 prints them (reference §7.1, §10;
// test/fixtures/cache/uwsgi-2.0.21-cache.json), so operators' log searches keep working.

import { cacheOffsets } from './cache-layout.js';
import type { CachePlan } from './cache-plan.js';

const MB = 1024 * 1024;

/**
 * `*** Cache "x" initialized: ...MB (key: ..., keys: ..., data: ..., bitmap: ...) preallocated ***`
 * with uwsgi-ts's own figures: key = bytes per item slot (header + keysize), keys = all slots,
 * data = blocks * blocksize, MB = the whole block in the shared region (hash table included).
 */
export function cacheInitializedLine(plan: CachePlan): string {
  const o = cacheOffsets(plan);
  const keys = plan.items * o.slotBytes;
  const data = plan.blocks * plan.blocksize;
  return `*** Cache "${plan.name}" initialized: ${Math.floor(plan.size / MB)}MB (key: ${o.slotBytes} bytes, keys: ${keys} bytes, data: ${data} bytes, bitmap: ${o.bitmapBytes} bytes) preallocated ***`;
}

export const CACHE_SWEEPER_ENABLED = 'cache sweeper thread enabled';

/** Logged when a set finds no room (nothing when the cache has ignore_full). */
export function cacheFullLine(name: string, purgeLru: boolean): string {
  return purgeLru
    ? `LRU item will be purged from cache "${name}"`
    : `*** DANGER cache "${name}" is FULL !!! ***`;
}

/** The sweeper's report (cache-report-freed-items). */
export function cacheFreedLine(name: string, count: number): string {
  return `freed ${count} items for cache "${name}"`;
}

export function cacheStoreCreatedLine(path: string): string {
  return `creating a new cache store file: ${path}`;
}

export function cacheStoreRecoveredLine(path: string): string {
  return `recovered cache from backing store file: ${path}`;
}

export function cacheRestoredLine(items: number): string {
  return `[uwsgi-cache] restored ${items} items`;
}

/** add-cache-item / load-file-in-cache results. */
export function cacheStoredLine(key: string, cache: string, gzip = false): string {
  return `[${gzip ? 'cache-gzip' : 'cache'}] stored "${key}" in "${cache}"`;
}

export function cacheNotStoredLine(key: string, cache: string): string {
  return `[cache-error] unable to store "${key}" in "${cache}"`;
}
