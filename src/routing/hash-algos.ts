// The hash algorithms of the `hash` action (router_hash, reference §4.4), reproduced from
// 2.0.21's answers (test/fixtures/routing/recorded/hash.json and probes with non-ASCII keys):
// bytes are C `char`s (signed), and murmur2 reads its 1-3 tail bytes from the *start* of the key,
// a 2.0.21 quirk that decides which item a key picks.

const signed = (b: number) => (b << 24) >> 24;

/** djb33x: h = h * 33 ^ c from 5381 (uwsgi's default). */
export function djb33x(key: Uint8Array): number {
  let h = 5381;
  for (const c of key) h = (Math.imul(h, 33) ^ signed(c)) >>> 0;
  return h;
}

/** MurmurHash2, seed 0, with 2.0.21's tail quirk. */
export function murmur2(key: Uint8Array): number {
  const m = 0x5bd1e995;
  let len = key.length;
  let h = len >>> 0;
  let i = 0;
  while (len >= 4) {
    let k =
      ((key[i] as number) |
        ((key[i + 1] as number) << 8) |
        ((key[i + 2] as number) << 16) |
        ((key[i + 3] as number) << 24)) >>>
      0;
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
    i += 4;
    len -= 4;
  }
  if (len >= 3) h ^= signed(key[2] as number) << 16;
  if (len >= 2) h ^= signed(key[1] as number) << 8;
  if (len >= 1) {
    h ^= signed(key[0] as number);
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h >>> 0;
}

export const HASH_ALGOS = { djb33x, murmur2 } as const satisfies Record<string, (key: Uint8Array) => number>;
export type HashAlgo = keyof typeof HASH_ALGOS;
