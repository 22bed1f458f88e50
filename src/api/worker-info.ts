// Who am I: the worker's id, its master's pid and how many requests it took, as uWSGI's
// `uwsgi.worker_id()`, `uwsgi.masterpid()` and `uwsgi.total_requests()` tell a Python app.

import { callRuntime } from './runtime.js';

/**
 * The id of the worker serving this app: 1 to `processes`, the same number as in uWSGI's log
 * lines and the stats document (uWSGI: `uwsgi.worker_id()`). Works at import time too.
 *
 * @example
 * ```ts
 * import { workerId } from 'uwsgi-ts';
 * export default () => new Response(`served by worker ${workerId()}`);
 * ```
 */
export function workerId(): number {
  return callRuntime('workerId');
}

/**
 * The pid of the master process, the parent of every worker (uWSGI: `uwsgi.masterpid()`).
 *
 * @example
 * ```ts
 * import { masterPid } from 'uwsgi-ts';
 * process.kill(masterPid(), 'SIGHUP'); // a graceful reload, as `kill -HUP` would do
 * ```
 */
export function masterPid(): number {
  return callRuntime('masterPid');
}

/**
 * How many requests this worker has taken, the one being served included: the `R` of the
 * request log's `req: R/T`. uWSGI's `uwsgi.total_requests()` counts every worker's finished
 * requests instead (README: "App API").
 *
 * @example
 * ```ts
 * import { requestsServed } from 'uwsgi-ts';
 * export default () => new Response(`request #${requestsServed()} of this worker`);
 * ```
 */
export function requestsServed(): number {
  return callRuntime('requestsServed');
}
