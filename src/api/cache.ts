// The caches from an app (uWSGI: `uwsgi.cache_get/set/update/del/exists/clear/keys`,
// `cache_inc/dec/mul/div/num`; reference §7.3). Local caches live in the instance's shared
// memory: every call is synchronous and every worker sees a write at once. `cache` names one of
// the instance's caches (`cache2 = name=...`); without it, the default cache (the first one, or
// the legacy `cache = N`). A cache on another node is `remoteCache('name@host:port')`, whose
// calls go over the network and return Promises.

import { remoteCacheRequest } from '../cache/cache-client.js';
import { UwsgiError } from '../errors.js';
import { parseCacheAddress } from '../protocol/cache-packets.js';
import { type CacheAccess, callRuntime } from './runtime.js';

type Key = string | Uint8Array;
type Value = string | Uint8Array;

const local = (cache: string | undefined): CacheAccess => callRuntime('cache', cache ?? '');

/**
 * The value of `key` (a copy), or undefined when it is not there.
 *
 * @example
 * ```ts
 * import { cacheGet, cacheSet } from 'uwsgi-ts';
 * if (!cacheGet('page:/')) cacheSet('page:/', render(), 60);
 * ```
 */
export function cacheGet(key: Key, cache?: string): Buffer | undefined {
  return local(cache).get(key);
}

/** Stores `value` under a new `key`; false when the key exists or the cache is full (logged). */
export function cacheSet(key: Key, value: Value, expires = 0, cache?: string): boolean {
  return local(cache).set(key, value, expires);
}

/** Stores `value` under `key`, replacing it; false when the cache is full. */
export function cacheUpdate(key: Key, value: Value, expires = 0, cache?: string): boolean {
  return local(cache).update(key, value, expires);
}

export function cacheDel(key: Key, cache?: string): boolean {
  return local(cache).del(key);
}

export function cacheExists(key: Key, cache?: string): boolean {
  return local(cache).exists(key);
}

export function cacheClear(cache?: string): void {
  local(cache).clear();
}

/** Every key of the cache. */
export function cacheKeys(cache?: string): string[] {
  return local(cache).keys();
}

/** Adds `amount` to the int64 at `key` (created from `math_initial`); the new value, undefined when full. */
export function cacheInc(
  key: Key,
  amount: number | bigint = 1,
  expires = 0,
  cache?: string,
): bigint | undefined {
  return local(cache).inc(key, amount, expires);
}

export function cacheDec(
  key: Key,
  amount: number | bigint = 1,
  expires = 0,
  cache?: string,
): bigint | undefined {
  return local(cache).dec(key, amount, expires);
}

export function cacheMul(
  key: Key,
  amount: number | bigint = 2,
  expires = 0,
  cache?: string,
): bigint | undefined {
  return local(cache).mul(key, amount, expires);
}

export function cacheDiv(
  key: Key,
  amount: number | bigint = 2,
  expires = 0,
  cache?: string,
): bigint | undefined {
  return local(cache).div(key, amount, expires);
}

/** The int64 at `key` (0 when absent). */
export function cacheNum(key: Key, cache?: string): bigint {
  return local(cache).num(key);
}

/** A cache on another node: uWSGI's magic requests (get, set, update, del, exists, clear). */
export interface RemoteCache {
  get(key: Key): Promise<Buffer | undefined>;
  set(key: Key, value: Value, expires?: number): Promise<boolean>;
  update(key: Key, value: Value, expires?: number): Promise<boolean>;
  del(key: Key): Promise<boolean>;
  exists(key: Key): Promise<boolean>;
  clear(): Promise<boolean>;
}

/**
 * `name@host:port` (or `@host:port` for that node's default cache; a unix socket path after the
 * `@` works too): the cache of another uwsgi-ts or uWSGI instance, through its uwsgi socket.
 * Each call is one connection, bounded by `timeoutMs` (uWSGI's socket-timeout, 4 s). Works
 * outside a worker too.
 *
 * @example
 * ```ts
 * import { remoteCache } from 'uwsgi-ts';
 * const sessions = remoteCache('sessions@10.0.0.5:3031');
 * await sessions.set('user:42', JSON.stringify(user), 3600);
 * const raw = await sessions.get('user:42');
 * ```
 */
export function remoteCache(address: string, timeoutMs = 4000): RemoteCache {
  const { cache, node } = parseCacheAddress(address);
  if (node === undefined || node === '') {
    throw new UwsgiError(
      'ERR_API_BAD_ARGUMENT',
      `remoteCache("${address}"): give name@host:port (a name alone is a local cache: use cacheGet)`,
    );
  }
  const send = (request: Parameters<typeof remoteCacheRequest>[1]) =>
    remoteCacheRequest(node, request, timeoutMs);
  return {
    get: async (key) => {
      const reply = await send({ command: 'get', key, cache });
      return reply.ok ? reply.value : undefined;
    },
    set: async (key, value, expires = 0) => (await send({ command: 'set', key, value, expires, cache })).ok,
    update: async (key, value, expires = 0) =>
      (await send({ command: 'update', key, value, expires, cache })).ok,
    del: async (key) => (await send({ command: 'del', key, cache })).ok,
    exists: async (key) => (await send({ command: 'exists', key, cache })).ok,
    clear: async () => (await send({ command: 'clear', cache })).ok,
  };
}
