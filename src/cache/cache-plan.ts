// Cache plans: every `cache2` option and the legacy `cache = N` (reference §2.8, §7.1) checked and
// turned into plain data (sent to the workers as is) with the block each cache holds in the shared
// region. Validation follows uWSGI 2.0.21's refusals and messages, with the option's origin.

import { formatOrigin, type Origin } from '../config/entry.js';
import type { Config } from '../config/resolve.js';
import { parseFlag } from '../config/value-kinds.js';
import { UwsgiError } from '../errors.js';
import type { LayoutBuilder } from '../shared/layout.js';
import { type CacheGeometry, cacheOffsets } from './cache-layout.js';

export type CacheHash = 'djb33x' | 'murmur2';

/** One cache, as the master planned it; JSON-safe so it travels in the worker plan. */
export interface CachePlan extends CacheGeometry {
  readonly name: string;
  readonly hash: CacheHash;
  /** Largest value: blocksize, or blocksize * blocks with a bitmap. */
  readonly maxItemSize: number;
  readonly purgeLru: boolean;
  readonly lazyExpire: boolean;
  readonly ignoreFull: boolean;
  /** Track last_modified_at (`lastmod`, or `cache-use-last-modified`). */
  readonly lastmod: boolean;
  /** [uWSGI 2.1] sweep expired items, or clear everything, when the cache is full. */
  readonly sweepOnFull: boolean;
  readonly clearOnFull: boolean;
  /** The master's sweeper visits this cache (not lazy_expire, no_expire, cache-no-expire). */
  readonly sweep: boolean;
  /** Start value of inc/dec/mul/div on a missing key. */
  readonly mathInitial: number;
  /** Persistence file (`store`, or `cache-store` for the legacy cache). */
  readonly store: string | null;
  /** Save the store every N master cycles (`store_sync` / `cache-store-sync`); 0: at shutdown only. */
  readonly storeSync: number;
  /** [uWSGI 2.1] replace a store file of another geometry instead of refusing to start. */
  readonly storeDelete: boolean;
  /** The cache's block in the shared region. */
  readonly offset: number;
  readonly size: number;
  /** Where the cache was defined (`app.ini:3`), for messages. */
  readonly origin: string;
  /** Things the master should log as warnings (keys uWSGI ignores, HEAD-only keys). */
  readonly notes: readonly string[];
}

/** The sweeper of expired items (one for the instance, as uWSGI's thread). */
export interface CacheSweeperPlan {
  /** `cache-expire-freq`, seconds. */
  readonly every: number;
  /** `cache-report-freed-items`: log `freed N items for cache "x"`. */
  readonly report: boolean;
}

const DEFAULTS = { blocksize: 65536, keysize: 2048, hashsize: 65536 } as const;
/** One cache block is indexed by 32-bit typed arrays. */
const MAX_CACHE_BYTES = 2 ** 32 - 8;

/** cache2 keys and their aliases (reference §7.1) -> the canonical key. */
const KEYS: Readonly<Record<string, string>> = {
  name: 'name',
  items: 'items',
  max_items: 'items',
  maxitems: 'items',
  blocksize: 'blocksize',
  blocks: 'blocks',
  keysize: 'keysize',
  key_size: 'keysize',
  hash: 'hash',
  hashsize: 'hashsize',
  hash_size: 'hashsize',
  bitmap: 'bitmap',
  store: 'store',
  store_sync: 'store_sync',
  storesync: 'store_sync',
  store_delete: 'store_delete',
  purge_lru: 'purge_lru',
  lru: 'purge_lru',
  lazy_expire: 'lazy_expire',
  lazy: 'lazy_expire',
  sweep_on_full: 'sweep_on_full',
  clear_on_full: 'clear_on_full',
  no_expire: 'no_expire',
  ignore_full: 'ignore_full',
  math_initial: 'math_initial',
  lastmod: 'lastmod',
  nodes: 'nodes',
  node: 'nodes',
  udp: 'udp',
  udp_server: 'udp',
  udp_servers: 'udp',
  udpserver: 'udp',
  udpservers: 'udp',
  sync: 'sync',
};

/** Keys of uWSGI 2.1 (HEAD) that 2.0.21 ignores: served, and noted. */
const HEAD_ONLY = new Set(['store_delete', 'sweep_on_full', 'clear_on_full', 'no_expire']);

/** Keys for UDP replication and start-up copies: refused (uwsgi-ts does not replicate caches). */
const UNSUPPORTED: Readonly<Record<string, string>> = {
  nodes: 'sending cache updates to UDP nodes',
  udp: 'receiving cache updates over UDP',
  sync: 'copying a remote cache at start-up',
};

const HASHES: readonly CacheHash[] = ['djb33x', 'murmur2'];

/** `k=v,k2=v2` in order (a later alias wins, as in uWSGI's kvlist); `\` escapes the next char. */
function kvPairs(raw: string): [string, string][] {
  const out: [string, string][] = [];
  let item = '';
  const flush = () => {
    if (item === '') return;
    const eq = item.indexOf('=');
    out.push(eq < 0 ? [item, ''] : [item.slice(0, eq), item.slice(eq + 1)]);
    item = '';
  };
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (c === '\\' && i + 1 < raw.length) item += raw[++i];
    else if (c === ',') flush();
    else item += c;
  }
  flush();
  return out;
}

interface Definition {
  readonly keys: ReadonlyMap<string, string>;
  readonly where: string;
  readonly notes: string[];
}

function fail(message: string, where: string): never {
  throw new UwsgiError('ERR_CACHE_CONFIG', `${message} (${where})`);
}

/** A whole non-negative number, or `fallback` when the key is absent. */
function count(def: Definition, key: string, fallback: number, message: string): number {
  const raw = def.keys.get(key);
  if (raw === undefined) return fallback;
  const text = raw.trim();
  if (!/^[0-9]+$/.test(text) || !Number.isSafeInteger(Number(text))) fail(`${message}: "${raw}"`, def.where);
  return Number(text);
}

function flag(def: Definition, key: string): boolean {
  const raw = def.keys.get(key);
  // uwsgi-ts reads it as every boolean option: bitmap=0 is off (uWSGI 2.0.21 turns it on)
  return raw !== undefined && parseFlag(raw);
}

/** Options of §2.8 that apply to every cache. */
export interface CacheGlobals {
  /** `cache-no-expire`. */
  readonly noExpire: boolean;
  /** `cache-store-sync`. */
  readonly storeSync: number;
  /** `cache-use-last-modified`. */
  readonly useLastModified: boolean;
}

const NO_GLOBALS: CacheGlobals = { noExpire: false, storeSync: 0, useLastModified: false };

function globalsOf(config: Config): CacheGlobals {
  return {
    noExpire: config.value('cache-no-expire') === true,
    storeSync: config.value('cache-store-sync') ?? 0,
    useLastModified: config.value('cache-use-last-modified') === true,
  };
}

function planOne(
  def: Definition,
  globals: CacheGlobals,
  layout: LayoutBuilder,
  legacy: { items: number; blocksize: number; store: string | undefined } | undefined,
): CachePlan {
  const name = legacy ? 'default' : (def.keys.get('name') ?? '');
  if (name === '') fail('you have to specify a cache name', def.where);
  const label = `"${name}"`;
  for (const [key, what] of Object.entries(UNSUPPORTED)) {
    if (def.keys.has(key))
      throw new UwsgiError(
        'ERR_CACHE_UNSUPPORTED',
        `cache ${label}: ${key}= (${what}) is not supported by uwsgi-ts: caches are not replicated; share one instance's cache over the uwsgi protocol (name@host:port) instead (${def.where})`,
      );
  }
  const items = legacy
    ? legacy.items
    : count(def, 'items', 0, 'you have to specify the maximum number of cache items');
  if (items <= 0) fail('you have to specify the maximum number of cache items', def.where);
  const blocksize = legacy
    ? legacy.blocksize || DEFAULTS.blocksize
    : count(def, 'blocksize', DEFAULTS.blocksize, `invalid cache blocksize for ${label}`);
  if (blocksize <= 0) fail(`invalid cache blocksize for ${label}`, def.where);
  const blocks = count(def, 'blocks', items, `invalid cache blocks for ${label}`);
  if (blocks < items)
    fail(`invalid number of cache blocks for ${label}, must be higher than max_items (${items})`, def.where);
  const keysize = count(def, 'keysize', DEFAULTS.keysize, `invalid cache keysize for ${label}`);
  if (keysize <= 0 || keysize > 65535) fail(`invalid cache keysize for ${label}`, def.where);
  const hashsize = count(def, 'hashsize', DEFAULTS.hashsize, `invalid cache hashsize for ${label}`);
  if (hashsize <= 0) fail(`invalid cache hashsize for ${label}`, def.where);
  const hashName = def.keys.get('hash') ?? 'djb33x';
  const hash = HASHES.find((h) => h === hashName);
  if (!hash) {
    // uWSGI also takes its other hash algorithms (random, rr), which make every key unreachable
    fail(`invalid cache hash for ${label}: "${hashName}" (use djb33x or murmur2)`, def.where);
  }
  const bitmap = flag(def, 'bitmap');
  const mathRaw = def.keys.get('math_initial');
  const mathInitial = mathRaw === undefined ? 0 : Number(mathRaw.trim());
  if (mathRaw !== undefined && (!/^-?[0-9]+$/.test(mathRaw.trim()) || !Number.isSafeInteger(mathInitial)))
    fail(`invalid math_initial for ${label}: "${mathRaw}"`, def.where);
  const noExpire = flag(def, 'no_expire') || globals.noExpire;
  const lazyExpire = flag(def, 'lazy_expire');
  const geometry = { items, keysize, hashsize, blocks, blocksize, bitmap };
  const offsets = cacheOffsets(geometry);
  if (offsets.size > MAX_CACHE_BYTES)
    fail(
      `cache ${label} needs ${offsets.size} bytes of shared memory; uwsgi-ts caches are limited to 4 GiB each`,
      def.where,
    );
  const block = layout.reserve(`cache:${name}`, offsets.size);
  const store = legacy ? legacy.store : def.keys.get('store');
  return {
    name,
    ...geometry,
    hash,
    maxItemSize: Math.min(bitmap ? blocksize * blocks : blocksize, 2 ** 31 - 1),
    purgeLru: flag(def, 'purge_lru'),
    lazyExpire,
    ignoreFull: flag(def, 'ignore_full'),
    lastmod: flag(def, 'lastmod') || globals.useLastModified,
    sweepOnFull: flag(def, 'sweep_on_full'),
    clearOnFull: flag(def, 'clear_on_full'),
    sweep: !lazyExpire && !noExpire,
    mathInitial,
    store: store === undefined || store === '' ? null : store,
    storeSync: count(def, 'store_sync', globals.storeSync, `invalid store_sync for ${label}`),
    storeDelete: flag(def, 'store_delete'),
    offset: block.offset,
    size: offsets.size,
    origin: def.where,
    notes: def.notes,
  };
}

function definition(raw: string, origin: Origin): Definition {
  const where = formatOrigin(origin);
  const keys = new Map<string, string>();
  const notes: string[] = [];
  for (const [key, value] of kvPairs(raw)) {
    const canonical = KEYS[key];
    if (canonical === undefined) {
      notes.push(`cache2 key "${key}" is unknown and ignored, as uWSGI does (${where})`);
      continue;
    }
    if (HEAD_ONLY.has(canonical))
      notes.push(`cache2 key "${key}" is a uWSGI 2.1 key (2.0.21 ignores it); uwsgi-ts serves it (${where})`);
    keys.set(canonical, value);
  }
  return { keys, where, notes };
}

/**
 * Plans every cache of the instance, in uWSGI's order (the legacy `cache` first, named
 * "default", then each `cache2`), reserving each one's block in `layout`.
 *
 * @example
 * const layout = new LayoutBuilder();
 * const plans = planCaches(config, layout); // before layout.build()
 */
export function planCaches(config: Config, layout: LayoutBuilder): CachePlan[] {
  for (const option of ['cache-udp-server', 'cache-udp-node', 'cache-sync'] as const) {
    const given = config.get(option);
    if (given)
      throw new UwsgiError(
        'ERR_CACHE_UNSUPPORTED',
        `option "${option}" (${formatOrigin(given.origin)}) is not supported by uwsgi-ts: caches are not replicated; share one instance's cache over the uwsgi protocol (name@host:port) instead`,
      );
  }
  const globals = globalsOf(config);
  const plans: CachePlan[] = [];
  const names = new Map<string, string>();
  const add = (plan: () => CachePlan, name: string | undefined, where: string) => {
    // uWSGI 2.0.21 creates both caches and every lookup finds the first: refused here
    const first = name === undefined ? undefined : names.get(name);
    if (first !== undefined) fail(`cache "${name}" is already defined (${first})`, where);
    const made = plan();
    names.set(made.name, made.origin);
    plans.push(made);
  };
  const legacy = config.get('cache');
  if (legacy && legacy.value > 0) {
    const def: Definition = { keys: new Map(), where: formatOrigin(legacy.origin), notes: [] };
    const store = config.value('cache-store');
    const legacyItems = {
      items: legacy.value,
      blocksize: config.value('cache-blocksize') ?? DEFAULTS.blocksize,
      store: store === undefined || store === '' ? undefined : store,
    };
    add(() => planOne(def, globals, layout, legacyItems), 'default', def.where);
  }
  for (const option of config.all('cache2')) {
    const def = definition(option.raw, option.origin);
    add(() => planOne(def, globals, layout, undefined), def.keys.get('name'), def.where);
  }
  return plans;
}

/**
 * Plans one cache from a cache2 value without a Config (benchmarks, tests, tools).
 *
 * @example
 * const plan = planCache('name=bench,items=1000,blocksize=128', layout);
 */
export function planCache(
  kvlist: string,
  layout: LayoutBuilder,
  globals: CacheGlobals = NO_GLOBALS,
  origin: Origin = { kind: 'argv', index: 0, flag: '--cache2' },
): CachePlan {
  return planOne(definition(kvlist, origin), globals, layout, undefined);
}

/** The sweeper the master runs, or undefined when no cache needs one. */
export function planCacheSweeper(config: Config, plans: readonly CachePlan[]): CacheSweeperPlan | undefined {
  if (!plans.some((p) => p.sweep)) return undefined;
  return {
    every: config.value('cache-expire-freq'),
    report: config.value('cache-report-freed-items') === true,
  };
}
