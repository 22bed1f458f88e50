// Serving cache packets (modifier1 111, reference §1.5) from the instance's caches: pure, the
// worker's uwsgi socket hands over a whole request and writes back the reply, or closes the
// connection without one when this returns undefined (a miss, a failure: what uWSGI does).
// Two 2.0.21 bugs are fixed here (README): the simple/stream get replies carry their documented
// header instead of 4 bytes of pointer garbage, and the dict gets (m2 3/4) find their key.

import {
  CACHE_DICT_NOT_FOUND,
  CACHE_REPLY_OK,
  type CacheRequest,
  decodeCacheRequest,
  encodeCacheGetReply,
  encodeCacheSimpleReply,
  encodeCacheStreamReply,
} from '../protocol/cache-packets.js';
import type { Cache } from './cache.js';

/** Finds a cache by name; '' is the instance's default cache (its first). */
export type CacheLookup = (name: string) => Cache | undefined;

/**
 * The reply to one whole request (see `cacheRequestLength`), or undefined: close without a reply.
 *
 * @example
 * const reply = serveCachePacket((name) => caches.get(name), packet);
 * if (reply) socket.end(reply); else socket.end();
 */
export function serveCachePacket(lookup: CacheLookup, request: Uint8Array): Buffer | undefined {
  const decoded = decodeCacheRequest(request);
  return decoded === undefined ? undefined : serveCacheRequest(lookup, decoded);
}

/** The reply to a decoded request (see `decodeCacheRequestParts`). */
export function serveCacheRequest(lookup: CacheLookup, request: CacheRequest): Buffer | undefined {
  const cache = lookup(request.cache);
  if (cache === undefined)
    return request.form === 'stream-get' ? encodeCacheStreamReply(undefined) : undefined;
  switch (request.form) {
    case 'get': {
      const value = cache.get(request.key);
      return value && encodeCacheSimpleReply(value);
    }
    case 'stream-get':
      return encodeCacheStreamReply(cache.get(request.key));
    case 'dict-key':
      return cache.get(request.key);
    case 'dict-get':
      return cache.get(request.key) ?? CACHE_DICT_NOT_FOUND;
    case 'set':
      // uWSGI: a plain set (an existing key is kept), never answered
      if (request.value) cache.set(request.key, request.value);
      return undefined;
    case 'del':
      cache.del(request.key);
      return undefined;
    case 'magic':
      return magic(cache, request);
  }
}

function magic(cache: Cache, request: CacheRequest): Buffer | undefined {
  switch (request.command) {
    case 'get': {
      const entry = cache.getEntry(request.key);
      return entry && encodeCacheGetReply(entry.value, entry.expires);
    }
    case 'set':
    case 'update': {
      const value = request.value;
      if (value === undefined) return undefined;
      const done =
        request.command === 'set'
          ? cache.set(request.key, value, request.expires)
          : cache.update(request.key, value, request.expires);
      return done ? CACHE_REPLY_OK : undefined;
    }
    case 'del':
      return cache.del(request.key) ? CACHE_REPLY_OK : undefined;
    case 'exists':
      return cache.exists(request.key) ? CACHE_REPLY_OK : undefined;
    case 'clear':
      cache.clear();
      return CACHE_REPLY_OK;
  }
}
