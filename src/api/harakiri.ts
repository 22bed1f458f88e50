// Per-request harakiri from the app (uWSGI: `uwsgi.set_user_harakiri(seconds)`, reference §2.4).
// The worker side is src/worker/harakiri.ts; the master's kill is WorkerPool.checkHarakiri.

import { UwsgiError } from '../errors.js';
import { callRuntime } from './runtime.js';

/**
 * Gives the current request `seconds` more to live, counted from now; `0` clears the limit. Past
 * it, a request whose worker's event loop is free is answered 504 (or its connection closed when
 * the response has started) and the worker goes on; a worker whose event loop is blocked is
 * killed by the master with uWSGI's HARAKIRI lines and respawned. As in uWSGI 2.0, this limit and
 * the global `harakiri` are two timers: whichever expires first ends the request, so an app can
 * shorten the operator's limit but not lift it. Works with `harakiri` unset.
 *
 * Which request: the one passed as `request` (the Node `req` or `res`, or the fetch `Request`
 * the app was given), else the request that started most recently in this worker, which is the
 * current one when the worker serves one request at a time (README: "App API").
 *
 * Throws ERR_API_BAD_ARGUMENT for a negative or non-finite `seconds` or a `request` that is not
 * one this worker is serving; ERR_API_NO_REQUEST when no request has started yet (at import
 * time) and `seconds` is not 0. On a request that has already ended it does nothing.
 *
 * @example
 * ```ts
 * import { setUserHarakiri } from 'uwsgi-ts';
 * export default async function report(req, res) {
 *   setUserHarakiri(30, req); // you have 30 seconds. fight!
 *   const body = await buildReport();
 *   setUserHarakiri(0, req); // all is well
 *   res.end(body);
 * }
 * ```
 */
export function setUserHarakiri(seconds: number, request?: unknown): void {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) {
    throw new UwsgiError(
      'ERR_API_BAD_ARGUMENT',
      `setUserHarakiri(): seconds must be a finite number >= 0, got ${String(seconds)}`,
    );
  }
  callRuntime('setUserHarakiri', seconds, request);
}
