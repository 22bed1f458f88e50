// The master's side of the metrics subsystem (uWSGI's "metrics collector thread"): once a second
// it fills the built-in metrics from what the workers counted, runs the custom collectors whose
// `freq` is due, rewrites the metrics-dir files, and hands the values to the stats pushers
// (statsd, socket) and carbon on their own periods. Nothing here runs per request: the workers
// change manual metrics in shared memory (metric-store.ts) without telling the master.

import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { formatOrigin } from '../config/entry.js';
import type { Config } from '../config/resolve.js';
import type { WorkerStatsRow } from '../master/worker-pool.js';
import type { WorkerSnapshot } from '../stats/worker-stats.js';
import type { BuiltinSource } from './builtin-metrics.js';
import {
  type CarbonHistory,
  CarbonPusher,
  carbonMetricLines,
  carbonPrefix,
  carbonWorkerLines,
  parseIdleAvg,
} from './carbon.js';
import { COLLECTORS } from './collectors.js';
import { METRIC_TYPES } from './metric-spec.js';
import type { MetricStore } from './metric-store.js';
import { MetricsDir } from './metrics-dir.js';
import type { MetricDef } from './metrics-plan.js';
import { type PushedMetric, parseStatsPush, UdpPusher } from './stats-pushers.js';

export interface MetricsHost {
  /** The workers' counters (the pool asks them; a silent one gives what it sent last). */
  workers(): Promise<readonly WorkerStatsRow[]>;
  /** Connections waiting in each bound socket's listen queue, in socket order. */
  listenQueues(): readonly number[];
  /** The name of the first socket (`127.0.0.1:3031`), carbon's default id. */
  firstSocketName(): string | undefined;
  log(line: string): void;
}

/** The stats document's `metrics` object: `"name": {type, oid, value}` (reference §5). */
export type MetricsSection = Record<string, { type: number; oid: string; value: number }>;

interface Periodic {
  readonly everyMs: number;
  nextAt: number;
  readonly run: (now: number) => void;
}

function procMemory(pid: number): { rss: number; vsz: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) =>
      Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
    return { rss: kb('VmRSS'), vsz: kb('VmSize') };
  } catch {
    return { rss: 0, vsz: 0 };
  }
}

/** What the built-in metrics read of the workers at one collection. */
interface WorkerFacts {
  readonly byId: ReadonlyMap<number, { row: WorkerStatsRow; snap: WorkerSnapshot; rss: number; vsz: number }>;
  readonly busy: number;
  readonly idle: number;
  readonly requests: number;
  readonly tx: number;
  readonly rss: number;
  readonly vsz: number;
  readonly avgRt: number;
  readonly runningTime: number;
  readonly queues: readonly number[];
}

/** A built-in's value from the facts; undefined leaves the slot as it is (a worker not heard from). */
function builtinValue(source: BuiltinSource, f: WorkerFacts): number | undefined {
  switch (source.kind) {
    case 'core': {
      const table: Record<typeof source.field, number> = {
        routed_signals: 0,
        unrouted_signals: 0,
        busy_workers: f.busy,
        idle_workers: f.idle,
        overloaded: 0,
        total_tx: f.tx,
        total_rss: f.rss,
        total_vsz: f.vsz,
        avg_response_time: f.avgRt,
        total_running_time: f.runningTime,
      };
      return table[source.field];
    }
    case 'worker': {
      // worker 0 is uWSGI's instance-wide slot: only its requests are counted
      if (source.worker === 0) return source.field === 'requests' ? f.requests : 0;
      const w = f.byId.get(source.worker);
      if (!w) return undefined;
      const table: Record<typeof source.field, number> = {
        requests: w.snap.requests,
        delta_requests: w.snap.requests,
        failed_requests: 0,
        respawns: w.row.respawnCount,
        avg_response_time: w.snap.avgRt,
        total_tx: w.snap.tx,
        rss_size: w.rss,
        vsz_size: w.vsz,
        running_time: w.snap.runningTime,
      };
      return table[source.field];
    }
    case 'worker-core': {
      const w = f.byId.get(source.worker);
      if (!w) return undefined;
      // a Node worker counts per worker: core 0 carries its requests and exceptions
      if (source.core !== 0) return 0;
      if (source.field === 'requests') return w.snap.requests;
      if (source.field === 'exceptions') return w.snap.exceptions;
      return 0;
    }
    case 'socket':
      return f.queues[source.socket] ?? 0;
  }
}

export class MasterMetrics {
  private timer: NodeJS.Timeout | undefined;
  private readonly periodic: Periodic[] = [];
  private readonly nextCollect = new Map<MetricDef, number>();
  private readonly failingFiles = new Set<string>();
  private readonly dir: MetricsDir | undefined;
  private readonly udp: UdpPusher[] = [];
  private readonly resetAfterPush: MetricDef[];
  private carbonHistory: CarbonHistory = new Map();
  private lastCarbonAt = 0;
  private ticking = false;

  constructor(
    private readonly config: Config,
    /** undefined when the subsystem is off (carbon alone still pushes its own keys). */
    readonly store: MetricStore | undefined,
    private readonly host: MetricsHost,
    private readonly now: () => number = Date.now,
  ) {
    const metrics = store?.metrics ?? [];
    this.resetAfterPush = metrics.filter((m) => m.spec?.resetAfterPush && m.writable);
    const dir = config.value('metrics-dir');
    if (store && dir !== undefined) {
      const names = metrics.map((m) => m.name);
      if (config.value('metrics-dir-restore')) {
        const saved = MetricsDir.restore(dir, names);
        for (const m of metrics) {
          const v = saved.get(m.name);
          if (v !== undefined && m.type !== 'alias') store.write(m, v);
        }
      }
      this.dir = new MetricsDir(dir, names);
    }
    if (store) {
      const freq = config.value('stats-pusher-default-freq') * 1000;
      for (const o of config.all('stats-push')) {
        const pusher = new UdpPusher(parseStatsPush(o.value, formatOrigin(o.origin)), host.log);
        this.udp.push(pusher);
        this.periodic.push({ everyMs: freq, nextAt: 0, run: () => pusher.push(this.pushed()) });
      }
    }
    this.setupCarbon();
  }

  private setupCarbon(): void {
    const c = this.config;
    const servers = c.all('carbon').map((o) => {
      const m = /^(.*):([0-9]+)$/.exec(o.value);
      if (!m?.[2]) {
        throw new Error(`carbon "${o.value}" (${formatOrigin(o.origin)}): give HOST:PORT`);
      }
      return {
        host: (m[1] ?? '').replace(/^\[(.*)\]$/, '$1') || '127.0.0.1',
        port: Number(m[2]),
        raw: o.value,
      };
    });
    if (servers.length === 0) return;
    const freqS = c.value('carbon-freq');
    const useMetrics = c.value('carbon-use-metrics') === true && this.store !== undefined;
    const prefix = carbonPrefix(
      c.value('carbon-root'),
      hostname(),
      c.value('carbon-id') ?? this.host.firstSocketName() ?? 'uwsgi',
      c.value('carbon-hostname-dots'),
    );
    const idleAvg = parseIdleAvg(c.value('carbon-idle-avg'));
    const noWorkers = c.value('carbon-no-workers') === true;
    const pusher = new CarbonPusher(
      {
        servers,
        freqS,
        timeoutS: c.value('carbon-timeout'),
        prefix,
        noWorkers,
        idleAvg,
        useMetrics,
        maxRetry: c.value('carbon-max-retry'),
        retryDelayS: c.value('carbon-retry-delay'),
      },
      this.host.log,
    );
    this.periodic.push({
      everyMs: freqS * 1000,
      nextAt: 0,
      run: (now) => {
        const epoch = Math.floor(now / 1000);
        if (useMetrics) {
          pusher.push(carbonMetricLines(prefix, this.pushed(), epoch));
          return;
        }
        void this.host.workers().then((rows) => {
          const workers = rows
            .filter((r) => !r.cheap)
            .map((r) => ({
              id: r.id,
              requests: r.snapshot?.requests ?? 0,
              avgRt: r.snapshot?.avgRt ?? 0,
              tx: r.snapshot?.tx ?? 0,
              busyUs: r.snapshot?.busyUs ?? 0,
              harakiri: r.harakiriCount,
            }));
          const interval = this.lastCarbonAt === 0 ? freqS * 1e6 : (now - this.lastCarbonAt) * 1000;
          this.lastCarbonAt = now;
          pusher.push(
            carbonWorkerLines(prefix, workers, this.carbonHistory, interval, epoch, { noWorkers, idleAvg }),
          );
        });
      },
    });
  }

  /** uWSGI's startup lines. */
  startupLines(): string[] {
    if (!this.store) return [];
    const custom = this.store.metrics.filter((m) => m.spec).map((m) => `added custom metric: ${m.name}`);
    return [...custom, `initialized ${this.store.metrics.length} metrics`];
  }

  start(): void {
    if (!this.store && this.periodic.length === 0) return;
    if (this.store) this.host.log('metrics collector thread started');
    void this.tick();
    this.timer = setInterval(() => void this.tick(), 1000);
    this.timer.unref();
  }

  /** One collection: built-ins, due collectors, files, due pushes. */
  async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      const store = this.store;
      if (store) {
        await this.collectBuiltins(store);
        this.collectCustom(store);
        if (this.dir) for (const m of store.metrics) this.dir.update(m.name, store.read(m));
      }
      const now = this.now();
      let pushed = false;
      for (const p of this.periodic) {
        if (now < p.nextAt) continue;
        p.nextAt = now + p.everyMs - 50;
        p.run(now);
        pushed = true;
      }
      // reset_after_push: back to the initial value once the values went out
      if (pushed && store)
        for (const m of this.resetAfterPush) store.write(m, BigInt(m.spec?.initialValue ?? 0));
    } catch (err) {
      this.host.log(`metrics collector: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      this.ticking = false;
    }
  }

  private async collectBuiltins(store: MetricStore): Promise<void> {
    const rows = await this.host.workers();
    const byId = new Map<number, { row: WorkerStatsRow; snap: WorkerSnapshot; rss: number; vsz: number }>();
    let busy = 0;
    let idle = 0;
    for (const row of rows) {
      if (row.cheap || !row.snapshot) continue;
      const mem = procMemory(row.pid);
      byId.set(row.id, { row, snap: row.snapshot, ...mem });
      if (row.snapshot.busy) busy++;
      else idle++;
    }
    const all = [...byId.values()];
    const total = (f: (w: (typeof all)[number]) => number) => all.reduce((n, w) => n + f(w), 0);
    const facts: WorkerFacts = {
      byId,
      busy,
      idle,
      requests: total((w) => w.snap.requests),
      tx: total((w) => w.snap.tx),
      rss: total((w) => w.rss),
      vsz: total((w) => w.vsz),
      avgRt: all.length === 0 ? 0 : Math.floor(total((w) => w.snap.avgRt) / all.length),
      runningTime: total((w) => w.snap.runningTime),
      queues: this.host.listenQueues(),
    };
    for (const m of store.metrics) {
      if (!m.builtin) continue;
      const v = builtinValue(m.builtin, facts);
      if (v !== undefined) store.write(m, BigInt(Math.trunc(v)));
    }
  }

  private collectCustom(store: MetricStore): void {
    const now = this.now();
    for (const m of store.metrics) {
      const spec = m.spec;
      if (!spec || spec.collector === 'manual' || m.type === 'alias') continue;
      if (now < (this.nextCollect.get(m) ?? 0)) continue;
      this.nextCollect.set(m, now + spec.freq * 1000 - 50);
      const children = spec.children.map((c) => store.get(c) ?? 0n);
      const file = spec.collector === 'file' ? this.readCollected(spec.arg1 ?? '') : undefined;
      store.write(m, COLLECTORS[spec.collector](spec, { current: store.read(m), children, file }));
    }
  }

  /** The file collector's read; a failure is logged once until the file reads again. */
  private readCollected(path: string): string | undefined {
    try {
      const text = readFileSync(path, 'latin1');
      this.failingFiles.delete(path);
      return text;
    } catch (err) {
      if (!this.failingFiles.has(path)) {
        this.failingFiles.add(path);
        this.host.log(`metric file collector: open("${path}"): ${(err as NodeJS.ErrnoException).message}`);
      }
      return undefined;
    }
  }

  private pushed(): PushedMetric[] {
    const store = this.store;
    if (!store) return [];
    return store.metrics.map((m) => ({ name: m.name, type: m.type, value: store.read(m) }));
  }

  /** The stats document's `metrics` object, in metric order. */
  statsSection(): MetricsSection | undefined {
    const store = this.store;
    if (!store) return undefined;
    const out: MetricsSection = {};
    for (const m of store.metrics)
      out[m.name] = { type: METRIC_TYPES[m.type], oid: m.oid, value: Number(store.read(m)) };
    return out;
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.dir?.close();
    for (const p of this.udp) p.close();
  }
}
