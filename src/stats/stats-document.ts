// The stats document (reference §5): same keys, nesting and order as uWSGI 2.0.21, built from
// what the master knows (sockets, pids, spawns) and what each worker counted.

import { readFileSync } from 'node:fs';
import type { Config } from '../config/resolve.js';
import type { WorkerStatsRow } from '../master/worker-pool.js';
import type { BoundSocket } from '../net/bind.js';
import { boundPort } from '../net/native-handle.js';
import { VERSION } from '../version.js';
import { listenQueue } from './listen-queue.js';
import type { StatsObject } from './stats-json.js';
import type { WorkerSnapshot } from './worker-stats.js';

/** uWSGI lists its built-in locks even when nothing holds them. */
const LOCKS = ['signal', 'filemon', 'timer', 'rbtimer', 'cron', 'rpc'];

function memory(pid: number): { rss: number; vsz: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) =>
      Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
    return { rss: kb('VmRSS'), vsz: kb('VmSize') };
  } catch {
    return { rss: 0, vsz: 0 };
  }
}

/** A socket as uWSGI names it in the stats (`127.0.0.1:3031`, `:3031`, a path, `@name`). */
export function socketName(b: BoundSocket): string {
  const a = b.address;
  if (a.kind === 'tcp')
    return `${a.family === 6 ? `[${a.host}]` : a.host === '0.0.0.0' ? '' : a.host}:${boundPort(b.handle) ?? a.port}`;
  if (a.kind === 'unix') return a.path;
  if (a.kind === 'abstract') return `@${a.name}`;
  return b.description;
}

/** What the signal subsystem adds: `signals`/`signal_queue` per worker and the `crons` list. */
export interface SignalStats {
  workerStats(id: number, pid: number): { readonly signals: number; readonly queue: number };
  cronRows(): StatsObject[];
}

/** What the shared services add to the document; each part is optional. */
export interface StatsParts {
  /** Lock rows (`user N`, `sharedareaN`, `cache_NAME`: holder pid); uWSGI lists `user 0` even with none. */
  readonly locks?: {
    readonly user: ReadonlyArray<Record<string, number>>;
    readonly sharedareas: ReadonlyArray<Record<string, number>>;
    readonly caches: ReadonlyArray<Record<string, number>>;
  };
  /** The `caches` list (src/cache/caches.ts `stats()`); uWSGI shows it only when caches exist. */
  readonly caches?: readonly StatsObject[];
  /** The `metrics` object (src/metrics/master-metrics.ts); absent when metrics are off or stats-no-metrics. */
  readonly metrics?: StatsObject | undefined;
  /** uwsgi signals (src/signal/master-signals.ts): per-worker counters and the command crons. */
  readonly signals?: SignalStats | undefined;
  /** The spoolers (src/spooler/spooler-pool.ts): their directories and rows; uWSGI shows them only when there are some. */
  /** The attached daemons (src/daemon/daemon-pool.ts); uWSGI shows them only when there are some. */
  readonly daemons?: { statsRows(): StatsObject[] } | undefined;
  /** The mules (src/mule/mule-pool.ts): uwsgi-ts's own section, uWSGI 2.0.21 has none. */
  readonly mules?: { statsRows(): StatsObject[] } | undefined;
  readonly spoolers?: { dirs(): string[]; statsRows(): StatsObject[] } | undefined;
}

export function statsDocument(
  config: Config,
  sockets: readonly BoundSocket[],
  workers: readonly WorkerStatsRow[],
  parts: StatsParts = {},
): StatsObject {
  const locks = parts.locks ?? { user: [{ 'user 0': 0 }], sharedareas: [], caches: [] };
  const { metrics, signals, spoolers, daemons, mules } = parts;
  const caches = parts.caches ?? [];
  const backlog = config.value('listen');
  const socketRows = sockets.map((b) => {
    const port = b.address.kind === 'tcp' ? boundPort(b.handle) : undefined;
    const q = port === undefined ? undefined : listenQueue(port);
    return {
      name: socketName(b),
      proto: b.protocol,
      queue: q?.queue ?? 0,
      // /proc/net/tcp does not give a LISTEN socket's backlog: the configured one
      max_queue: q?.max || backlog,
      shared: b.inherited ? 1 : 0,
      can_offload: 0,
    };
  });
  const listen = socketRows.reduce((n, s) => n + s.queue, 0);
  return {
    version: VERSION,
    listen_queue: listen,
    listen_queue_errors: 0,
    signal_queue: 0,
    load: listen,
    pid: process.pid,
    uid: process.getuid?.() ?? 0,
    gid: process.getgid?.() ?? 0,
    cwd: process.cwd(),
    // reference §5: `daemons` between the master's facts and the locks, only with attached daemons
    ...(daemons ? { daemons: daemons.statsRows() } : {}),
    // uWSGI's order: user locks, the built-in ones, the sharedareas', snmp, the caches', metrics
    locks: [
      ...locks.user,
      ...LOCKS.map((name) => ({ [name]: 0 })),
      ...locks.sharedareas,
      { snmp: 0 },
      ...locks.caches,
      ...(spoolers?.dirs() ?? []).map((dir) => ({ [`spooler on ${dir}`]: 0 })),
      ...(metrics ? [{ metrics: 0 }] : []),
    ],
    // uWSGI 2.0.21 (recorded): caches, then metrics, between the locks and the sockets
    ...(caches.length > 0 ? { caches: [...caches] } : {}),
    ...(metrics ? { metrics } : {}),
    sockets: socketRows,
    workers: workers.map((w) => {
      const s = w.snapshot;
      const mem = memory(w.pid);
      return {
        id: w.id,
        pid: w.pid,
        accepting: w.accepting ? 1 : 0,
        requests: s?.requests ?? 0,
        delta_requests: s?.requests ?? 0,
        exceptions: s?.exceptions ?? 0,
        harakiri_count: w.harakiriCount,
        signals: signals?.workerStats(w.id, w.pid).signals ?? 0,
        signal_queue: signals?.workerStats(w.id, w.pid).queue ?? 0,
        status: w.cheap ? 'cheap' : s?.busy ? 'busy' : 'idle',
        rss: mem.rss,
        vsz: mem.vsz,
        running_time: s?.runningTime ?? 0,
        last_spawn: w.lastSpawn,
        respawn_count: w.respawnCount,
        tx: s?.tx ?? 0,
        avg_rt: s?.avgRt ?? 0,
        apps: (s?.apps ?? []).map((a) => ({
          id: a.id,
          modifier1: 0,
          mountpoint: a.mountpoint,
          startup_time: 0,
          requests: a.requests,
          exceptions: a.exceptions,
          chdir: '',
        })),
        cores: coreRows(s),
      };
    }),
    // reference §5: the spoolers after the workers, only when there are some
    ...(spoolers ? { spoolers: spoolers.statsRows() } : {}),
    // not in uWSGI 2.0.21's document (it keeps mules out of it): ours, after the spoolers
    ...(mules ? { mules: mules.statsRows() } : {}),
    // uWSGI lists the command crons after the workers (and the spoolers), only when there are some
    ...cronsPart(signals),
  };
}

/** The core objects of a worker (reference §5): one per core the worker reported (threads x async). */
function coreRows(s: WorkerSnapshot | undefined): StatsObject[] {
  const cores = s?.cores ?? [{ requests: s?.requests ?? 0, current: s?.current }];
  return cores.map((core, id) => ({
    id,
    requests: core.requests,
    static_requests: 0,
    routed_requests: 0,
    offloaded_requests: 0,
    write_errors: 0,
    read_errors: 0,
    in_request: core.current ? 1 : 0,
    vars: core.current ? [...core.current.vars] : [],
    req_info: core.current ? { request_start: core.current.start } : {},
  }));
}

function cronsPart(signals: SignalStats | undefined): { crons?: StatsObject[] } {
  const rows = signals?.cronRows() ?? [];
  return rows.length > 0 ? { crons: rows } : {};
}
