// Locks shared by every worker of the instance (uWSGI: `uwsgi.lock(id)`, `uwsgi.unlock(id)`,
// `locks = N`; reference §2.9). Lock 0 always exists. Taking a held lock waits, and the worker's
// event loop waits with it, as a uWSGI worker does: keep the critical section short and never
// await inside it.

import { UwsgiError } from '../errors.js';
import { callRuntime } from './runtime.js';

function checkId(what: string, id: number): void {
  if (!Number.isInteger(id) || id < 0) {
    throw new UwsgiError(
      'ERR_API_BAD_ARGUMENT',
      `${what}(): the lock id must be an integer >= 0, got ${String(id)}`,
    );
  }
}

/**
 * Takes user lock `id` (default 0) for this process; other processes calling `lock(id)` wait until
 * it is released. A lock held by a process that died is taken over.
 *
 * @example
 * ```ts
 * import { lock, unlock } from 'uwsgi-ts';
 * lock();
 * try {
 *   counter = readCounter() + 1;
 *   writeCounter(counter);
 * } finally {
 *   unlock();
 * }
 * ```
 */
export function lock(id = 0): void {
  checkId('lock', id);
  callRuntime('lock', id);
}

/** Releases user lock `id` (default 0), taken by this process with `lock(id)`. */
export function unlock(id = 0): void {
  checkId('unlock', id);
  callRuntime('unlock', id);
}
