// Mules for apps (seed manual, "uWSGI Mules": uwsgi.mule_id(), uwsgi.mule_msg(), uwsgi.mule_get_msg()).
// A mule is a process of the instance that no socket reaches: `mule = script.mjs` runs a script
// (a programmed mule), `mule` / `mules = N` load the app for its signal handlers. Mules share the
// instance's caches, sharedareas, locks and signals with the workers.

import { UwsgiError } from '../errors.js';
import { callRuntime } from './runtime.js';

/**
 * The id of this mule, 1 to the number of mules; 0 in a worker (uWSGI: `uwsgi.mule_id()`).
 *
 * @example
 * ```ts
 * // mule.mjs, run by `mule = mule.mjs`
 * import { muleId } from 'uwsgi-ts';
 * console.log(`mule ${muleId()} ready`);
 * ```
 */
export function muleId(): number {
  return callRuntime('muleId');
}

/**
 * Sends `message` to mule `id`, or to the next programmed mule when `id` is 0 or left out
 * (uWSGI: `uwsgi.mule_msg(message, id)`). Delivery goes through the master: false when this
 * process has no master to send it to; a message for a mule that is not running is dropped and
 * logged by the master.
 *
 * @example
 * ```ts
 * import { muleMsg } from 'uwsgi-ts';
 * export default () => {
 *   muleMsg(JSON.stringify({ task: 'resize', file: 'a.png' }), 1);
 *   return new Response('queued');
 * };
 * ```
 */
export function muleMsg(message: string | Uint8Array, id = 0): boolean {
  if (typeof message !== 'string' && !(message instanceof Uint8Array)) {
    throw new UwsgiError('ERR_API_BAD_ARGUMENT', 'muleMsg(): the message must be a string or bytes');
  }
  if (!Number.isInteger(id) || id < 0) {
    throw new UwsgiError(
      'ERR_API_BAD_ARGUMENT',
      `muleMsg(): the mule id must be an integer >= 0, got ${String(id)}`,
    );
  }
  const data = typeof message === 'string' ? Buffer.from(message, 'utf8') : Buffer.from(message);
  return callRuntime('muleMsg', data, id);
}

/**
 * The next message sent to this mule (uWSGI: `uwsgi.mule_get_msg()`, which blocks; here a
 * promise). Works in a mule only. While a mule waits here it stays alive.
 *
 * @example
 * ```ts
 * // mule.mjs
 * import { muleGetMsg } from 'uwsgi-ts';
 * for (;;) {
 *   const task = JSON.parse((await muleGetMsg()).toString('utf8'));
 *   // ... do the slow work here, away from the workers
 * }
 * ```
 */
export function muleGetMsg(): Promise<Buffer> {
  return callRuntime('muleGetMsg');
}
