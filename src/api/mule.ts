// Mules for apps (seed manual, "uWSGI Mules": uwsgi.mule_id(), uwsgi.mule_msg(), uwsgi.mule_get_msg()).
// A mule is a process of the instance that no socket reaches: `mule = script.mjs` runs a script
// (a programmed mule), `mule` / `mules = N` load the app for its signal handlers. Mules share the
// instance's caches, sharedareas, locks and signals with the workers.

import { UwsgiError } from '../errors.js';
import { encodeMuleCall, type MuleFunction, registerMuleFunction } from '../mule/mule-functions.js';
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

function messageBytes(what: string, message: string | Uint8Array): Buffer {
  if (typeof message !== 'string' && !(message instanceof Uint8Array)) {
    throw new UwsgiError('ERR_API_BAD_ARGUMENT', `${what}(): the message must be a string or bytes`);
  }
  return typeof message === 'string' ? Buffer.from(message, 'utf8') : Buffer.from(message);
}

/**
 * Sends `message` to the farm `farm` (uWSGI: `uwsgi.farm_msg(farm, message)`): the first mule of
 * the farm that calls farmGetMsg() takes it. A message over `mule-msg-size` throws. False when
 * this process has no master; a farm that does not exist is logged by the master.
 *
 * @example
 * ```ts
 * // farm = resizers:1,2
 * import { farmMsg } from 'uwsgi-ts';
 * export default () => {
 *   farmMsg('resizers', 'a.png');
 *   return new Response('queued');
 * };
 * ```
 */
export function farmMsg(farm: string, message: string | Uint8Array): boolean {
  if (typeof farm !== 'string' || farm === '') {
    throw new UwsgiError('ERR_API_BAD_ARGUMENT', 'farmMsg(): the farm must be a non-empty string');
  }
  return callRuntime('farmMsg', farm, messageBytes('farmMsg', message));
}

/**
 * The next message of one of this mule's farms (uWSGI: `uwsgi.farm_get_msg()`, which answers None
 * at once when the queue is empty; here a promise that waits). Works in a mule only.
 *
 * @example
 * ```ts
 * // mule.mjs, run by `mule = mule.mjs` twice and `farm = resizers:1,2`
 * import { farmGetMsg } from 'uwsgi-ts';
 * for (;;) console.log('resizing', (await farmGetMsg()).toString());
 * ```
 */
export function farmGetMsg(): Promise<Buffer> {
  return callRuntime('farmGetMsg');
}

/**
 * Runs `fn` in a mule (the counterpart of uwsgidecorators' `@mulefunc`): the module that calls
 * muleFunction() is imported by the workers (the app) and by the mule (`mule` without a script
 * loads the app; a programmed mule imports it); calling the returned function in a worker sends
 * the arguments (JSON) to mule `options.mule` (default 1), which runs `fn` with them. The call
 * returns whether the message was sent; what `fn` returns stays in the mule.
 *
 * @example
 * ```ts
 * import { muleFunction } from 'uwsgi-ts';
 * export const resize = muleFunction('resize', async (file: string) => {
 *   // ... the slow work, in mule 1
 * });
 * export default () => {
 *   resize('a.png');
 *   return new Response('queued');
 * };
 * ```
 */
export function muleFunction<A extends unknown[]>(
  name: string,
  fn: (...args: A) => unknown,
  options: { readonly mule?: number } = {},
): (...args: A) => boolean {
  if (typeof name !== 'string' || name === '' || typeof fn !== 'function') {
    throw new UwsgiError('ERR_API_BAD_ARGUMENT', 'muleFunction(): give a name and a function');
  }
  registerMuleFunction(name, fn as MuleFunction);
  const mule = options.mule ?? 1;
  return (...args: A) => callRuntime('muleMsg', encodeMuleCall(name, args), mule);
}
