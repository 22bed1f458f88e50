// The workers of an instance: spawn (injected, so respawn and back-off are testable without real
// processes), respawn on death with uWSGI's log lines, graceful stop, and reload by generations
// (a new generation is spawned and must be ready before the old one is told to drain).

import type { MasterMessage } from '../ipc/messages.js';
import { isWorkerMessage } from '../ipc/messages.js';
import type { NativeHandle } from '../net/native-handle.js';
import type { WorkerSnapshot } from '../stats/worker-stats.js';
import type { WorkerPlan } from '../worker/plan.js';

/** What the pool needs of a child process (a ChildProcess fits). */
export interface WorkerProcess {
  readonly pid: number | undefined;
  send(message: MasterMessage, handle?: NativeHandle): boolean;
  kill(signal: NodeJS.Signals): boolean;
  on(event: 'message', listener: (message: unknown) => void): this;
  on(event: 'exit', listener: (code: number | null, signal: NodeJS.Signals | null) => void): this;
}

export interface PoolClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): { unref?(): void };
}

export interface WorkerPoolOptions {
  count: number;
  readonly cores: number;
  /** Respawn dead workers (uWSGI does only with a master). */
  readonly respawn: boolean;
  readonly plan: (id: number, generation: number) => WorkerPlan;
  readonly sockets: ReadonlyArray<{ readonly index: number; readonly handle: NativeHandle }>;
  readonly spawn: (id: number) => WorkerProcess;
  readonly clock: PoolClock;
  readonly log: (line: string) => void;
  /** A worker's log line sent over IPC (log-master). */
  readonly onWorkerLog?: (line: string) => void;
  /** max-worker-lifetime in ms for worker `id` (with its delta), 0 = none. */
  readonly lifetimeMs?: (id: number) => number;
  /**
   * Adaptive workers (cheaper, idle, cheap): `count` is the most workers; the first `initial` are
   * spawned at start and the others when the cheaper algorithm asks; stopped ones show as cheap.
   */
  readonly elastic?: { readonly initial: number };
}

interface Slot {
  readonly id: number;
  readonly generation: number;
  readonly proc: WorkerProcess;
  readonly pid: number;
  readonly startedAt: number;
  ready: boolean;
  /** Told to stop: its exit is expected. */
  retiring: boolean;
  /** A replacement is being started for it. */
  recycling: boolean;
  /** It is the replacement of a recycled worker (not respawned if it dies before it is ready). */
  replacement: boolean;
  /** harakiri: when the worker's event loop last pinged, and the request it started last. */
  lastPing: number;
  current: { method: string; uri: string; addr: string; since: number } | undefined;
  /** setUserHarakiri(): when the worker's earliest per-request limit expires, and its request. */
  userHarakiri?:
    | { deadline: number; request: { method: string; uri: string; addr: string; since: number } }
    | undefined;
  harakiriTries: number;
  /** The last counters the worker sent (stats). */
  stats: WorkerSnapshot | undefined;
  retiredAt: number | undefined;
  /** Stopped by the cheaper subsystem: its exit is logged as cheaped and it is not respawned. */
  cheaped: boolean;
}

/** One worker as the stats document needs it. */
export interface WorkerStatsRow {
  readonly id: number;
  readonly pid: number;
  readonly accepting: boolean;
  readonly harakiriCount: number;
  readonly lastSpawn: number;
  readonly respawnCount: number;
  readonly snapshot: WorkerSnapshot | undefined;
  /** The worker answered this query (a blocked one sends nothing: `snapshot` is its last). */
  readonly answered: boolean;
  /** A worker slot the cheaper subsystem keeps stopped (uWSGI's status "cheap", pid 0). */
  readonly cheap: boolean;
}

/** A worker's loop pings every 1000 ms: this long without a ping, it is blocked (user harakiri). */
const BLOCKED_MS = 1500;

/** A death within this many ms of the spawn counts as a crash loop and backs off. */
const QUICK_DEATH_MS = 2000;
const MAX_BACKOFF_MS = 10_000;

export class WorkerPool {
  private readonly options: WorkerPoolOptions;
  private readonly slots = new Set<Slot>();
  private generation = 1;
  private quickDeaths = new Map<number, number>();
  private stopping = false;
  private readyWaiters: Array<{
    generation: number;
    expected: number;
    resolve: () => void;
    reject: (err: Error) => void;
  }> = [];
  private emptyWaiters: Array<() => void> = [];
  /** The worker ids meant to run (all of them, unless the cheaper subsystem stopped some). */
  private readonly active = new Set<number>();
  /** What each worker id counted last, kept while it is cheap (stats). */
  private readonly lastSnapshot = new Map<number, WorkerSnapshot>();

  constructor(options: WorkerPoolOptions) {
    this.options = options;
  }

  get size(): number {
    return this.slots.size;
  }

  /** The most workers (`processes`). */
  get max(): number {
    return this.options.count;
  }

  /** Workers meant to run now (cheaper mode runs fewer than `max`). */
  get running(): number {
    return this.active.size;
  }

  pids(): number[] {
    return [...this.slots].map((s) => s.pid);
  }

  /** The workers serving now (ready, not draining), in spawn order: uwsgi signal targets (src/signal/). */
  serving(): Array<{ id: number; pid: number }> {
    return [...this.slots].filter((s) => s.ready && !s.retiring).map((s) => ({ id: s.id, pid: s.pid }));
  }

  /** Sends `message` to the worker process `pid`; false when it is gone or its channel closed. */
  sendTo(pid: number, message: MasterMessage): boolean {
    for (const slot of this.slots) {
      if (slot.pid !== pid) continue;
      if ((slot.proc as { connected?: boolean }).connected === false) return false;
      return slot.proc.send(message);
    }
    return false;
  }

  /** The number of workers of the next generation (a reload re-reads `processes`). */
  setCount(count: number): void {
    this.options.count = count;
    if (this.options.elastic) {
      for (const id of [...this.active]) if (id > count) this.active.delete(id);
    } else {
      this.active.clear();
      for (let id = 1; id <= count; id++) this.active.add(id);
    }
  }

  /** Spawns the first generation; resolves when every worker is ready, rejects when one fails. */
  start(): Promise<void> {
    const first = Math.min(this.options.count, this.options.elastic?.initial ?? this.options.count);
    for (let id = 1; id <= first; id++) {
      this.active.add(id);
      this.spawn(id, this.generation, false);
    }
    return this.whenReady(this.generation, first);
  }

  private whenReady(generation: number, expected: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.readyWaiters.push({ generation, expected, resolve, reject });
      this.checkReady();
    });
  }

  private checkReady(): void {
    for (const waiter of [...this.readyWaiters]) {
      const gen = [...this.slots].filter((s) => s.generation === waiter.generation && !s.retiring);
      if (gen.length >= waiter.expected && gen.every((s) => s.ready)) {
        this.readyWaiters = this.readyWaiters.filter((w) => w !== waiter);
        waiter.resolve();
      }
    }
  }

  private failGeneration(generation: number, why: string): void {
    for (const waiter of [...this.readyWaiters]) {
      if (waiter.generation !== generation) continue;
      this.readyWaiters = this.readyWaiters.filter((w) => w !== waiter);
      waiter.reject(new Error(why));
    }
  }

  private spawn(id: number, generation: number, respawned: boolean): Slot {
    const proc = this.options.spawn(id);
    this.spawns.set(id, (this.spawns.get(id) ?? 0) + 1);
    this.lastSpawnAt.set(id, this.options.clock.now());
    const pid = proc.pid ?? 0;
    const slot: Slot = {
      id,
      generation,
      proc,
      pid,
      startedAt: this.options.clock.now(),
      ready: false,
      retiring: false,
      recycling: false,
      replacement: false,
      lastPing: this.options.clock.now(),
      current: undefined,
      harakiriTries: 0,
      stats: undefined,
      retiredAt: undefined,
      cheaped: false,
    };
    this.slots.add(slot);
    proc.on('message', (message) => this.onMessage(slot, message));
    proc.on('exit', (code, signal) => this.onExit(slot, code, signal));
    proc.send({ t: 'plan', plan: this.options.plan(id, generation) });
    for (const socket of this.options.sockets) proc.send({ t: 'socket', index: socket.index }, socket.handle);
    proc.send({ t: 'start' });
    if (respawned) this.options.log(`Respawned uWSGI worker ${id} (new pid: ${pid})`);
    else this.options.log(`spawned uWSGI worker ${id} (pid: ${pid}, cores: ${this.options.cores})`);
    const lifetime = this.options.lifetimeMs?.(id) ?? 0;
    if (lifetime > 0) {
      this.options.clock
        .setTimeout(() => {
          if (!this.slots.has(slot) || slot.retiring || slot.recycling || this.stopping) return;
          const seconds = Math.round((this.options.clock.now() - slot.startedAt) / 1000);
          void this.recycle(slot, `worker ${id} lifetime reached, it was running for ${seconds} second(s)`);
        }, lifetime)
        .unref?.();
    }
    return slot;
  }

  private onMessage(slot: Slot, message: unknown): void {
    if (!isWorkerMessage(message)) return;
    switch (message.t) {
      case 'ready':
        slot.ready = true;
        this.quickDeaths.delete(slot.id);
        this.checkReady();
        return;
      case 'failed':
        this.failGeneration(slot.generation, `worker ${slot.id} (pid: ${slot.pid}): ${message.message}`);
        return;
      case 'ping':
        slot.lastPing = this.options.clock.now();
        return;
      case 'req': {
        // the watchdog's report: the loop last turned blockedMs ago (a ping may have come later)
        const turned = this.options.clock.now() - Math.max(0, message.blockedMs);
        if (turned > slot.lastPing) slot.lastPing = turned;
        slot.current = { method: message.method, uri: message.uri, addr: message.addr, since: message.since };
        return;
      }
      case 'user-harakiri': {
        const now = this.options.clock.now();
        slot.lastPing = now;
        const { method, uri, addr, since } = message;
        slot.userHarakiri =
          message.ms > 0 ? { deadline: now + message.ms, request: { method, uri, addr, since } } : undefined;
        return;
      }
      case 'stats':
        slot.stats = message.snapshot;
        this.lastSnapshot.set(slot.id, message.snapshot);
        for (const waiter of this.statsWaiters) waiter();
        return;
      case 'recycle':
        void this.recycle(slot, message.reason);
        return;
      case 'log':
        (this.options.onWorkerLog ?? this.options.log)(message.line.replace(/\n$/, ''));
        return;
    }
  }

  private onExit(slot: Slot, code: number | null, signal: NodeJS.Signals | null): void {
    this.slots.delete(slot);
    const now = this.options.clock.now();
    if (slot.cheaped && !this.stopping) {
      this.options.log(`worker ${slot.id} killed successfully (pid: ${slot.pid})`);
      this.options.log(`uWSGI worker ${slot.id} cheaped.`);
    } else if (slot.retiring || this.stopping) {
      const seconds = Math.round((now - (slot.retiredAt ?? now)) / 1000);
      this.options.log(`worker ${slot.id} buried after ${seconds} seconds`);
    } else {
      const how = signal ? `, killed by signal ${signalNumber(signal)}` : code ? `, exit code ${code}` : '';
      if (slot.replacement && !slot.ready) {
        this.options.log(
          `the replacement of worker ${slot.id} (pid: ${slot.pid}) died before it was ready${how}: the old one keeps serving`,
        );
        this.notifyEmpty();
        return;
      }
      if (!slot.ready)
        this.failGeneration(
          slot.generation,
          `worker ${slot.id} (pid: ${slot.pid}) died before it was ready${how}`,
        );
      if (this.options.respawn) {
        this.options.log(`DAMN ! worker ${slot.id} (pid: ${slot.pid}) died${how} :( trying respawn ...`);
        this.respawnLater(slot, now);
      } else {
        this.options.log(`worker ${slot.id} (pid: ${slot.pid}) died${how}; no master: not respawned`);
      }
    }
    this.notifyEmpty();
  }

  private notifyEmpty(): void {
    if (this.slots.size !== 0) return;
    const waiters = this.emptyWaiters;
    this.emptyWaiters = [];
    for (const w of waiters) w();
  }

  /** Immediate after a long life; doubling back-off while a worker keeps dying young. */
  private respawnLater(slot: Slot, now: number): void {
    const quick = now - slot.startedAt < QUICK_DEATH_MS ? (this.quickDeaths.get(slot.id) ?? 0) + 1 : 0;
    this.quickDeaths.set(slot.id, quick);
    const delay = quick === 0 ? 0 : Math.min(MAX_BACKOFF_MS, 100 * 2 ** (quick - 1));
    const go = () => {
      if (this.stopping || !this.active.has(slot.id)) return;
      // a worker of a reload that failed (rolled back) is not respawned, nor one whose id the
      // current generation already serves (a recycled worker's replacement, say)
      if (slot.generation > this.generation) return;
      if ([...this.slots].some((s) => s.id === slot.id && s.generation === this.generation && !s.retiring))
        return;
      this.spawn(slot.id, this.generation, true);
    };
    if (delay === 0) go();
    else {
      this.options.log(`worker ${slot.id} keeps dying: respawning it in ${delay} ms`);
      this.options.clock.setTimeout(go, delay);
    }
  }

  /** The delay the next respawn of worker `id` would wait (for tests). */
  quickDeathCount(id: number): number {
    return this.quickDeaths.get(id) ?? 0;
  }

  /**
   * Graceful recycling of one worker: its replacement is spawned first and the old one drains
   * only once the new one is ready, so the socket always has a worker accepting.
   */
  private recycle(slot: Slot, why: string): Promise<void> {
    if (slot.recycling || slot.retiring || this.stopping) return Promise.resolve();
    slot.recycling = true;
    this.options.log(why);
    const replacement = this.spawn(slot.id, slot.generation, true);
    replacement.replacement = true;
    return new Promise((resolve) => {
      const ready = () => {
        if (replacement.ready) {
          if (this.slots.has(slot)) this.retire(slot);
          resolve();
          return;
        }
        if (!this.slots.has(replacement)) {
          slot.recycling = false;
          resolve();
          return;
        }
        this.options.clock.setTimeout(ready, 50);
      };
      ready();
    });
  }

  /**
   * harakiri for a blocked event loop (reference §10's lines): a ready worker that has not pinged
   * for `limitMs` (the global `harakiri`; 0 = off) is killed, and so is one past its
   * setUserHarakiri() deadline whose loop is blocked; the respawn path logs its death and
   * replaces it. As in uWSGI 2.0 the two are separate timers and the first to expire kills.
   */
  checkHarakiri(limitMs: number, ctime: (ms: number) => string): void {
    const now = this.options.clock.now();
    for (const slot of this.slots) {
      if (!slot.ready || slot.retiring) continue;
      const silent = now - slot.lastPing;
      const user = slot.userHarakiri;
      // a live loop pings every second: a user deadline passed with a loop still pinging is the
      // worker's own to answer (504); only a loop silent past BLOCKED_MS is killed
      const byUser = user !== undefined && now >= user.deadline && silent > BLOCKED_MS;
      if (!byUser && (limitMs <= 0 || silent <= limitMs)) continue;
      slot.userHarakiri = undefined;
      slot.harakiriTries++;
      this.harakiriById.set(slot.id, (this.harakiriById.get(slot.id) ?? 0) + 1);
      // uWSGI 2.0.21 dates all four lines (test/fixtures/uwsgi-2.0.21-app-api.json)
      const at = `${ctime(now)} - `;
      const log = (line: string) => this.options.log(at + line);
      log(`*** HARAKIRI ON WORKER ${slot.id} (pid: ${slot.pid}, try: ${slot.harakiriTries}) ***`);
      log(`HARAKIRI !!! worker ${slot.id} status !!!`);
      const c = byUser ? user.request : slot.current;
      log(
        c
          ? `HARAKIRI [core 0] ${c.addr} - ${c.method} ${c.uri} since ${c.since}`
          : 'HARAKIRI [core 0] no request seen (blocked outside a request?)',
      );
      log(`HARAKIRI !!! end of worker ${slot.id} status !!!`);
      this.harakiriCount++;
      slot.proc.kill('SIGKILL');
    }
  }

  /** How many workers harakiri killed (for the stats document). */
  harakiriCount = 0;
  private statsWaiters = new Set<() => void>();
  private readonly spawns = new Map<number, number>();
  private readonly lastSpawnAt = new Map<number, number>();
  /** harakiri kills per worker id, across respawns (stats `harakiri_count`). */
  private readonly harakiriById = new Map<number, number>();

  /**
   * Asks every worker for its counters and waits up to `timeoutMs` for the answers; a worker that
   * does not answer (blocked, starting) is reported with what it sent last.
   */
  async stats(timeoutMs: number): Promise<WorkerStatsRow[]> {
    const live = [...this.slots].filter((s) => !s.retiring);
    const asked = new Set(live);
    for (const slot of live) {
      if (!slot.proc.send({ t: 'stats?' })) asked.delete(slot);
    }
    const before = new Map(live.map((s) => [s, s.stats]));
    await new Promise<void>((resolve) => {
      const check = () => {
        if ([...asked].every((s) => s.stats !== before.get(s) || !this.slots.has(s))) done();
      };
      const done = () => {
        this.statsWaiters.delete(check);
        resolve();
      };
      this.statsWaiters.add(check);
      this.options.clock.setTimeout(done, timeoutMs);
      check();
    });
    const rows: WorkerStatsRow[] = live.map((s) => ({
      id: s.id,
      pid: s.pid,
      accepting: s.ready && !s.retiring,
      harakiriCount: this.harakiriById.get(s.id) ?? 0,
      lastSpawn: Math.floor(s.startedAt / 1000),
      respawnCount: this.spawns.get(s.id) ?? 1,
      snapshot: s.stats,
      answered: s.stats !== before.get(s),
      cheap: false,
    }));
    if (this.options.elastic) {
      // uWSGI lists every worker slot: a stopped one keeps its id and counters with pid 0, one
      // never spawned is all zeros (id 0)
      const shown = new Set(rows.map((r) => r.id));
      for (let id = 1; id <= this.options.count; id++) {
        if (shown.has(id)) continue;
        const spawned = this.spawns.has(id);
        rows.push({
          id: spawned ? id : 0,
          pid: 0,
          accepting: false,
          harakiriCount: this.harakiriById.get(id) ?? 0,
          lastSpawn: spawned ? Math.floor((this.lastSpawnAt.get(id) ?? 0) / 1000) : 0,
          respawnCount: this.spawns.get(id) ?? 0,
          snapshot: this.lastSnapshot.get(id),
          answered: false,
          cheap: true,
        });
      }
    }
    return rows.sort((a, b) => (a.id || Number.MAX_SAFE_INTEGER) - (b.id || Number.MAX_SAFE_INTEGER));
  }

  /**
   * Cheaper: spawns up to `n` of the stopped workers (lowest ids first); returns how many.
   * A worker id that ran before is logged as respawned, as uWSGI does.
   */
  spawnMore(n: number): number {
    let spawned = 0;
    for (let id = 1; id <= this.options.count && spawned < n && !this.stopping; id++) {
      if (this.active.has(id)) continue;
      this.active.add(id);
      this.spawn(id, this.generation, this.spawns.has(id));
      spawned++;
    }
    return spawned;
  }

  /**
   * Cheaper: stops one worker gracefully, the longest-running idle one (uWSGI stops the oldest);
   * `idle` tells which workers are idle. Returns false when none can go.
   */
  cheapOne(idle: (id: number) => boolean): boolean {
    const candidates = [...this.slots]
      .filter((s) => s.ready && !s.retiring && !s.recycling && this.active.has(s.id) && idle(s.id))
      .sort((a, b) => a.startedAt - b.startedAt);
    const slot = candidates[0];
    if (!slot) return false;
    this.cheap(slot);
    return true;
  }

  private cheap(slot: Slot): void {
    this.active.delete(slot.id);
    slot.cheaped = true;
    slot.retiring = true;
    slot.retiredAt = this.options.clock.now();
    slot.proc.send({ t: 'stop' });
  }

  /** idle mode: every worker goes (gracefully); `wake()` brings `initial` of them back. */
  sleep(): void {
    for (const slot of [...this.slots]) {
      if (!slot.retiring && this.active.has(slot.id)) this.cheap(slot);
    }
    this.active.clear();
  }

  /** Spawns the workers of a sleeping pool again; resolves when they are ready. */
  wake(): Promise<void> {
    const first = Math.min(this.options.count, this.options.elastic?.initial ?? this.options.count);
    const spawned = this.spawnMore(first);
    return this.whenReady(this.generation, spawned);
  }

  get sleeping(): boolean {
    return this.active.size === 0;
  }

  /** Chain reload (FIFO `c`): one worker at a time, each replacement ready before its old one drains. */
  async chainReload(): Promise<void> {
    const current = [...this.slots].filter((s) => !s.retiring && !s.recycling);
    for (const slot of current) {
      await this.recycle(slot, `chain reload: replacing worker ${slot.id} (pid: ${slot.pid})`);
    }
  }

  /** Brutal reload (FIFO `R`): a new generation is spawned and the old one killed at once. */
  brutalReload(): void {
    if (this.stopping) return;
    this.options.log('...brutally killing workers...');
    const old = [...this.slots].filter((s) => !s.retiring);
    const generation = ++this.generation;
    for (const id of this.activeIds()) this.spawn(id, generation, false);
    for (const slot of old) {
      slot.retiring = true;
      slot.retiredAt = this.options.clock.now();
      slot.proc.kill('SIGKILL');
    }
  }

  private activeIds(): number[] {
    return [...this.active].sort((a, b) => a - b);
  }

  private retire(slot: Slot): void {
    slot.retiring = true;
    slot.retiredAt = this.options.clock.now();
    this.options.log(`Gracefully killing worker ${slot.id} (pid: ${slot.pid})...`);
    slot.proc.send({ t: 'stop' });
  }

  /**
   * Zero-downtime reload: spawn a new generation on the same sockets; once all of it is ready,
   * drain the old one. If the new generation fails, it is stopped and the old one keeps serving.
   */
  async reload(): Promise<void> {
    const old = [...this.slots].filter((s) => !s.retiring);
    const generation = ++this.generation;
    const ids = this.activeIds();
    for (const id of ids) this.spawn(id, generation, false);
    try {
      await this.whenReady(generation, ids.length);
    } catch (err) {
      for (const slot of [...this.slots]) if (slot.generation === generation) this.retire(slot);
      this.generation = generation - 1;
      throw err;
    }
    for (const slot of old) this.retire(slot);
  }

  /** Graceful stop: every worker finishes what it has; SIGKILL after `mercyMs`. */
  stop(mercyMs: number): Promise<void> {
    this.stopping = true;
    for (const slot of this.slots) if (!slot.retiring) this.retire(slot);
    this.options.clock.setTimeout(() => this.kill('SIGKILL'), mercyMs).unref?.();
    return this.empty();
  }

  /** Immediate stop. */
  kill(signal: NodeJS.Signals): Promise<void> {
    this.stopping = true;
    for (const slot of this.slots) {
      slot.retiring = true;
      slot.retiredAt ??= this.options.clock.now();
      slot.proc.kill(signal);
    }
    return this.empty();
  }

  private empty(): Promise<void> {
    if (this.slots.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.emptyWaiters.push(resolve));
  }
}

const SIGNAL_NUMBERS: Readonly<Record<string, number>> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGABRT: 6,
  SIGKILL: 9,
  SIGSEGV: 11,
  SIGTERM: 15,
};

function signalNumber(signal: NodeJS.Signals): number | string {
  return SIGNAL_NUMBERS[signal] ?? signal;
}
