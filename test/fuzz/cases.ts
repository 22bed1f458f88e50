// One fuzz case: a valid request for the protocol, one mutation, and a delivery (one write, random
// chunk splits, slow writes, byte by byte; then a half-close, or held open as a stalled client).
// Everything comes from the case's own seed, so `FUZZ_SEED=s FUZZ_CASE=i` rebuilds case i alone.
import {
  MUTATION_WEIGHTS,
  MUTATIONS,
  type Mutation,
  type MutationName,
  type MutationOptions,
} from './mutations.js';
import { caseSeed, Rng } from './random.js';
import { encode, manyVarsRequest, type Protocol, randomRequest } from './requests.js';

export type CaseKind = MutationName | 'many-vars';

export interface FuzzCase {
  readonly index: number;
  readonly protocol: Protocol;
  readonly kind: CaseKind;
  /** The writes, in order. */
  readonly chunks: readonly Buffer[];
  /** Pause between writes (slow client), 0 for back-to-back writes. */
  readonly delayMs: number;
  /** Keep the connection open after the last write (a stalled client) instead of half-closing. */
  readonly hold: boolean;
  /** The app's answer must come back (the valid request arrived whole before anything hostile). */
  readonly answerExpected: boolean;
  /** How many app calls the bytes can justify on one connection (see maxCalls). */
  readonly maxCalls: number;
  readonly size: number;
}

export interface CaseOptions extends MutationOptions {
  /** Share of cases held open after their last write. */
  readonly holdRate: number;
  /** Mutations not drawn (FUZZ_SKIP=zeros,duplicate: to tell which kind a fault comes from). */
  readonly skip: readonly MutationName[];
}

export const DEFAULT_CASE_OPTIONS: CaseOptions = { maxZeros: 4096, holdRate: 0.003, skip: [] };

export function makeCase(
  protocol: Protocol,
  seed: number,
  index: number,
  options = DEFAULT_CASE_OPTIONS,
): FuzzCase {
  const rng = new Rng(caseSeed(seed, index));
  const path = `/f/${index}`;
  const many = rng.chance(0.015);
  const request = many ? manyVarsRequest(rng, path) : randomRequest(rng, path);
  const encoded = encode(protocol, request, rng);
  const weights =
    options.skip.length === 0
      ? MUTATION_WEIGHTS
      : MUTATION_WEIGHTS.filter(([, k]) => !options.skip.includes(k));
  const kind: CaseKind = many ? 'many-vars' : rng.weighted(weights);
  const mutate: Mutation = kind === 'many-vars' ? MUTATIONS.intact : MUTATIONS[kind];
  const mutated = mutate(encoded, rng, options);
  const bytes = mutated.bytes;
  const delivery = rng.weighted([
    [70, 'one'],
    [20, 'split'],
    [8, 'slow'],
    [2, 'bytewise'],
  ] as const);
  const chunks = split(bytes, delivery === 'bytewise' && bytes.length > 2048 ? 'split' : delivery, rng);
  return {
    index,
    protocol,
    kind,
    chunks,
    delayMs: delivery === 'slow' ? rng.between(5, 40) : 0,
    hold: rng.chance(options.holdRate),
    answerExpected: mutated.answerExpected && !many,
    maxCalls: maxCalls(protocol, bytes),
    size: bytes.length,
  };
}

function split(bytes: Buffer, how: 'one' | 'split' | 'slow' | 'bytewise', rng: Rng): Buffer[] {
  if (bytes.length <= 1 || how === 'one') return [bytes];
  if (how === 'bytewise') return Array.from(bytes, (b) => Buffer.from([b]));
  const pieces = how === 'slow' ? rng.between(2, 6) : rng.between(2, 8);
  const cuts = new Set<number>();
  for (let i = 1; i < pieces; i++) cuts.add(1 + rng.below(bytes.length - 1));
  const sorted = [0, ...[...cuts].sort((a, b) => a - b), bytes.length];
  const out: Buffer[] = [];
  for (let i = 1; i < sorted.length; i++) out.push(bytes.subarray(sorted[i - 1] ?? 0, sorted[i]));
  return out;
}

/**
 * The most app calls one connection's bytes can justify, as uWSGI serves them: one request per
 * uwsgi and SCGI connection; on FastCGI one more for each BEGIN_REQUEST that asks to keep the
 * connection; on HTTP one per head terminator (pipelining is allowed there).
 */
export function maxCalls(protocol: Protocol, bytes: Buffer): number {
  switch (protocol) {
    case 'uwsgi':
    case 'scgi':
      return 1;
    case 'http': {
      // a head ends at an empty line and needs a request line before it: CR/LF soup is no request
      let n = 0;
      let content = false;
      for (let i = 0; i < bytes.length; i++) {
        const b = bytes[i];
        if (b !== 0x0a && b !== 0x0d) content = true;
        else if (
          b === 0x0a &&
          content &&
          (bytes[i - 1] === 0x0a || (bytes[i - 1] === 0x0d && bytes[i - 2] === 0x0a))
        ) {
          n++;
          content = false;
        }
      }
      return n;
    }
    case 'fastcgi': {
      let keep = 0;
      let begins = 0;
      for (let at = 0; at + 8 <= bytes.length; ) {
        const type = bytes[at + 1];
        const length = ((bytes[at + 4] ?? 0) << 8) | (bytes[at + 5] ?? 0);
        if (type === 1) {
          begins++;
          if (((bytes[at + 10] ?? 0) & 1) === 1) keep++;
        }
        at += 8 + length + (bytes[at + 6] ?? 0);
      }
      return Math.min(begins, keep + 1);
    }
  }
}
