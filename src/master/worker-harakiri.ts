// harakiri for workers whose event loop is blocked (reference §2.4; the lines of §10): which
// workers are due, as uWSGI 2.0 reckons it, and the four lines it logs for each. The worker pool
// keeps the per-worker facts (WorkerMeta) from the workers' pings and watchdog reports.

import type { WorkerSnapshot } from '../stats/worker-stats.js';
import type { Slot } from './supervisor/supervisor.js';

export interface RequestSeen {
  readonly method: string;
  readonly uri: string;
  readonly addr: string;
  /** When it started, in whole seconds (uWSGI's `since`). */
  readonly since: number;
}

/** What the pool keeps per worker process. */
export interface WorkerMeta {
  /** harakiri: when the event loop last turned, and the request a blocked loop serves. */
  lastPing: number;
  current: RequestSeen | undefined;
  /** setUserHarakiri(): when the earliest per-request limit expires, and its request. */
  userHarakiri: { deadline: number; request: RequestSeen } | undefined;
  harakiriTries: number;
  /** The last counters the worker sent (stats). */
  stats: WorkerSnapshot | undefined;
  /** How many apps its plan asked it to load. */
  readonly appsPlanned: number;
}

/** A worker's loop pings every 1000 ms: this long without a ping, it is blocked. */
const BLOCKED_MS = 1500;

export interface HarakiriDue {
  readonly slot: Slot<WorkerMeta>;
  /** The request the lines name (undefined: none was reported). */
  readonly request: RequestSeen | undefined;
}

/**
 * The workers to kill now. A loop that has not turned for BLOCKED_MS is blocked; it is killed
 * when its request is past the global limit as uWSGI 2.0 reckons it (a deadline in whole seconds,
 * `since + harakiri`, passed once the clock's second is beyond it: 2.5-4 s for `harakiri = 2`
 * with a check every second, as measured on uWSGI 2.0.21), or past its setUserHarakiri()
 * deadline. Without a report of the blocking request, the silence itself is measured against the
 * limit. Each one's try count goes up; its user deadline is spent.
 */
export function dueForHarakiri(
  slots: readonly Slot<WorkerMeta>[],
  now: number,
  limitMs: number,
): HarakiriDue[] {
  const due: HarakiriDue[] = [];
  for (const slot of slots) {
    if (!slot.ready || slot.retiring) continue;
    const meta = slot.meta;
    const silent = now - meta.lastPing;
    const user = meta.userHarakiri;
    // a live loop pings every second: a user deadline passed with a loop still pinging is the
    // worker's own to answer (504); only a loop silent past BLOCKED_MS is killed
    const byUser = user !== undefined && now >= user.deadline && silent > BLOCKED_MS;
    const c = meta.current;
    const byGlobal =
      limitMs > 0 &&
      silent > Math.min(BLOCKED_MS, limitMs) &&
      (c !== undefined ? Math.floor(now / 1000) > c.since + Math.ceil(limitMs / 1000) : silent > limitMs);
    if (!byUser && !byGlobal) continue;
    meta.userHarakiri = undefined;
    meta.harakiriTries++;
    due.push({ slot, request: byUser ? user.request : c });
  }
  return due;
}

/** uWSGI 2.0.21's four lines, all dated (test/fixtures/uwsgi-2.0.21-app-api.json). */
export function harakiriLines(due: HarakiriDue, now: number, ctime: (ms: number) => string): string[] {
  const { slot, request: r } = due;
  const at = `${ctime(now)} - `;
  return [
    `*** HARAKIRI ON WORKER ${slot.id} (pid: ${slot.pid}, try: ${slot.meta.harakiriTries}) ***`,
    `HARAKIRI !!! worker ${slot.id} status !!!`,
    r
      ? `HARAKIRI [core 0] ${r.addr} - ${r.method} ${r.uri} since ${r.since}`
      : 'HARAKIRI [core 0] no request seen (blocked outside a request?)',
    `HARAKIRI !!! end of worker ${slot.id} status !!!`,
  ].map((line) => at + line);
}
