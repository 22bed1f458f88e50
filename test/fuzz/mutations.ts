// The mutations, as a table (house rule 1): each row turns a valid encoded request into hostile
// bytes and says whether the client may still expect the request's answer (it may when the valid
// request arrives whole before anything hostile: duplicated requests, junk after the request).
import type { Rng } from './random.js';
import type { Encoded, LengthField } from './requests.js';

export interface Mutated {
  readonly bytes: Buffer;
  /** The valid request arrives whole before any hostile byte: its answer must come back. */
  readonly answerExpected: boolean;
}

export interface MutationOptions {
  /** Largest run of zero bytes (64 KB runs are slow on a server that serves empty uwsgi packets). */
  readonly maxZeros: number;
}

export type Mutation = (e: Encoded, rng: Rng, options: MutationOptions) => Mutated;

function hostile(bytes: Buffer): Mutated {
  return { bytes, answerExpected: false };
}

/** Rewrites one length field with a value too big (or, sometimes, zero or one less). */
function rewriteLength(bytes: Buffer, f: LengthField, rng: Rng): void {
  switch (f.kind) {
    case 'u8':
      bytes[f.at] = rng.pick([0xff, 0x80, 0, rng.below(256)]);
      return;
    case 'u16le':
      bytes.writeUInt16LE(
        rng.pick([0xffff, 0x8000, 0, rng.below(0x10000), bytes.readUInt16LE(f.at) + 1]) & 0xffff,
        f.at,
      );
      return;
    case 'u16be':
      bytes.writeUInt16BE(
        rng.pick([0xffff, 0x8000, 0, rng.below(0x10000), bytes.readUInt16BE(f.at) + 1]) & 0xffff,
        f.at,
      );
      return;
    case 'fcgi-nv':
      if (f.size === 1) bytes[f.at] = rng.pick([0x7f, 0x80, 0xff, 0]);
      else bytes.writeUInt32BE(rng.pick([0xffffffff, 0x8000ffff, 0x80100000, 0x80000000]) >>> 0, f.at);
      return;
    case 'decimal':
    case 'hex': {
      const width = f.end - f.at;
      const big = f.kind === 'hex' ? 'f' : '9';
      const text = rng.pick([big.repeat(width), `${big.repeat(Math.max(1, width - 1))}`, '0'.repeat(width)]);
      bytes.write(text.padStart(width, '0').slice(0, width), f.at, 'latin1');
      return;
    }
  }
}

/** Oversize digits that need more room than the field has: spliced in, the rest shifted. */
function longDigits(bytes: Buffer, f: LengthField & { kind: 'decimal' | 'hex' }, rng: Rng): Buffer {
  const text = rng.pick([
    '99999999999999999999',
    '4294967296',
    '18446744073709551616',
    '-1',
    '1e9',
    ' 12',
    '0x10',
  ]);
  return Buffer.concat([bytes.subarray(0, f.at), Buffer.from(text, 'latin1'), bytes.subarray(f.end)]);
}

function zeroRun(rng: Rng, options: MutationOptions): number {
  const n = rng.weighted([
    [14, rng.between(1, 16)],
    [5, rng.between(17, 512)],
    [1, rng.between(513, 4096)],
    // about 10 in a long run of 100,000: each costs 16,384 app calls on a server serving empty packets
    [options.maxZeros > 4096 ? 0.025 : 0, options.maxZeros],
  ]);
  return Math.min(n, options.maxZeros);
}

function boundary(e: Encoded, rng: Rng): number {
  return rng.pick(e.boundaries);
}

/** Random bytes, or text that looks like the start of another request, or CR/LF soup. */
function junk(rng: Rng): Buffer {
  const size = rng.weighted([
    [6, rng.between(1, 64)],
    [3, rng.between(65, 4096)],
    [1, rng.between(4097, 70_000)],
  ]);
  return rng.weighted<() => Buffer>([
    [3, () => rng.bytes(size)],
    [1, () => Buffer.from('GET / HTTP/1.1\r\n'.repeat(1 + (size >> 4)).slice(0, size), 'latin1')],
    [1, () => Buffer.from('\r\n'.repeat(1 + (size >> 1)).slice(0, size), 'latin1')],
    [1, () => Buffer.alloc(size, rng.below(256))],
  ])();
}

export const MUTATIONS = {
  /** The request as it is (its chunking is the delivery's job). */
  intact: (e) => ({ bytes: Buffer.from(e.bytes), answerExpected: true }),
  /** 1-8 bytes replaced with random values or flipped bits. */
  flip: (e, rng) => {
    const bytes = Buffer.from(e.bytes);
    const n = rng.between(1, 8);
    for (let i = 0; i < n && bytes.length > 0; i++) {
      const at = rng.below(bytes.length);
      bytes[at] = rng.chance(0.5) ? (bytes[at] ?? 0) ^ (1 << rng.below(8)) : rng.below(256);
    }
    return hostile(bytes);
  },
  /** Cut at a field boundary, one byte around it, or anywhere. */
  truncate: (e, rng) => {
    const at = rng.chance(0.8) ? boundary(e, rng) + rng.pick([0, 0, 0, -1, 1]) : rng.below(e.bytes.length);
    const cut = Math.max(0, Math.min(at, e.bytes.length - 1));
    return hostile(Buffer.from(e.bytes.subarray(0, cut)));
  },
  /** The same request two to five times in one stream (pipelined). */
  duplicate: (e, rng) => ({
    bytes: Buffer.concat(Array.from({ length: rng.between(2, 5) }, () => e.bytes)),
    answerExpected: true,
  }),
  /** A length field rewritten: too big, zero, off by one, or digits that overflow. */
  oversize: (e, rng) => {
    const f = e.lengths.length > 0 ? rng.pick(e.lengths) : undefined;
    if (f === undefined) return hostile(Buffer.from(e.bytes));
    if ((f.kind === 'decimal' || f.kind === 'hex') && rng.chance(0.3))
      return hostile(longDigits(e.bytes, f, rng));
    const bytes = Buffer.from(e.bytes);
    rewriteLength(bytes, f, rng);
    return hostile(bytes);
  },
  /** Zero bytes: a run inserted at a boundary, a range overwritten, or nothing but zeros. */
  zeros: (e, rng, options) => {
    const n = zeroRun(rng, options);
    return rng.weighted<() => Mutated>([
      [
        2,
        () => {
          const at = boundary(e, rng);
          return hostile(Buffer.concat([e.bytes.subarray(0, at), Buffer.alloc(n), e.bytes.subarray(at)]));
        },
      ],
      [
        2,
        () => {
          const bytes = Buffer.from(e.bytes);
          const at = rng.below(bytes.length);
          bytes.fill(0, at, Math.min(bytes.length, at + n));
          return hostile(bytes);
        },
      ],
      [1, () => hostile(Buffer.alloc(n))],
    ])();
  },
  /** Junk after a whole valid request: the request's answer must still come back. */
  junk: (e, rng) => ({ bytes: Buffer.concat([e.bytes, junk(rng)]), answerExpected: true }),
  /** Junk before the request, or instead of it. */
  garbage: (e, rng) => hostile(rng.chance(0.5) ? junk(rng) : Buffer.concat([junk(rng), e.bytes])),
} as const satisfies Record<string, Mutation>;

export type MutationName = keyof typeof MUTATIONS;

/** How often each mutation is drawn (many-vars requests are drawn by the case generator). */
export const MUTATION_WEIGHTS: readonly (readonly [number, MutationName])[] = [
  [2, 'intact'],
  [6, 'flip'],
  [5, 'truncate'],
  [2, 'duplicate'],
  [4, 'oversize'],
  [2, 'zeros'],
  [2, 'junk'],
  [1, 'garbage'],
];
