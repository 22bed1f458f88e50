// The two key hashes a cache2 may use (`hash=`, reference §7.1), over a key's bytes. They pick
// the hash-table bucket, and so the order of cache_keys(); values are unsigned 32-bit.

/** djb33x: h = 5381; h = h * 33 ^ c, with c a signed char as in uWSGI's C (bytes >= 0x80 negative). */
export function djb33x(bytes: Uint8Array, length: number): number {
  let h = 5381;
  for (let i = 0; i < length; i++) h = Math.imul(h, 33) ^ ((bytes[i]! << 24) >> 24);
  return h >>> 0;
}

/** MurmurHash2 (32-bit, seed 0), little-endian blocks. */
export function murmur2(bytes: Uint8Array, length: number): number {
  const m = 0x5bd1e995;
  let h = length;
  let i = 0;
  for (; i + 4 <= length; i += 4) {
    let k = bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  const rest = length - i;
  if (rest > 0) {
    if (rest === 3) h ^= bytes[i + 2]! << 16;
    if (rest >= 2) h ^= bytes[i + 1]! << 8;
    h ^= bytes[i]!;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h >>> 0;
}
