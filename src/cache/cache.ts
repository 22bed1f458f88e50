// The cache2 engine (reference §7.2) over a block of the instance's shared memory, usable from any
// process that maps the region: the master, every worker, mule and spooler see the same items at
// once. Every operation holds the cache's SharedLock. Items live in fixed slots chained per hash
// bucket; values live in data blocks (block = slot - 1, or consecutive blocks found in a bitmap).
// The hot paths (get, update) allocate nothing but the returned copy: keys are hashed while they
// are copied into a scratch buffer, compared in place, and headers are read through typed arrays.

import { SharedRwLock } from '../locks/shared-rwlock.js';
import type { SharedRegion } from '../shared/region.js';
import {
  cacheOffsets,
  H_FREE,
  H_FULL,
  H_HITS,
  H_ITEMS,
  H_LASTMOD,
  H_LRU_HEAD,
  H_LRU_TAIL,
  H_MISS,
  H_UNUSED,
  S_BLOCK,
  S_EXPIRES_F64,
  S_HASH,
  S_HNEXT,
  S_HPREV,
  S_KEYLEN,
  S_LNEXT,
  S_LPREV,
  S_VALSIZE,
  SLOT_HEAD_BYTES,
} from './cache-layout.js';
import { cacheFullLine } from './cache-messages.js';
import type { CachePlan } from './cache-plan.js';
import { djb33x, murmur2 } from './key-hash.js';

/** A key: a string (as UTF-8) or bytes. */
export type CacheKey = string | Uint8Array;
/** A value: a string (as UTF-8) or bytes. */
export type CacheValue = string | Uint8Array;

export interface CacheOptions {
  /**
   * Called after the operation (outside the lock) with the line to log when a set found the cache
   * full (`*** DANGER cache "x" is FULL !!! ***`, or the LRU purge line). Not called with ignore_full.
   */
  readonly onFull?: (line: string) => void;
  /** The clock, in whole epoch seconds (uWSGI's uwsgi_now()); tests inject one. */
  readonly now?: () => number;
}

/** A cache in the stats document (reference §5 `caches`). */
export interface CacheStats {
  readonly name: string;
  readonly hash: string;
  readonly hashsize: number;
  readonly keysize: number;
  readonly max_items: number;
  readonly blocks: number;
  readonly blocksize: number;
  readonly items: number;
  readonly hits: number;
  readonly miss: number;
  readonly full: number;
  readonly last_modified_at: number;
}

export interface CacheEntry {
  readonly value: Buffer;
  /** Absolute expiry in epoch seconds, 0 = never. */
  readonly expires: number;
}

/** The math operations of cache_inc/dec/mul/div (uWSGI's MATH flags). */
export type CacheMathOp = 'inc' | 'dec' | 'mul' | 'div';

const encoder = new TextEncoder();
const wholeSeconds = (): number => Math.floor(Date.now() / 1000);
const INT64_MIN = -(2n ** 63n);

/**
 * One cache of the instance. Construct it in any process from the master's plan and the mapped
 * region; all instances over the same region share the items.
 *
 * @example
 * const cache = new Cache(plan, region, { onFull: (line) => log(line) });
 * cache.set('greeting', 'hello', 60); // expires in 60 s
 * cache.get('greeting')?.toString(); // 'hello'
 */
export class Cache {
  readonly name: string;
  readonly plan: CachePlan;
  private readonly lock: SharedRwLock;
  private readonly i32: Int32Array;
  private readonly f64: Float64Array;
  private readonly u8: Buffer;
  private readonly now: () => number;
  private readonly onFull: ((line: string) => void) | undefined;

  private readonly hashI32: number;
  private readonly hashsize: number;
  private readonly slotsByte: number;
  private readonly slotBytes: number;
  private readonly bitmapByte: number;
  private readonly dataByte: number;
  private readonly items: number;
  private readonly blocks: number;
  private readonly blocksize: number;
  private readonly keysize: number;
  private readonly maxItemSize: number;
  private readonly useBitmap: boolean;
  private readonly lru: boolean;
  private readonly lazy: boolean;
  /** Reads take the lock shared (neither purge_lru nor lazy_expire). */
  private readonly sharedReads: boolean;
  private readonly murmur: boolean;
  private readonly mathInitial: bigint;

  // The prepared key: its bytes (the scratch, or the caller's array), length and hash.
  private readonly keyScratch: Uint8Array;
  /** The scratch as int32 words: a string key is compared 4 bytes at a time. */
  private readonly keyWords: Int32Array;
  private key: Uint8Array;
  private keyLen = 0;
  private keyHash = 0;
  // The prepared value: bytes, or a string written as UTF-8 straight into its block.
  private value: Uint8Array;
  private valueText: string | undefined;
  private valueLen = 0;
  private readonly mathBytes = new Uint8Array(8);
  private readonly mathInt = new BigInt64Array(this.mathBytes.buffer);
  /** Set while locked when the operation found the cache full; reported after unlocking. */
  private fullPending = false;

  constructor(plan: CachePlan, region: SharedRegion, options: CacheOptions = {}) {
    this.name = plan.name;
    this.plan = plan;
    this.lock = new SharedRwLock(region, plan.offset);
    this.i32 = new Int32Array(region.buffer, plan.offset, plan.size / 4);
    this.f64 = new Float64Array(region.buffer, plan.offset, plan.size / 8);
    this.u8 = Buffer.from(region.buffer, plan.offset, plan.size);
    this.now = options.now ?? wholeSeconds;
    this.onFull = plan.ignoreFull ? undefined : options.onFull;
    const o = cacheOffsets(plan);
    this.hashI32 = o.hash >>> 2;
    this.hashsize = plan.hashsize;
    this.slotsByte = o.slots;
    this.slotBytes = o.slotBytes;
    this.bitmapByte = o.bitmap;
    this.dataByte = o.data;
    this.items = plan.items;
    this.blocks = plan.blocks;
    this.blocksize = plan.blocksize;
    this.keysize = plan.keysize;
    this.maxItemSize = plan.maxItemSize;
    this.useBitmap = plan.bitmap;
    this.lru = plan.purgeLru;
    this.lazy = plan.lazyExpire;
    this.sharedReads = !this.lru && !this.lazy;
    this.murmur = plan.hash === 'murmur2';
    this.mathInitial = BigInt(plan.mathInitial);
    this.keyWords = new Int32Array(Math.ceil((plan.keysize + 4) / 4));
    this.keyScratch = new Uint8Array(this.keyWords.buffer);
    this.key = this.keyScratch;
    this.value = this.mathBytes;
  }

  /** A copy of the value, or undefined (a miss: counted, as uWSGI counts every failed get). */
  get(key: CacheKey): Buffer | undefined {
    const valid = this.prepareKey(key);
    this.readLock();
    try {
      const s = this.hit(valid);
      if (s === 0) return undefined;
      const start = this.valueByte(s);
      const len = this.i32[this.slotI32(s) + S_VALSIZE]!;
      const out = Buffer.allocUnsafe(len);
      this.u8.copy(out, 0, start, start + len);
      return out;
    } finally {
      this.readUnlock();
    }
  }

  /** The value decoded as UTF-8 (no intermediate copy), or undefined. */
  getString(key: CacheKey): string | undefined {
    const valid = this.prepareKey(key);
    this.readLock();
    try {
      const s = this.hit(valid);
      if (s === 0) return undefined;
      const start = this.valueByte(s);
      return this.u8.toString('utf8', start, start + this.i32[this.slotI32(s) + S_VALSIZE]!);
    } finally {
      this.readUnlock();
    }
  }

  /** Value and absolute expiry, read together (the remote `get` reply carries both). */
  getEntry(key: CacheKey): CacheEntry | undefined {
    const valid = this.prepareKey(key);
    this.readLock();
    try {
      const s = this.hit(valid);
      if (s === 0) return undefined;
      const start = this.valueByte(s);
      // as get(): one allocation and a copy (Buffer.from of a subarray made a view first)
      const len = this.i32[this.slotI32(s) + S_VALSIZE]!;
      const value = Buffer.allocUnsafe(len);
      this.u8.copy(value, 0, start, start + len);
      return { value, expires: this.f64[this.expiresF64(s)]! };
    } finally {
      this.readUnlock();
    }
  }

  /** True when the key is there (not counted as a hit, does not refresh the LRU order). */
  exists(key: CacheKey): boolean {
    if (!this.prepareKey(key)) return false;
    this.readLock();
    try {
      return this.lookup() !== 0;
    } finally {
      this.readUnlock();
    }
  }

  /**
   * Stores a new key; false when the key is already there, the key or value is empty or too big,
   * or the cache is full (then the full line is reported, unless purge_lru made room).
   * `expires`: seconds from now, 0 = never.
   */
  set(key: CacheKey, value: CacheValue, expires = 0): boolean {
    return this.write(key, value, expires, false);
  }

  /** Stores the key whether it exists or not (the expiry is replaced too). */
  update(key: CacheKey, value: CacheValue, expires = 0): boolean {
    return this.write(key, value, expires, true);
  }

  del(key: CacheKey): boolean {
    if (!this.prepareKey(key)) return false;
    this.lock.lock();
    try {
      const s = this.lookup();
      if (s === 0) return false;
      this.remove(s);
      this.touchLastModified();
      return true;
    } finally {
      this.lock.unlock();
    }
  }

  clear(): void {
    this.lock.lock();
    try {
      this.clearLocked();
      this.touchLastModified();
    } finally {
      this.lock.unlock();
    }
  }

  /** Every key, in hash-table order as uWSGI lists them; decoded as UTF-8. */
  keys(): string[] {
    const out: string[] = [];
    this.readLock();
    try {
      const i32 = this.i32;
      const now = this.lazy ? this.now() : 0;
      for (let bucket = 0; bucket < this.hashsize; bucket++) {
        for (let s = i32[this.hashI32 + bucket]!; s !== 0; s = i32[this.slotI32(s) + S_HNEXT]!) {
          if (this.lazy) {
            const e = this.f64[this.expiresF64(s)]!;
            if (e !== 0 && e <= now) continue;
          }
          const at = this.slotByte(s) + SLOT_HEAD_BYTES;
          out.push(this.u8.toString('utf8', at, at + i32[this.slotI32(s) + S_KEYLEN]!));
        }
      }
    } finally {
      this.readUnlock();
    }
    return out;
  }

  /**
   * int64 math on a value (uWSGI's cache_inc/dec/mul/div): the value is read as a little-endian
   * int64 (its first 8 bytes, zero-extended when shorter), a missing key starts at math_initial,
   * the result (wrapped to 64 bits; x / 0 = 0) is stored as 8 bytes like an update.
   * Returns the new value, or undefined when it could not be stored.
   */
  math(
    key: CacheKey,
    op: CacheMathOp,
    amount: number | bigint = op === 'mul' || op === 'div' ? 2 : 1,
    expires = 0,
  ): bigint | undefined {
    const by = BigInt(amount);
    if (!this.prepareKey(key)) return undefined;
    const abs = expires > 0 ? this.now() + expires : 0;
    let result: bigint | undefined;
    this.lock.lock();
    try {
      const s = this.lookup();
      const current = s === 0 ? this.mathInitial : this.readInt64(s, false);
      const next = BigInt.asIntN(64, compute(op, current, by));
      this.mathInt[0] = next;
      this.value = this.mathBytes;
      this.valueText = undefined;
      this.valueLen = 8;
      if (this.writeLocked(true, abs)) result = next;
    } finally {
      this.lock.unlock();
    }
    if (this.fullPending) this.reportFull();
    return result;
  }

  inc(key: CacheKey, amount: number | bigint = 1, expires = 0): bigint | undefined {
    return this.math(key, 'inc', amount, expires);
  }

  dec(key: CacheKey, amount: number | bigint = 1, expires = 0): bigint | undefined {
    return this.math(key, 'dec', amount, expires);
  }

  mul(key: CacheKey, amount: number | bigint = 2, expires = 0): bigint | undefined {
    return this.math(key, 'mul', amount, expires);
  }

  div(key: CacheKey, amount: number | bigint = 2, expires = 0): bigint | undefined {
    return this.math(key, 'div', amount, expires);
  }

  /** The int64 of an 8-byte value; 0 for a missing key or a value of another size (as uWSGI). */
  num(key: CacheKey): bigint {
    if (!this.prepareKey(key)) return 0n;
    this.readLock();
    try {
      const s = this.lookup();
      return s === 0 ? 0n : this.readInt64(s, true);
    } finally {
      this.readUnlock();
    }
  }

  /** Deletes every item whose expiry is due (`expires <= now`); returns how many. The master's sweeper. */
  sweep(nowSeconds: number = this.now()): number {
    this.lock.lock();
    try {
      return this.sweepLocked(nowSeconds, 0);
    } finally {
      this.lock.unlock();
    }
  }

  /** Items stored now. */
  count(): number {
    return this.i32[H_ITEMS]!;
  }

  stats(): CacheStats {
    this.readLock();
    try {
      const p = this.plan;
      return {
        name: p.name,
        hash: p.hash,
        hashsize: p.hashsize,
        keysize: p.keysize,
        max_items: p.items,
        blocks: p.blocks,
        blocksize: p.blocksize,
        items: this.i32[H_ITEMS]!,
        hits: this.counted(H_HITS),
        miss: this.counted(H_MISS),
        full: this.f64[H_FULL]!,
        last_modified_at: this.f64[H_LASTMOD]!,
      };
    } finally {
      this.readUnlock();
    }
  }

  /** The pid holding the cache's lock, 0 when free (stats `locks`: `cache_<name>`). */
  lockHolder(): number {
    return this.lock.holder();
  }

  // --- internals: everything below runs with the lock held unless said otherwise ---

  /** A get's lookup: counts the hit or miss and refreshes the LRU order; the slot or 0. */
  /**
   * Reads share the lock unless they change the cache: a purge_lru cache moves a hit to the
   * front, a lazy_expire one drops an expired item as it finds it.
   */
  private readLock(): void {
    if (this.sharedReads) this.lock.rdlock();
    else this.lock.lock();
  }

  private readUnlock(): void {
    if (this.sharedReads) this.lock.rdunlock();
    else this.lock.unlock();
  }

  /**
   * Hits and misses are counted by readers that hold the lock together: atomically, as a 64-bit
   * count in two int32 words where the layout keeps the counter (uWSGI loses counts here).
   */
  private tally(counter: number): void {
    const lo = counter * 2;
    if (Atomics.add(this.i32, lo, 1) === -1) Atomics.add(this.i32, lo + 1, 1);
  }

  private counted(counter: number): number {
    const lo = counter * 2;
    return Atomics.load(this.i32, lo + 1) * 4294967296 + (Atomics.load(this.i32, lo) >>> 0);
  }

  private hit(valid: boolean): number {
    const s = valid ? this.lookup() : 0;
    if (s === 0) {
      this.tally(H_MISS);
      return 0;
    }
    this.tally(H_HITS);
    if (this.lru) this.touch(s);
    return s;
  }

  private write(key: CacheKey, value: CacheValue, expires: number, update: boolean): boolean {
    if (!this.prepareKey(key) || !this.prepareValue(value)) return false;
    const abs = expires > 0 ? this.now() + expires : 0;
    let done: boolean;
    this.lock.lock();
    try {
      done = this.writeLocked(update, abs);
    } finally {
      this.lock.unlock();
    }
    // drop the caller's value: the next call must not keep it alive
    this.valueText = undefined;
    this.value = this.mathBytes;
    if (this.fullPending) this.reportFull();
    return done;
  }

  /** Stores the prepared key and value. */
  private writeLocked(update: boolean, expires: number): boolean {
    const i32 = this.i32;
    const len = this.valueLen;
    let s = this.lookup();
    if (s !== 0) {
      if (!update) return false;
      const b = this.slotI32(s);
      if (this.useBitmap) {
        // uwsgi-ts fix: the item's own blocks count as free, so a value that fits where the old
        // one was is always stored (uWSGI 2.0.21 allocates before freeing and refuses it when full)
        const oldFirst = i32[b + S_BLOCK]!;
        const oldCount = this.blocksFor(i32[b + S_VALSIZE]!);
        this.markBlocks(oldFirst, oldCount, false);
        const first = this.allocBlocks(this.blocksFor(len), s);
        if (first < 0) {
          this.markBlocks(oldFirst, oldCount, true);
          return false;
        }
        this.markBlocks(first, this.blocksFor(len), true);
        i32[b + S_BLOCK] = first;
      }
      i32[b + S_VALSIZE] = len;
      this.f64[this.expiresF64(s)] = expires;
      this.copyValue(this.valueByte(s));
      if (this.lru) this.touch(s);
      this.touchLastModified();
      return true;
    }
    // a new item: make sure a slot (and blocks) are free before taking anything
    const count = this.useBitmap ? this.blocksFor(len) : 0;
    let first = 0;
    for (;;) {
      if (i32[H_FREE] !== 0 || i32[H_UNUSED]! < this.items) {
        if (!this.useBitmap) break;
        first = this.findBlocks(count);
        if (first >= 0) break;
      }
      if (!this.makeRoom(0)) return false;
    }
    if (i32[H_FREE] !== 0) {
      s = i32[H_FREE]!;
      i32[H_FREE] = i32[this.slotI32(s) + S_HNEXT]!;
    } else {
      s = ++i32[H_UNUSED]!;
    }
    const b = this.slotI32(s);
    if (this.useBitmap) this.markBlocks(first, count, true);
    i32[b + S_BLOCK] = this.useBitmap ? first : s - 1;
    i32[b + S_KEYLEN] = this.keyLen;
    i32[b + S_HASH] = this.keyHash | 0;
    i32[b + S_VALSIZE] = len;
    this.f64[this.expiresF64(s)] = expires;
    const bucket = this.hashI32 + (this.keyHash % this.hashsize);
    const head = i32[bucket]!;
    i32[b + S_HPREV] = 0;
    i32[b + S_HNEXT] = head;
    if (head !== 0) i32[this.slotI32(head) + S_HPREV] = s;
    i32[bucket] = s;
    if (this.lru) this.lruAppend(s);
    i32[H_ITEMS]!++;
    const keyAt = this.slotByte(s) + SLOT_HEAD_BYTES;
    const key = this.key;
    for (let j = 0; j < this.keyLen; j++) this.u8[keyAt + j] = key[j]!;
    this.copyValue(this.valueByte(s));
    this.touchLastModified();
    return true;
  }

  /**
   * The cache is full: count it, then try the remedies the plan allows (sweep_on_full,
   * clear_on_full, purge_lru), never removing `keep`. Returns true when something was freed.
   */
  private makeRoom(keep: number): boolean {
    if (!this.fullPending) {
      this.fullPending = true;
      this.f64[H_FULL]!++;
      if (this.plan.sweepOnFull && this.sweepLocked(this.now(), keep) > 0) return true;
    }
    if (this.plan.clearOnFull && keep === 0 && this.i32[H_ITEMS]! > 0) {
      this.clearLocked();
      return true;
    }
    if (this.lru) {
      let victim = this.i32[H_LRU_HEAD]!;
      if (victim === keep && victim !== 0) victim = this.i32[this.slotI32(victim) + S_LNEXT]!;
      if (victim !== 0) {
        this.remove(victim);
        return true;
      }
    }
    return false;
  }

  private reportFull(): void {
    this.fullPending = false;
    this.onFull?.(cacheFullLine(this.name, this.lru));
  }

  /** First of `count` consecutive free blocks, making room if needed; -1 when there is none. */
  private allocBlocks(count: number, keep: number): number {
    for (;;) {
      const first = this.findBlocks(count);
      if (first >= 0) return first;
      if (!this.makeRoom(keep)) return -1;
    }
  }

  /** The slot of the prepared key, 0 when absent; an expired item is deleted first with lazy_expire. */
  private lookup(): number {
    const i32 = this.i32;
    const hash = this.keyHash | 0;
    const len = this.keyLen;
    let s = i32[this.hashI32 + (this.keyHash % this.hashsize)]!;
    while (s !== 0) {
      const b = this.slotI32(s);
      if (i32[b + S_HASH] === hash && i32[b + S_KEYLEN] === len && this.keyMatches(s)) {
        if (this.lazy) {
          const e = this.f64[this.expiresF64(s)]!;
          if (e !== 0 && e <= this.now()) {
            this.remove(s);
            return 0;
          }
        }
        return s;
      }
      s = i32[b + S_HNEXT]!;
    }
    return 0;
  }

  private keyMatches(s: number): boolean {
    const u8 = this.u8;
    const key = this.key;
    const len = this.keyLen;
    const at = this.slotByte(s) + SLOT_HEAD_BYTES;
    let j = 0;
    if (key === this.keyScratch) {
      // keys start 8-aligned in their slot: whole words first
      const i32 = this.i32;
      const words = this.keyWords;
      const first = at >>> 2;
      const n = len >>> 2;
      for (; j < n; j++) if (i32[first + j] !== words[j]) return false;
      j = n << 2;
    }
    for (; j < len; j++) if (u8[at + j] !== key[j]) return false;
    return true;
  }

  /** Unlinks and frees a slot. */
  private remove(s: number): void {
    const i32 = this.i32;
    const b = this.slotI32(s);
    const prev = i32[b + S_HPREV]!;
    const next = i32[b + S_HNEXT]!;
    if (prev !== 0) i32[this.slotI32(prev) + S_HNEXT] = next;
    else i32[this.hashI32 + ((i32[b + S_HASH]! >>> 0) % this.hashsize)] = next;
    if (next !== 0) i32[this.slotI32(next) + S_HPREV] = prev;
    if (this.lru) this.lruUnlink(s);
    if (this.useBitmap) this.markBlocks(i32[b + S_BLOCK]!, this.blocksFor(i32[b + S_VALSIZE]!), false);
    i32[b + S_KEYLEN] = 0;
    i32[b + S_HNEXT] = i32[H_FREE]!;
    i32[H_FREE] = s;
    i32[H_ITEMS]!--;
  }

  private clearLocked(): void {
    const i32 = this.i32;
    i32.fill(0, this.hashI32, this.hashI32 + this.hashsize);
    i32[H_ITEMS] = 0;
    i32[H_FREE] = 0;
    i32[H_UNUSED] = 0;
    i32[H_LRU_HEAD] = 0;
    i32[H_LRU_TAIL] = 0;
    if (this.useBitmap) this.u8.fill(0, this.bitmapByte, this.bitmapByte + Math.ceil(this.blocks / 8));
  }

  private sweepLocked(now: number, keep: number): number {
    const i32 = this.i32;
    const used = i32[H_UNUSED]!;
    let freed = 0;
    for (let s = 1; s <= used; s++) {
      if (s === keep || i32[this.slotI32(s) + S_KEYLEN] === 0) continue;
      const e = this.f64[this.expiresF64(s)]!;
      if (e !== 0 && e <= now) {
        this.remove(s);
        freed++;
      }
    }
    return freed;
  }

  private touch(s: number): void {
    if (this.i32[H_LRU_TAIL] === s) return;
    this.lruUnlink(s);
    this.lruAppend(s);
  }

  private lruAppend(s: number): void {
    const i32 = this.i32;
    const b = this.slotI32(s);
    const tail = i32[H_LRU_TAIL]!;
    i32[b + S_LPREV] = tail;
    i32[b + S_LNEXT] = 0;
    if (tail !== 0) i32[this.slotI32(tail) + S_LNEXT] = s;
    else i32[H_LRU_HEAD] = s;
    i32[H_LRU_TAIL] = s;
  }

  private lruUnlink(s: number): void {
    const i32 = this.i32;
    const b = this.slotI32(s);
    const prev = i32[b + S_LPREV]!;
    const next = i32[b + S_LNEXT]!;
    if (prev !== 0) i32[this.slotI32(prev) + S_LNEXT] = next;
    else i32[H_LRU_HEAD] = next;
    if (next !== 0) i32[this.slotI32(next) + S_LPREV] = prev;
    else i32[H_LRU_TAIL] = prev;
  }

  private touchLastModified(): void {
    if (this.plan.lastmod) this.f64[H_LASTMOD] = this.now();
  }

  private readInt64(s: number, exact: boolean): bigint {
    const len = this.i32[this.slotI32(s) + S_VALSIZE]!;
    if (exact && len !== 8) return 0n;
    const at = this.valueByte(s);
    const bytes = this.mathBytes;
    for (let j = 0; j < 8; j++) bytes[j] = j < len ? this.u8[at + j]! : 0;
    return this.mathInt[0]!;
  }

  private blocksFor(len: number): number {
    return Math.ceil(len / this.blocksize);
  }

  private findBlocks(count: number): number {
    const u8 = this.u8;
    const base = this.bitmapByte;
    const total = this.blocks;
    let run = 0;
    let start = 0;
    for (let i = 0; i < total; ) {
      const byte = u8[base + (i >>> 3)]!;
      if ((i & 7) === 0 && byte === 0xff) {
        run = 0;
        i += 8;
        continue;
      }
      if (byte & (1 << (i & 7))) run = 0;
      else {
        if (run === 0) start = i;
        if (++run === count) return start;
      }
      i++;
    }
    return -1;
  }

  private markBlocks(first: number, count: number, used: boolean): void {
    const u8 = this.u8;
    const base = this.bitmapByte;
    for (let i = first; i < first + count; i++) {
      if (used) u8[base + (i >>> 3)]! |= 1 << (i & 7);
      else u8[base + (i >>> 3)]! &= ~(1 << (i & 7));
    }
  }

  private slotByte(s: number): number {
    return this.slotsByte + (s - 1) * this.slotBytes;
  }

  private slotI32(s: number): number {
    return (this.slotsByte + (s - 1) * this.slotBytes) >>> 2;
  }

  private expiresF64(s: number): number {
    return ((this.slotsByte + (s - 1) * this.slotBytes) >>> 3) + S_EXPIRES_F64;
  }

  private valueByte(s: number): number {
    return this.dataByte + this.i32[this.slotI32(s) + S_BLOCK]! * this.blocksize;
  }

  // --- key and value preparation (no lock needed: per-instance scratch) ---

  /** Hashes the key while copying it into the scratch; false when empty or longer than keysize. */
  private prepareKey(key: CacheKey): boolean {
    if (typeof key === 'string') {
      const n = key.length;
      // UTF-8 never has fewer bytes than UTF-16 units
      if (n === 0 || n > this.keysize) return false;
      const scratch = this.keyScratch;
      let h = 5381;
      let i = 0;
      for (; i < n; i++) {
        const c = key.charCodeAt(i);
        if (c >= 0x80) break;
        scratch[i] = c;
        h = Math.imul(h, 33) ^ c;
      }
      this.key = scratch;
      if (i === n) {
        this.keyLen = n;
        this.keyHash = this.murmur ? murmur2(scratch, n) : h >>> 0;
        return true;
      }
      const r = encoder.encodeInto(key, scratch);
      if (r.read < n || r.written > this.keysize) return false;
      this.keyLen = r.written;
      this.keyHash = this.murmur ? murmur2(scratch, r.written) : djb33x(scratch, r.written);
      return true;
    }
    const n = key.length;
    if (n === 0 || n > this.keysize) return false;
    this.key = key;
    this.keyLen = n;
    this.keyHash = this.murmur ? murmur2(key, n) : djb33x(key, n);
    return true;
  }

  /** False when the value is empty or bigger than the largest item (uWSGI refuses both). */
  private prepareValue(value: CacheValue): boolean {
    const n = value.length;
    // a string's UTF-8 is never shorter than its UTF-16 units
    if (n === 0 || n > this.maxItemSize) return false;
    if (typeof value === 'string') {
      const len = Buffer.byteLength(value, 'utf8');
      if (len > this.maxItemSize) return false;
      this.valueText = value;
      this.valueLen = len;
      return true;
    }
    this.value = value;
    this.valueText = undefined;
    this.valueLen = n;
    return true;
  }

  /** Writes the prepared value at `at` (a string is encoded in place: no intermediate copy). */
  private copyValue(at: number): void {
    if (this.valueText !== undefined) this.u8.write(this.valueText, at, this.valueLen, 'utf8');
    else this.u8.set(this.value, at);
  }
}

function compute(op: CacheMathOp, current: bigint, by: bigint): bigint {
  switch (op) {
    case 'inc':
      return current + by;
    case 'dec':
      return current - by;
    case 'mul':
      return current * by;
    case 'div':
      // uWSGI: division by zero gives 0; INT64_MIN / -1 wraps instead of trapping
      if (by === 0n) return 0n;
      if (current === INT64_MIN && by === -1n) return INT64_MIN;
      return current / by;
  }
}
