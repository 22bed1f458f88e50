// The spooler for apps (seed manual "The uWSGI Spooler"; reference §8): spool() writes a task into
// a spooler directory of the instance (uWSGI's `uwsgi.spool()`), spoolTask() names a function that
// a spooler runs and gives back its enqueue call (uwsgidecorators' `@spool`), setSpooler() sets the
// function for tasks that name no task (`uwsgi.spooler = fn`). A task runs in a spooler process,
// after the request that enqueued it has been answered.

import { UwsgiError } from '../errors.js';
import {
  SPOOL_IGNORE,
  SPOOL_OK,
  SPOOL_RETRY,
  type SpoolTaskContext,
  type SpoolTaskFunction,
  TASK_KEY,
} from '../spooler/spool-tasks.js';
import { callRuntime } from './runtime.js';

export { SPOOL_IGNORE, SPOOL_OK, SPOOL_RETRY, type SpoolTaskContext, type SpoolTaskFunction };

/** A task argument: text, a number (written as text) or bytes. */
export type SpoolValue = string | number | bigint | Uint8Array;

/**
 * The arguments of a task. Special keys (uWSGI's): `spooler` (the absolute directory of one of the
 * instance's spoolers), `priority` (a numbered subdirectory, scanned first with spooler-ordered),
 * `at` (unix seconds or a Date: not run before), `body` (bytes of any size, given back as the
 * task's `body`).
 */
export type SpoolArgs = { readonly [key: string]: SpoolValue | Date | undefined };

function bytesOf(key: string, value: SpoolValue | Date): Buffer {
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (value instanceof Date) return Buffer.from(String(Math.trunc(value.getTime() / 1000)));
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint')
    return Buffer.from(String(value), 'utf8');
  throw new UwsgiError(
    'ERR_SPOOL_BAD_ARGUMENT',
    `spool(): argument "${key}" must be text, a number or bytes, got ${typeof value}`,
  );
}

/**
 * Enqueues a task; returns the spool file's path. The file is written before this returns (a
 * crash after it loses nothing); the spooler picks it up at once.
 *
 * @example
 * ```ts
 * import { spool } from 'uwsgi-ts';
 * spool({ task: 'resize', file: 'a.png', priority: 1 });
 * ```
 */
export function spool(args: SpoolArgs): string {
  if (typeof args !== 'object' || args === null) {
    throw new UwsgiError('ERR_SPOOL_BAD_ARGUMENT', 'spool(): the arguments must be an object');
  }
  const vars = new Map<string, Buffer>();
  let body: Buffer | undefined;
  for (const [key, value] of Object.entries(args)) {
    if (value === undefined) continue;
    // uWSGI: `body` leaves the vars and becomes the raw body after them
    if (key === 'body') body = bytesOf(key, value);
    else vars.set(key, bytesOf(key, value));
  }
  return callRuntime('spool', vars, body);
}

/** A task function made enqueueable: call it (or its `.spool`) with the task's arguments. */
export interface SpoolTask {
  (args?: SpoolArgs): string;
  spool(args?: SpoolArgs): string;
  readonly taskName: string;
}

/**
 * Registers `fn` as task `name` in this process and returns its enqueue call (the counterpart of
 * uwsgidecorators' `@spool`: the file carries `ud_spool_func = name`). Register tasks at import
 * time in a module the app imports (or `spooler-import`), so the spooler has them too. In the
 * task, `args` holds the arguments as text; throwing (or returning SPOOL_RETRY) runs it again
 * after spooler-frequency; returning nothing removes it.
 *
 * @example
 * ```ts
 * // tasks.mjs
 * import { spoolTask } from 'uwsgi-ts';
 * export const sendEmail = spoolTask('send_email', async (args) => {
 *   await mailer.send(args.email_address);
 * });
 * // app.mjs
 * import { sendEmail } from './tasks.mjs';
 * export default () => { sendEmail.spool({ email_address: 'someone@no.spam' }); return new Response('ok'); };
 * ```
 */
export function spoolTask(name: string, fn: SpoolTaskFunction): SpoolTask {
  if (typeof name !== 'string' || name === '' || typeof fn !== 'function') {
    throw new UwsgiError('ERR_SPOOL_BAD_ARGUMENT', 'spoolTask(): needs a name and a function');
  }
  callRuntime('registerSpoolTask', name, fn);
  const enqueue = (args: SpoolArgs = {}) => spool({ ...args, [TASK_KEY]: name });
  return Object.assign(enqueue, { spool: enqueue, taskName: name });
}

/**
 * The function run for spool files that name no registered task (uWSGI's `uwsgi.spooler = fn`),
 * files written by `spool()` directly or by another program. Return SPOOL_OK (or nothing),
 * SPOOL_RETRY, or SPOOL_IGNORE.
 */
export function setSpooler(fn: SpoolTaskFunction): void {
  if (typeof fn !== 'function')
    throw new UwsgiError('ERR_SPOOL_BAD_ARGUMENT', 'setSpooler(): needs a function');
  callRuntime('setSpooler', fn);
}
