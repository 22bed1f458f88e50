// Items put in the caches at start-up (reference §2.8): `load-file-in-cache[-gzip] = [CACHE ]PATH`
// (the key is PATH as written) and `add-cache-item = [CACHE ]KEY=VALUE`, stored in that order with
// a plain set (an item restored from a store is kept), logging uWSGI's lines. The master runs them
// once, after loading the stores.

import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { formatOrigin } from '../config/entry.js';
import type { Config } from '../config/resolve.js';
import { UwsgiError } from '../errors.js';
import { cacheNotStoredLine, cacheStoredLine } from './cache-messages.js';
import type { CachePlan } from './cache-plan.js';
import type { Caches } from './caches.js';

export interface CachePreload {
  /** The cache's name; '' = the default cache. */
  readonly cache: string;
  readonly key: string;
  /** add-cache-item's value; undefined for a file. */
  readonly value: string | undefined;
  /** The file to load (its path is also the key). */
  readonly path: string | undefined;
  readonly gzip: boolean;
  readonly origin: string;
}

/** `NAME rest` when a space comes before `stop` (or there is no `stop`): the cache and the rest. */
function splitCache(raw: string, stop: string | undefined): [string, string] {
  const space = raw.indexOf(' ');
  if (space <= 0) return ['', raw];
  const bound = stop === undefined ? -1 : raw.indexOf(stop);
  if (bound >= 0 && bound < space) return ['', raw];
  return [raw.slice(0, space), raw.slice(space + 1)];
}

/**
 * The preloads of the config, checked: each names an existing cache (uwsgi-ts refuses an unknown
 * one, uWSGI skips it silently) and add-cache-item has a `=`. Without a cache name an item goes to
 * the default cache (uWSGI 2.0.21 puts it in every cache).
 */
export function planCachePreloads(config: Config, plans: readonly CachePlan[]): CachePreload[] {
  const names = new Set(plans.map((p) => p.name));
  const out: CachePreload[] = [];
  const check = (cache: string, where: string, what: string) => {
    if (plans.length === 0)
      throw new UwsgiError(
        'ERR_CACHE_UNKNOWN',
        `${what} (${where}): the instance has no cache (add cache2 = name=...,items=N)`,
      );
    if (cache !== '' && !names.has(cache))
      throw new UwsgiError('ERR_CACHE_UNKNOWN', `${what} (${where}): unable to find cache "${cache}"`);
  };
  for (const gzip of [false, true]) {
    for (const option of config.all(gzip ? 'load-file-in-cache-gzip' : 'load-file-in-cache')) {
      const where = formatOrigin(option.origin);
      const [cache, path] = splitCache(option.value, undefined);
      check(cache, where, `load-file-in-cache${gzip ? '-gzip' : ''} "${option.value}"`);
      out.push({ cache, key: path, value: undefined, path, gzip, origin: where });
    }
  }
  for (const option of config.all('add-cache-item')) {
    const where = formatOrigin(option.origin);
    const [cache, item] = splitCache(option.value, '=');
    const eq = item.indexOf('=');
    if (eq <= 0)
      throw new UwsgiError(
        'ERR_CACHE_PRELOAD',
        `add-cache-item "${option.value}" (${where}): give [CACHE ]KEY=VALUE`,
      );
    check(cache, where, `add-cache-item "${option.value}"`);
    out.push({
      cache,
      key: item.slice(0, eq),
      value: item.slice(eq + 1),
      path: undefined,
      gzip: false,
      origin: where,
    });
  }
  return out;
}

/**
 * Stores the preloads; returns the lines to log (`[cache] stored "k" in "c"`, or
 * `[cache-error] unable to store ...` when the cache refuses it). A file that cannot be read
 * throws ERR_CACHE_PRELOAD (uWSGI exits too).
 */
export function runCachePreloads(
  preloads: readonly CachePreload[],
  caches: Caches,
  readFile: (path: string) => Buffer = (path) => readFileSync(path),
): string[] {
  const lines: string[] = [];
  for (const item of preloads) {
    const cache = caches.get(item.cache);
    if (cache === undefined)
      throw new UwsgiError('ERR_CACHE_UNKNOWN', `unable to find cache "${item.cache}"`);
    let value: Buffer | string;
    if (item.path === undefined) value = item.value ?? '';
    else {
      try {
        value = readFile(item.path);
      } catch (err) {
        throw new UwsgiError(
          'ERR_CACHE_PRELOAD',
          `load-file-in-cache (${item.origin}): cannot read ${item.path}: ${(err as Error).message}`,
          { cause: err },
        );
      }
      if (item.gzip) value = gzipSync(value);
    }
    lines.push(
      cache.set(item.key, value)
        ? cacheStoredLine(item.key, cache.name, item.gzip)
        : cacheNotStoredLine(item.key, cache.name),
    );
  }
  return lines;
}
