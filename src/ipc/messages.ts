// The master <-> worker IPC messages, one row each, with a guard at the trust boundary (a worker
// runs user code; the master checks what it receives).

import type { WorkerSnapshot } from '../stats/worker-stats.js';
import type { WorkerPlan } from '../worker/plan.js';

export type MasterMessage =
  | { readonly t: 'plan'; readonly plan: WorkerPlan }
  /** Sent with the socket's native handle. */
  | { readonly t: 'socket'; readonly index: number }
  | { readonly t: 'start' }
  /** A client connection the HTTP router handed over (its kernel handle follows): serve it as an http-socket's. */
  | { readonly t: 'handed'; readonly serverName: string }
  /** Stop accepting, finish what is in flight, exit. */
  | { readonly t: 'stop' }
  /** The stats server wants the worker's counters. */
  | { readonly t: 'stats?' }
  /** A uwsgi signal routed to this worker (src/signal/): run its handler. */
  | { readonly t: 'signal'; readonly num: number }
  /** A mule message for this mule (src/mule/): `data` in base64. */
  | { readonly t: 'mule-msg'; readonly data: string }
  /** A farm message for this mule, the answer to one `farm-get` (src/mule/farm-queue.ts). */
  | { readonly t: 'farm-msg'; readonly data: string };

export type WorkerMessage =
  | { readonly t: 'ready'; readonly apps: number }
  | { readonly t: 'failed'; readonly code: string; readonly message: string }
  | { readonly t: 'log'; readonly line: string }
  /** The worker asks to be replaced (max-requests, reload-on-rss, reload-on-exception); it keeps serving until told to stop. */
  | { readonly t: 'recycle'; readonly reason: string }
  /** With harakiri: the event loop is alive (sent every second from a timer). */
  | { readonly t: 'ping' }
  /**
   * With harakiri: the request a blocked event loop is serving, from the worker's watchdog thread
   * over its own pipe once the loop has not turned for `blockedMs` (src/worker/harakiri-watchdog.ts);
   * or, without a watchdog, each request as it starts (`blockedMs` 0).
   */
  | {
      readonly t: 'req';
      readonly method: string;
      readonly uri: string;
      readonly addr: string;
      readonly since: number;
      readonly blockedMs: number;
    }
  /**
   * setUserHarakiri() (reference §2.4): the worker's earliest per-request limit changed. `ms` is
   * how long from now the master lets its event loop stay blocked (0: no per-request limit left);
   * the request fields name the request it belongs to in the HARAKIRI lines.
   */
  | {
      readonly t: 'user-harakiri';
      readonly ms: number;
      readonly method: string;
      readonly uri: string;
      readonly addr: string;
      readonly since: number;
    }
  /** The answer to `stats?`. */
  | { readonly t: 'stats'; readonly snapshot: WorkerSnapshot }
  /** uwsgi signals (src/signal/): raise `num` (the app's signal(), a modifier1 110 packet). */
  | { readonly t: 'signal-raise'; readonly num: number }
  /** The app registered a handler for `num` with this target name. */
  | { readonly t: 'signal-register'; readonly num: number; readonly target: string }
  /** addTimer/addRbTimer/addCron/addFileMonitor: `what` and `args` checked by src/signal/master-signals.ts. */
  | { readonly t: 'signal-add'; readonly num: number; readonly what: string; readonly args: object }
  /** The worker's handler for a routed signal finished. */
  | { readonly t: 'signal-done'; readonly num: number }
  /** muleMsg(): `data` (base64) for mule `mule` (0: the next programmed mule). */
  | { readonly t: 'mule-msg'; readonly mule: number; readonly data: string }
  /** alarm(name, message) from an app (src/alarm/alarm-message.ts): the master raises it. */
  | { readonly t: 'alarm'; readonly name: string; readonly message: string }
  /**
   * A spooler (src/spooler/) started or ended a task: its count of tasks handled, the task running
   * ('' when idle) and since when (ms; the master's spooler-harakiri and the stats read it).
   */
  | { readonly t: 'spooler-status'; readonly tasks: number; readonly task: string; readonly since: number }
  /** farmMsg(): `data` (base64) for the farm named `farm`. */
  | { readonly t: 'farm-msg'; readonly farm: string; readonly data: string }
  /** farmGetMsg() in a mule: hand it the next message of one of its farms. */
  | { readonly t: 'farm-get' }
  /** A hook of this process failed (src/hooks/): it logged FATAL; the master destroys the instance. */
  | { readonly t: 'hook-failed' };

type FieldType = 'string' | 'number' | 'object';

/** Each message's fields and their `typeof`: a missing row is a compile error. */
const WORKER_MESSAGE_FIELDS: Readonly<Record<WorkerMessage['t'], Readonly<Record<string, FieldType>>>> = {
  ready: { apps: 'number' },
  failed: { code: 'string', message: 'string' },
  log: { line: 'string' },
  recycle: { reason: 'string' },
  ping: {},
  req: { method: 'string', uri: 'string', addr: 'string', since: 'number', blockedMs: 'number' },
  'user-harakiri': { ms: 'number', method: 'string', uri: 'string', addr: 'string', since: 'number' },
  stats: { snapshot: 'object' },
  'signal-raise': { num: 'number' },
  'signal-register': { num: 'number', target: 'string' },
  'signal-add': { num: 'number', what: 'string', args: 'object' },
  'signal-done': { num: 'number' },
  'mule-msg': { mule: 'number', data: 'string' },
  alarm: { name: 'string', message: 'string' },
  'spooler-status': { tasks: 'number', task: 'string', since: 'number' },
  'farm-msg': { farm: 'string', data: 'string' },
  'farm-get': {},
  'hook-failed': {},
};

export function isWorkerMessage(value: unknown): value is WorkerMessage {
  return hasFields(value, WORKER_MESSAGE_FIELDS);
}

/** The master's messages and their fields, checked the same way in the child. */
const MASTER_MESSAGE_FIELDS: Readonly<Record<MasterMessage['t'], Readonly<Record<string, FieldType>>>> = {
  plan: { plan: 'object' },
  socket: { index: 'number' },
  start: {},
  handed: { serverName: 'string' },
  stop: {},
  'stats?': {},
  signal: { num: 'number' },
  'mule-msg': { data: 'string' },
  'farm-msg': { data: 'string' },
};

function hasFields(
  value: unknown,
  table: Readonly<Record<string, Readonly<Record<string, FieldType>>>>,
): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const t = (value as { t?: unknown }).t;
  if (typeof t !== 'string' || !Object.hasOwn(table, t)) return false;
  const fields = table[t] ?? {};
  for (const key in fields) {
    const field = (value as Record<string, unknown>)[key];
    if (typeof field !== fields[key] || field === null) return false;
  }
  return true;
}

export function isMasterMessage(value: unknown): value is MasterMessage {
  return hasFields(value, MASTER_MESSAGE_FIELDS);
}

/**
 * One handler per message type, keyed by `t`: a type without its row does not compile (STYLE.md
 * "One message table"). `From` is who sent it (the master's supervisor slot of the child).
 */
export type WorkerMessageHandlers<From> = {
  readonly [T in WorkerMessage['t']]: (message: Extract<WorkerMessage, { t: T }>, from: From) => void;
};

export type MasterMessageHandlers<Extra = undefined> = {
  readonly [T in MasterMessage['t']]: (message: Extract<MasterMessage, { t: T }>, extra: Extra) => void;
};

/** A short, printable description of a message that was refused. */
function describe(value: unknown): string {
  try {
    const text = JSON.stringify(value) ?? String(value);
    return text.length > 120 ? `${text.slice(0, 120)}...` : text;
  } catch {
    return typeof value;
  }
}

/**
 * Checks `value` and calls its row of `handlers` (which may leave some types out: a pool tested
 * alone handles its own). A malformed message, or a handler that throws, is logged and dropped:
 * a child runs user code, and nothing it sends may take the master down.
 */
export function dispatchWorkerMessage<From>(
  handlers: Partial<WorkerMessageHandlers<From>>,
  value: unknown,
  from: From,
  log: (line: string) => void,
  who = 'a child',
): void {
  if (!isWorkerMessage(value)) {
    log(`malformed message from ${who} dropped: ${describe(value)}`);
    return;
  }
  const handler = handlers[value.t] as ((m: WorkerMessage, f: From) => void) | undefined;
  try {
    handler?.(value, from);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    log(
      `message "${value.t}" from ${who} failed: ${err instanceof Error ? err.message : String(err)}${typeof code === 'string' ? ` [${code}]` : ''}`,
    );
  }
}

/** The child's side: `value` from the master to its row of `handlers`; anything else is ignored. */
export function dispatchMasterMessage<Extra>(
  handlers: MasterMessageHandlers<Extra>,
  value: unknown,
  extra: Extra,
): boolean {
  if (!isMasterMessage(value)) return false;
  (handlers[value.t] as (m: MasterMessage, e: Extra) => void)(value, extra);
  return true;
}
