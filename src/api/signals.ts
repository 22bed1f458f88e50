// uwsgi signals for apps (uWSGI's `register_signal`, `signal`, `signal_registered`, `add_timer`,
// `add_rb_timer`, `add_cron`, `add_file_monitor`, `signal_wait`, `signal_received`; reference
// §1.4/§1.5, §2.9). 256 signals (0..255); the master routes a raised signal to the target its
// handler was registered with. Register handlers at import time: every worker loads the app and
// so registers the same handlers, and a timer, cron entry or monitor added by every worker is
// kept once by the master.

import { UwsgiError } from '../errors.js';
import { sendRemoteSignal } from '../signal/signal-client.js';
import { callRuntime } from './runtime.js';

/**
 * Who runs a signal's handler: `'worker'` (also `''`, `'worker0'`: the first available worker),
 * `'workerN'`, `'workers'` (every worker), `'active-workers'` (every worker not stopped by the
 * cheaper subsystem), `'spooler'` or a spooler's absolute directory, `'mule'`, `'muleN'`,
 * `'mules'`, `'farm_NAME'`. Mules and spoolers do not exist in uwsgi-ts yet: the master logs
 * that it could not deliver, as uWSGI does without them.
 */
export type SignalTargetName =
  | ''
  | 'worker'
  | 'workers'
  | 'active-workers'
  | 'spooler'
  | 'mule'
  | 'mules'
  | `worker${number}`
  | `mule${number}`
  | `farm_${string}`
  | `/${string}`;

/** A signal handler: called with the signal number; may return a promise (awaited before the next counts as done). */
export type SignalHandler = (num: number) => unknown;

function checkSignal(what: string, num: unknown): asserts num is number {
  if (typeof num !== 'number' || !Number.isInteger(num) || num < 0 || num > 255) {
    throw new UwsgiError(
      'ERR_API_BAD_ARGUMENT',
      `${what}(): the signal must be an integer 0..255, got ${String(num)}`,
    );
  }
}

function checkInteger(what: string, name: string, value: unknown, min: number): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new UwsgiError(
      'ERR_API_BAD_ARGUMENT',
      `${what}(): ${name} must be an integer >= ${min}, got ${String(value)}`,
    );
  }
}

/**
 * Registers `handler` for signal `num` in this worker, run by `target` when the signal is raised.
 * Logs uWSGI's line `[uwsgi-signal] signum N registered (wid: W modifier1: 0 target: T)`.
 *
 * @example
 * ```ts
 * import { addTimer, registerSignal } from 'uwsgi-ts';
 * let ticks = 0;
 * registerSignal(17, 'workers', () => { ticks++; });
 * addTimer(17, 5); // every worker counts a tick every 5 seconds
 * export default () => new Response(`ticks: ${ticks}\n`);
 * ```
 */
export function registerSignal(num: number, target: SignalTargetName | string, handler: SignalHandler): void {
  checkSignal('registerSignal', num);
  if (typeof target !== 'string') {
    throw new UwsgiError('ERR_API_BAD_ARGUMENT', `registerSignal(${num}): the target must be a string`);
  }
  if (typeof handler !== 'function') {
    throw new UwsgiError('ERR_API_BAD_ARGUMENT', `registerSignal(${num}): the handler must be a function`);
  }
  callRuntime('registerSignal', num, target, handler);
}

/**
 * Raises signal `num`. Locally (no `remote`) the master routes it to its target; with `remote`
 * (`host:port` or a unix socket path) the packet `6e 0000 NN` goes to that instance's uwsgi
 * socket, and the promise resolves once it answered that it queued the signal (rejects with
 * ERR_SIGNAL_NOT_DELIVERED otherwise). The remote form also works outside a uwsgi-ts worker.
 *
 * @example
 * ```ts
 * import { signal } from 'uwsgi-ts';
 * signal(17);                                  // this instance
 * await signal(17, '127.0.0.1:3031');          // another instance (uWSGI or uwsgi-ts)
 * ```
 */
export function signal(num: number): void;
export function signal(num: number, remote: string, options?: { readonly timeoutMs?: number }): Promise<void>;
export function signal(
  num: number,
  remote?: string,
  options?: { readonly timeoutMs?: number },
): void | Promise<void> {
  checkSignal('signal', num);
  if (remote === undefined) {
    callRuntime('raiseSignal', num);
    return;
  }
  if (typeof remote !== 'string' || remote === '') {
    throw new UwsgiError(
      'ERR_API_BAD_ARGUMENT',
      `signal(${num}): the remote node must be "host:port" or a socket path`,
    );
  }
  return sendRemoteSignal(remote, num, options?.timeoutMs ?? 4000);
}

/**
 * Whether this worker has a handler for signal `num`.
 *
 * @example
 * ```ts
 * if (!signalRegistered(17)) registerSignal(17, 'worker', onTick);
 * ```
 */
export function signalRegistered(num: number): boolean {
  checkSignal('signalRegistered', num);
  return callRuntime('signalRegistered', num);
}

/**
 * Raises signal `num` every `seconds` from the master, `iterations` times (0: forever). Called by
 * every worker at import time, the timer is kept once.
 *
 * @example
 * ```ts
 * registerSignal(20, 'worker1', () => refreshCache());
 * addTimer(20, 60);
 * ```
 */
export function addTimer(num: number, seconds: number, iterations = 0): void {
  checkSignal('addTimer', num);
  checkInteger('addTimer', 'seconds', seconds, 1);
  checkInteger('addTimer', 'iterations', iterations, 0);
  callRuntime('addSignalSource', num, 'timer', { seconds, iterations });
}

/**
 * uWSGI's red-black tree timer (`add_rb_timer`): the same as addTimer() in uwsgi-ts, listed apart
 * (`rbtimer`) as uWSGI does.
 *
 * @example
 * ```ts
 * addRbTimer(21, 10, 3); // three times, ten seconds apart
 * ```
 */
export function addRbTimer(num: number, seconds: number, iterations = 0): void {
  checkSignal('addRbTimer', num);
  checkInteger('addRbTimer', 'seconds', seconds, 1);
  checkInteger('addRbTimer', 'iterations', iterations, 0);
  callRuntime('addSignalSource', num, 'rbtimer', { seconds, iterations });
}

/**
 * Raises signal `num` from the master in every minute that matches, uWSGI's cron fields: -1 is
 * any, -N every N (value % N == 0); `day` and `weekday` are OR-ed when both are given; weekday 0
 * or 7 is Sunday; months count 1..12. A matching minute raises once, at its start (and in the
 * minute it is added, if that one matches).
 *
 * @example
 * ```ts
 * registerSignal(30, 'worker', () => purgeSessions());
 * addCron(30, -5, -1, -1, -1, -1);   // every five minutes
 * addCron(30, 59, 2, -1, -1, -1);    // and at 02:59
 * ```
 */
export function addCron(
  num: number,
  minute: number,
  hour: number,
  day: number,
  month: number,
  weekday: number,
): void {
  checkSignal('addCron', num);
  const fields = { minute, hour, day, month, week: weekday };
  for (const [name, value] of Object.entries(fields)) checkInteger('addCron', name, value, -1000);
  callRuntime('addSignalSource', num, 'cron', fields);
}

/**
 * Raises signal `num` from the master whenever `path` (a file or a directory) changes (inotify).
 *
 * @example
 * ```ts
 * registerSignal(40, 'workers', () => reloadSettings());
 * addFileMonitor(40, '/etc/myapp/settings.json');
 * ```
 */
export function addFileMonitor(num: number, path: string): void {
  checkSignal('addFileMonitor', num);
  if (typeof path !== 'string' || path === '') {
    throw new UwsgiError(
      'ERR_API_BAD_ARGUMENT',
      `addFileMonitor(${num}): the path must be a non-empty string`,
    );
  }
  callRuntime('addSignalSource', num, 'filemon', { path });
}

/**
 * Resolves with the next signal routed to this worker (`num`: that signal only). A handler
 * registered for it runs as well. The event loop keeps serving while the promise waits (uWSGI's
 * `signal_wait` blocks the worker).
 *
 * @example
 * ```ts
 * const num = await signalWait(17);
 * ```
 */
export function signalWait(num?: number): Promise<number> {
  if (num !== undefined) checkSignal('signalWait', num);
  return callRuntime('signalWait', num);
}

/**
 * The last signal routed to this worker (0 before any), uWSGI's `signal_received`.
 *
 * @example
 * ```ts
 * await signalWait();
 * console.log(`got signal ${signalReceived()}`);
 * ```
 */
export function signalReceived(): number {
  return callRuntime('signalReceived');
}
