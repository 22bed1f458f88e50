// Adaptive workers (reference §2.2; seed manual "The uWSGI cheaper subsystem"): once a second the
// master asks the workers what they are doing, lets the `cheaper-algo` decide, and applies the
// limits (`cheaper` <= running <= `processes`, cheaper-rss-limit-soft/-hard). It also runs `idle`
// (every worker stopped after S seconds without a request, woken by the next connection),
// `die-on-idle` and `cheap` (no worker until the first connection).

import type { Config } from '../config/resolve.js';
import { UwsgiError } from '../errors.js';
import {
  CHEAPER_ALGOS,
  type CheaperAlgo,
  type CheaperSettings,
  type CheaperWorker,
} from './cheaper-algos.js';
import type { WorkerPool, WorkerStatsRow } from './worker-pool.js';

export interface ElasticConfig {
  /** Workers spawned at start (and when waking from idle). */
  readonly initial: number;
  readonly cheaper: { readonly algo: string; readonly settings: CheaperSettings } | undefined;
  readonly rssSoftBytes: number;
  readonly rssHardBytes: number;
  /** `idle` seconds (0 = off). */
  readonly idleSeconds: number;
  readonly dieOnIdle: boolean;
  /** `cheap`: start with no worker. */
  readonly cheapAtStart: boolean;
}

/** The adaptive settings of a config, or undefined when the number of workers is fixed. */
export function elasticConfig(config: Config, where: (name: string) => string): ElasticConfig | undefined {
  const processes = config.value('processes');
  const min = config.value('cheaper');
  const idleSeconds = config.value('idle');
  const cheapAtStart = config.value('cheap') === true;
  if (min <= 0 && idleSeconds <= 0 && !cheapAtStart) return undefined;
  let cheaper: ElasticConfig['cheaper'];
  if (min > 0) {
    // uWSGI 2.0.21 refuses it the same way: "invalid cheaper value: must be lower than processes"
    if (min >= processes)
      throw new UwsgiError(
        'ERR_CONFIG_BAD_VALUE',
        `invalid cheaper value ${min} (${where('cheaper')}): must be lower than processes (${processes})`,
      );
    const algo = config.value('cheaper-algo');
    if (!(algo in CHEAPER_ALGOS))
      throw new UwsgiError(
        'ERR_CONFIG_BAD_VALUE',
        `unknown cheaper-algo "${algo}" (${where('cheaper-algo')}); uwsgi-ts has ${Object.keys(CHEAPER_ALGOS).join(', ')}`,
      );
    cheaper = {
      algo,
      settings: {
        min,
        max: processes,
        step: config.value('cheaper-step'),
        overload: config.value('cheaper-overload'),
        idleSeconds: config.value('cheaper-idle'),
        busyness: {
          max: config.value('cheaper-busyness-max'),
          min: config.value('cheaper-busyness-min'),
          multiplier: config.value('cheaper-busyness-multiplier'),
          penalty: config.value('cheaper-busyness-penalty'),
          verbose: config.value('cheaper-busyness-verbose') === true,
          backlogAlert: config.value('cheaper-busyness-backlog-alert'),
          backlogMultiplier: config.value('cheaper-busyness-backlog-multiplier'),
          backlogStep: config.value('cheaper-busyness-backlog-step'),
          backlogNonzeroSeconds: config.value('cheaper-busyness-backlog-nonzero'),
        },
      },
    };
  }
  const initial = cheaper
    ? Math.min(processes, Math.max(min, config.value('cheaper-initial') ?? min))
    : processes;
  return {
    initial,
    cheaper,
    rssSoftBytes: config.value('cheaper-rss-limit-soft') ?? 0,
    rssHardBytes: config.value('cheaper-rss-limit-hard') ?? 0,
    idleSeconds,
    dieOnIdle: config.value('die-on-idle') === true,
    cheapAtStart,
  };
}

export interface CheaperDeps {
  readonly pool: WorkerPool;
  /** Connections waiting in the listen queues of every socket. */
  readonly queue: () => number;
  /** Resident memory of a worker, bytes (0 when unknown). */
  readonly rss: (pid: number) => number;
  readonly log: (line: string) => void;
  /** die-on-idle: stop the instance. */
  readonly shutdown: () => void;
}

const TICK_MS = 1000;
/** While asleep, how often the listen queues are looked at for a waiting connection. */
const WAKE_POLL_MS = 100;

export class Cheaper {
  private readonly algo: CheaperAlgo | undefined;
  private tickTimer: NodeJS.Timeout | undefined;
  private wakeTimer: NodeJS.Timeout | undefined;
  private lastActivity = Date.now();
  private lastRequests = -1;
  private softLimited = false;
  private ticking = false;
  private waking = false;

  constructor(
    private readonly config: ElasticConfig,
    private readonly deps: CheaperDeps,
  ) {
    this.algo = config.cheaper
      ? CHEAPER_ALGOS[config.cheaper.algo]?.(config.cheaper.settings, deps.log)
      : undefined;
  }

  start(): void {
    this.tickTimer = setInterval(() => void this.tick(), TICK_MS);
    this.tickTimer.unref();
  }

  /** `cheap`: the first workers were only spawned to put the sockets in listening state. */
  sleepNow(): void {
    this.sleep();
  }

  private async tick(): Promise<void> {
    const pool = this.deps.pool;
    if (this.ticking || pool.sleeping || this.waking) return;
    this.ticking = true;
    try {
      const rows = await pool.stats(200);
      const now = Date.now();
      const live = rows.filter((r) => !r.cheap && r.accepting);
      const workers: CheaperWorker[] = live.map((r) => ({
        id: r.id,
        // a worker that did not answer is blocked: busy
        busy: !r.answered || (r.snapshot?.busy ?? false),
        busyUs: r.snapshot?.busyUs ?? 0,
      }));
      if (this.idleCheck(live, workers, now)) return;
      if (!this.algo || !this.config.cheaper) return;
      const min = this.config.cheaper.settings.min;
      const rss = this.totalRss(live);
      if (this.config.rssHardBytes > 0 && rss >= this.config.rssHardBytes && pool.running > min) {
        this.deps.log(
          `cheaper: workers use ${rss} bytes of RSS, above cheaper-rss-limit-hard ${this.config.rssHardBytes}: stopping one`,
        );
        this.cheapOne(workers);
        return;
      }
      const want = this.algo.tick({ workers, queue: this.deps.queue(), nowMs: now });
      if (want > 0) this.spawn(want, rss);
      else if (want < 0 && pool.running > min) this.cheapOne(workers);
    } finally {
      this.ticking = false;
    }
  }

  /** `idle`: true when the pool was put to sleep (or the instance told to stop). */
  private idleCheck(
    live: readonly WorkerStatsRow[],
    workers: readonly CheaperWorker[],
    now: number,
  ): boolean {
    const requests = live.reduce((n, r) => n + (r.snapshot?.requests ?? 0), 0);
    if (requests !== this.lastRequests || workers.some((w) => w.busy)) {
      this.lastRequests = requests;
      this.lastActivity = now;
      return false;
    }
    const limit = this.config.idleSeconds;
    if (limit <= 0 || now - this.lastActivity < limit * 1000) return false;
    this.deps.log(
      `workers have been inactive for more than ${limit} seconds (${Math.floor(now / 1000)}-${Math.floor(this.lastActivity / 1000)})`,
    );
    if (this.config.dieOnIdle) {
      this.deps.shutdown();
      return true;
    }
    this.sleep();
    return true;
  }

  private sleep(): void {
    this.deps.pool.sleep();
    this.lastRequests = -1;
    this.deps.log('cheap mode enabled: waiting for socket connection...');
    // no worker accepts now: connections wait in the kernel's listen queue until the workers are back
    this.wakeTimer = setInterval(() => {
      if (this.deps.queue() > 0) this.wake();
    }, WAKE_POLL_MS);
    this.wakeTimer.unref();
  }

  private wake(): void {
    if (this.waking) return;
    clearInterval(this.wakeTimer);
    this.wakeTimer = undefined;
    this.waking = true;
    this.lastActivity = Date.now();
    void this.deps.pool
      .wake()
      .catch((err: unknown) =>
        this.deps.log(`waking the workers failed: ${err instanceof Error ? err.message : String(err)}`),
      )
      .finally(() => {
        this.waking = false;
        this.lastActivity = Date.now();
      });
  }

  private totalRss(live: readonly WorkerStatsRow[]): number {
    if (this.config.rssSoftBytes <= 0 && this.config.rssHardBytes <= 0) return 0;
    return live.reduce((n, r) => n + this.deps.rss(r.pid), 0);
  }

  private spawn(want: number, rss: number): number {
    const pool = this.deps.pool;
    if (this.config.rssSoftBytes > 0 && rss >= this.config.rssSoftBytes) {
      if (!this.softLimited)
        this.deps.log(
          `cheaper: workers use ${rss} bytes of RSS, at or above cheaper-rss-limit-soft ${this.config.rssSoftBytes}: no new worker`,
        );
      this.softLimited = true;
      return 0;
    }
    this.softLimited = false;
    return pool.spawnMore(Math.min(want, pool.max - pool.running));
  }

  private cheapOne(workers: readonly CheaperWorker[]): boolean {
    const idle = new Set(workers.filter((w) => !w.busy).map((w) => w.id));
    return this.deps.pool.cheapOne((id) => idle.has(id));
  }

  /** FIFO `+`: one more worker, up to `processes`. */
  increase(): void {
    const pool = this.deps.pool;
    if (pool.sleeping) {
      this.wake();
      return;
    }
    if (pool.running >= pool.max) {
      this.deps.log(`cheaper: already running the most workers (${pool.max})`);
      return;
    }
    this.spawn(1, this.totalRssNow());
  }

  /** FIFO `-`: one fewer worker, down to `cheaper`. */
  decrease(): void {
    const pool = this.deps.pool;
    const min = this.config.cheaper?.settings.min ?? pool.max;
    if (pool.running <= min) {
      this.deps.log(`cheaper: already running the fewest workers (${min})`);
      return;
    }
    // from the FIFO the operator decides: the oldest worker goes even if it is busy (gracefully)
    if (!this.deps.pool.cheapOne(() => true)) this.deps.log('cheaper: no worker can be stopped now');
  }

  private totalRssNow(): number {
    if (this.config.rssSoftBytes <= 0) return 0;
    return this.deps.pool.pids().reduce((n, pid) => n + this.deps.rss(pid), 0);
  }

  close(): void {
    clearInterval(this.tickTimer);
    clearInterval(this.wakeTimer);
  }
}
