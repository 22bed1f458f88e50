// The one suspension point of the engine: a host answer that is a Promise is yielded to the
// driver (program.ts), which resumes the run with the settled value; a plain value costs nothing.
// Conditions and actions that do I/O are generator functions and call `yield* io(...)`.

import type { MaybeAsync } from './host.js';

export type Suspend = Generator<Promise<unknown>, unknown, unknown>;

/** The host's answer, waiting for it only when it is a Promise. */
export function* io<T>(value: MaybeAsync<T>): Generator<Promise<unknown>, T, unknown> {
  if (value instanceof Promise) return (yield value) as T;
  return value;
}

/** A generator object (what an I/O-doing condition or action returns). */
export function isGenerator<T>(value: unknown): value is Generator<Promise<unknown>, T, unknown> {
  return (
    typeof value === 'object' && value !== null && typeof (value as { next?: unknown }).next === 'function'
  );
}
