// The master <-> worker IPC messages, one row each, with a guard at the trust boundary (a worker
// runs user code; the master checks what it receives).

import type { WorkerSnapshot } from '../stats/worker-stats.js';
import type { WorkerPlan } from '../worker/plan.js';

export type MasterMessage =
  | { readonly t: 'plan'; readonly plan: WorkerPlan }
  /** Sent with the socket's native handle. */
  | { readonly t: 'socket'; readonly index: number }
  | { readonly t: 'start' }
  /** Stop accepting, finish what is in flight, exit. */
  | { readonly t: 'stop' }
  /** The stats server wants the worker's counters. */
  | { readonly t: 'stats?' };

export type WorkerMessage =
  | { readonly t: 'ready'; readonly apps: number }
  | { readonly t: 'failed'; readonly code: string; readonly message: string }
  | { readonly t: 'log'; readonly line: string }
  /** The worker asks to be replaced (max-requests, reload-on-rss, reload-on-exception); it keeps serving until told to stop. */
  | { readonly t: 'recycle'; readonly reason: string }
  /** With harakiri: the event loop is alive (sent every second from a timer). */
  | { readonly t: 'ping' }
  /** With harakiri: a request started (what the harakiri log line names if the loop then blocks). */
  | {
      readonly t: 'req';
      readonly method: string;
      readonly uri: string;
      readonly addr: string;
      readonly since: number;
    }
  /** The answer to `stats?`. */
  | { readonly t: 'stats'; readonly snapshot: WorkerSnapshot };

const WORKER_MESSAGE_KEYS: Readonly<Record<WorkerMessage['t'], readonly string[]>> = {
  ready: ['apps'],
  failed: ['code', 'message'],
  log: ['line'],
  recycle: ['reason'],
  ping: [],
  req: ['method', 'uri', 'addr', 'since'],
  stats: ['snapshot'],
};

export function isWorkerMessage(value: unknown): value is WorkerMessage {
  if (typeof value !== 'object' || value === null) return false;
  const t = (value as { t?: unknown }).t;
  if (typeof t !== 'string' || !(t in WORKER_MESSAGE_KEYS)) return false;
  const keys = WORKER_MESSAGE_KEYS[t as WorkerMessage['t']];
  return keys.every((k) => k in value);
}

export function isMasterMessage(value: unknown): value is MasterMessage {
  if (typeof value !== 'object' || value === null) return false;
  const t = (value as { t?: unknown }).t;
  return t === 'plan' || t === 'socket' || t === 'start' || t === 'stop' || t === 'stats?';
}
