// A small seeded generator for the fuzz harness: every case draws from its own stream, derived from
// the run's seed and the case's index, so one case replays alone (FUZZ_SEED + FUZZ_CASE) and the
// order in which concurrent cases run never changes what they send.

/** mulberry32: 32 bits of state, fast, and good enough to pick mutations (not for secrets). */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  below(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** An integer in [low, high]. */
  between(low: number, high: number): number {
    return low + this.below(high - low + 1);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[this.below(items.length)];
    if (item === undefined) throw new RangeError('pick from an empty list');
    return item;
  }

  /** Picks by weight: `[[weight, value], ...]`. */
  weighted<T>(table: readonly (readonly [number, T])[]): T {
    let total = 0;
    for (const [w] of table) total += w;
    let at = this.next() * total;
    for (const [w, value] of table) {
      at -= w;
      if (at < 0) return value;
    }
    const last = table[table.length - 1];
    if (last === undefined) throw new RangeError('weighted pick from an empty table');
    return last[1];
  }

  bytes(n: number): Buffer {
    const out = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i += 4) {
      const word = Math.floor(this.next() * 4294967296);
      for (let k = 0; k < 4 && i + k < n; k++) out[i + k] = (word >>> (8 * k)) & 0xff;
    }
    return out;
  }

  /** Printable ASCII without spaces, as tokens and header values are. */
  token(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += String.fromCharCode(0x61 + this.below(26));
    return s;
  }
}

/** The seed of case `index` in a run seeded `seed` (a 32-bit mix, so neighbours differ). */
export function caseSeed(seed: number, index: number): number {
  let h = (seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** A fresh run seed when FUZZ_SEED is not given. */
export function freshSeed(): number {
  return (Date.now() ^ (process.pid << 16) ^ Math.floor(Math.random() * 0xffffffff)) >>> 0;
}
