// Cache persistence (`store`, `cache-store`; reference §7.1): uWSGI maps the store file itself;
// here the master copies the cache's block to the file (at start, every store_sync cycles, at
// shutdown) and back at start. The file carries a magic and the plan's geometry, so a store of
// another geometry is refused as uWSGI refuses a file of the wrong size. Writes are atomic
// (a temp file renamed over the old one): a crash mid-write leaves the previous store.

import {
  closeSync,
  existsSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { UwsgiError } from '../errors.js';
import { LOCK_BYTES, SharedRwLock } from '../locks/shared-rwlock.js';
import type { SharedRegion } from '../shared/region.js';
import {
  cacheOffsets,
  H_FREE,
  H_FULL,
  H_HITS,
  H_ITEMS,
  H_LRU_HEAD,
  H_LRU_TAIL,
  H_MISS,
  H_UNUSED,
  S_BLOCK,
  S_HNEXT,
  S_KEYLEN,
  S_VALSIZE,
} from './cache-layout.js';
import { cacheRestoredLine, cacheStoreCreatedLine, cacheStoreRecoveredLine } from './cache-messages.js';
import type { CachePlan } from './cache-plan.js';

/** 16 bytes: the format's name and version. */
const MAGIC = Buffer.from('uwsgi-ts cache\0\x01', 'latin1');

/** What decides whether a store fits a plan. */
function geometryOf(plan: CachePlan): string {
  const { items, blocksize, blocks, keysize, hashsize, hash, bitmap, size } = plan;
  return JSON.stringify({ items, blocksize, blocks, keysize, hashsize, hash, bitmap, size });
}

export interface StoreLoadResult {
  /** created: no file (a new one was written); recovered: items restored; replaced: store_delete. */
  readonly status: 'created' | 'recovered' | 'replaced';
  readonly items: number;
  /** What uWSGI logs for the same outcome. */
  readonly lines: readonly string[];
}

/**
 * Restores a cache from its store file before the workers start (the region must be otherwise
 * unused by the cache). A missing file is created. A file that is not a store of this geometry
 * throws ERR_CACHE_STORE_INVALID (uWSGI's `invalid cache store file` meaning), unless the plan has
 * store_delete: then it is replaced by an empty store.
 *
 * @example
 * for (const line of loadStore(plan, region).lines) log(line);
 */
export function loadStore(
  plan: CachePlan,
  region: SharedRegion,
  path: string = storePath(plan),
): StoreLoadResult {
  if (!existsSync(path)) {
    saveStore(plan, region, path);
    return { status: 'created', items: 0, lines: [cacheStoreCreatedLine(path), cacheRestoredLine(0)] };
  }
  let file: Buffer;
  try {
    file = readFileSync(path);
  } catch (err) {
    throw new UwsgiError('ERR_CACHE_STORE_INVALID', `cache "${plan.name}": cannot read store file ${path}`, {
      cause: err,
    });
  }
  const why = invalidReason(plan, file);
  if (why !== undefined) {
    if (!plan.storeDelete)
      throw new UwsgiError(
        'ERR_CACHE_STORE_INVALID',
        `invalid cache store file. Please remove it or fix cache blocksize/items to match its size: ${path} (cache "${plan.name}", ${plan.origin}: ${why})`,
      );
    rmSync(path, { force: true });
    saveStore(plan, region, path);
    return {
      status: 'replaced',
      items: 0,
      lines: [
        `Removing invalid cache store file: ${path}`,
        cacheStoreCreatedLine(path),
        cacheRestoredLine(0),
      ],
    };
  }
  const body = file.subarray(file.length - plan.size);
  const lock = new SharedRwLock(region, plan.offset);
  lock.lock();
  let items: number;
  try {
    region.bytes.set(body.subarray(LOCK_BYTES), plan.offset + LOCK_BYTES);
    const f64 = new Float64Array(region.buffer, plan.offset, 8);
    // uWSGI's counters live outside its store: they restart at zero
    f64[H_HITS] = 0;
    f64[H_MISS] = 0;
    f64[H_FULL] = 0;
    items = new Int32Array(region.buffer, plan.offset, 8)[H_ITEMS]!;
  } finally {
    lock.unlock();
  }
  return { status: 'recovered', items, lines: [cacheStoreRecoveredLine(path), cacheRestoredLine(items)] };
}

/** Writes the cache to its store file now (atomically). */
export function saveStore(plan: CachePlan, region: SharedRegion, path: string = storePath(plan)): void {
  const data = snapshot(plan, region);
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    for (const part of data) {
      let done = 0;
      while (done < part.length) done += writeSync(fd, part, done, part.length - done);
    }
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  closeSync(fd);
  renameSync(tmp, path);
}

/** saveStore without blocking the event loop on the disk (the copy of the block is synchronous). */
export async function saveStoreAsync(
  plan: CachePlan,
  region: SharedRegion,
  path: string = storePath(plan),
): Promise<void> {
  const data = snapshot(plan, region);
  const tmp = `${path}.tmp-${process.pid}`;
  const file = await open(tmp, 'w', 0o600);
  try {
    for (const part of data) await file.write(part);
    await file.sync();
  } catch (err) {
    await file.close();
    await rm(tmp, { force: true });
    throw err;
  }
  await file.close();
  await rename(tmp, path);
}

function storePath(plan: CachePlan): string {
  if (plan.store === null) throw new TypeError(`cache "${plan.name}" has no store`);
  return plan.store;
}

/** Magic, geometry and a consistent copy of the block (taken under the cache's lock). */
function snapshot(plan: CachePlan, region: SharedRegion): Buffer[] {
  const geometry = Buffer.from(geometryOf(plan));
  const head = Buffer.alloc(MAGIC.length + 4);
  MAGIC.copy(head);
  head.writeUInt32LE(geometry.length, MAGIC.length);
  const lock = new SharedRwLock(region, plan.offset);
  // a read: the workers' gets go on while the copy is taken
  lock.rdlock();
  let body: Buffer;
  try {
    body = Buffer.from(region.bytes.subarray(plan.offset, plan.offset + plan.size));
  } finally {
    lock.rdunlock();
  }
  body.fill(0, 0, LOCK_BYTES);
  return [head, geometry, body];
}

/** Why `file` cannot be restored into `plan`'s cache; undefined when it can. */
function invalidReason(plan: CachePlan, file: Buffer): string | undefined {
  if (file.length < MAGIC.length + 4 || !file.subarray(0, MAGIC.length).equals(MAGIC))
    return 'not a uwsgi-ts cache store';
  const length = file.readUInt32LE(MAGIC.length);
  const start = MAGIC.length + 4;
  if (file.length < start + length) return 'truncated';
  const geometry = file.toString('utf8', start, start + length);
  if (geometry !== geometryOf(plan)) return `written for ${geometry}`;
  if (file.length !== start + length + plan.size) return 'truncated';
  return consistent(plan, file.subarray(start + length));
}

/** A light check of the links, so a damaged file cannot send the engine round in circles. */
function consistent(plan: CachePlan, body: Buffer): string | undefined {
  const copy = new Uint8Array(body.length);
  copy.set(body);
  const i32 = new Int32Array(copy.buffer);
  const o = cacheOffsets(plan);
  const slotI32 = (s: number) => (o.slots + (s - 1) * o.slotBytes) >>> 2;
  const used = i32[H_UNUSED]!;
  const bad = (s: number) => s < 0 || s > used;
  if (used < 0 || used > plan.items || i32[H_ITEMS]! < 0 || i32[H_ITEMS]! > used) return 'damaged head';
  if (bad(i32[H_FREE]!) || bad(i32[H_LRU_HEAD]!) || bad(i32[H_LRU_TAIL]!)) return 'damaged head';
  let seen = 0;
  for (let bucket = 0; bucket < plan.hashsize; bucket++) {
    for (let s = i32[(o.hash >>> 2) + bucket]!; s !== 0; s = i32[slotI32(s) + S_HNEXT]!) {
      if (bad(s) || ++seen > used) return 'damaged hash chains';
      const b = slotI32(s);
      const keylen = i32[b + S_KEYLEN]!;
      const valsize = i32[b + S_VALSIZE]!;
      const block = i32[b + S_BLOCK]!;
      if (keylen <= 0 || keylen > plan.keysize || valsize <= 0 || valsize > plan.maxItemSize)
        return 'damaged item';
      if (block < 0 || block * plan.blocksize + valsize > plan.blocks * plan.blocksize) return 'damaged item';
    }
  }
  if (seen !== i32[H_ITEMS]) return 'item count does not match';
  return undefined;
}
