// Where a cache keeps each of its parts inside its block of the shared region: a 64-byte head
// (the lock, free lists, counters), the hash table, the item slots, the block bitmap and the data
// blocks. The plan (master) and every Cache (any process) compute the same offsets from the same
// numbers, so no pointer is ever stored: links are slot numbers, 1-based, 0 meaning none.

/** Bytes of the head: lock (8), six i32 fields, four f64 counters. */
export const HEAD_BYTES = 64;

/** i32 indices (from the start of the cache block) of the head fields; 0-1 hold the lock. */
export const H_ITEMS = 2;
/** First slot of the free-slot list (linked through S_HNEXT), 0 when empty. */
export const H_FREE = 3;
/** The lowest slot never used since the last clear (slots above it are free too). */
export const H_UNUSED = 4;
/** Least and most recently used slots (purge_lru only). */
export const H_LRU_HEAD = 5;
export const H_LRU_TAIL = 6;

/**
 * f64 indices of the counters (stats `hits`, `miss`, `full`, `last_modified_at`); `hits` and
 * `miss` are 64-bit integers in those 8 bytes (two int32 words, low first: src/cache/cache.ts).
 */
export const H_HITS = 4;
export const H_MISS = 5;
export const H_FULL = 6;
export const H_LASTMOD = 7;

/** i32 fields of an item slot, from the slot's first i32; S_KEYLEN 0 marks a free slot. */
export const S_KEYLEN = 0;
export const S_HASH = 1;
export const S_VALSIZE = 2;
export const S_BLOCK = 3;
export const S_HPREV = 4;
export const S_HNEXT = 5;
export const S_LPREV = 6;
export const S_LNEXT = 7;
/** f64 field: absolute expiry in epoch seconds, 0 = never. */
export const S_EXPIRES_F64 = 4;
/** Bytes before the key in a slot. */
export const SLOT_HEAD_BYTES = 40;

export interface CacheGeometry {
  readonly items: number;
  readonly keysize: number;
  readonly hashsize: number;
  readonly blocks: number;
  readonly blocksize: number;
  readonly bitmap: boolean;
}

export interface CacheOffsets {
  /** Bytes per item slot (head + key, 8-aligned). */
  readonly slotBytes: number;
  readonly hash: number;
  readonly slots: number;
  readonly bitmap: number;
  readonly bitmapBytes: number;
  readonly data: number;
  /** The whole block (a multiple of 8). */
  readonly size: number;
}

const align8 = (n: number): number => Math.ceil(n / 8) * 8;

export function cacheOffsets(g: CacheGeometry): CacheOffsets {
  const slotBytes = SLOT_HEAD_BYTES + align8(g.keysize);
  const hash = HEAD_BYTES;
  const slots = hash + align8(g.hashsize * 4);
  const bitmap = slots + g.items * slotBytes;
  const bitmapBytes = g.bitmap ? Math.ceil(g.blocks / 8) : 0;
  const data = bitmap + align8(bitmapBytes);
  const size = align8(data + g.blocks * g.blocksize);
  return { slotBytes, hash, slots, bitmap, bitmapBytes, data, size };
}
