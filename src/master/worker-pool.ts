// The worker role's master side: the generic supervisor (src/master/supervisor/) with uWSGI's
// worker lines, plus what only workers have: the handshake messages, harakiri, the counters the
// stats server and the cheaper subsystem read, max-worker-lifetime and the elastic pool (cheaper,
// idle, cheap). Spawn and clock are injected, so all of it is unit-tested without processes.

import type { MasterMessage, WorkerMessageHandlers } from '../ipc/messages.js';
import { dispatchWorkerMessage } from '../ipc/messages.js';
import type { WorkerSnapshot } from '../stats/worker-stats.js';
import { safeKill, safeSend } from './supervisor/child.js';
import type { RoleSpec } from './supervisor/role.js';
import { type Slot, Supervisor } from './supervisor/supervisor.js';
import { dueForHarakiri, harakiriLines, type WorkerMeta } from './worker-harakiri.js';
import type { WorkerPoolOptions, WorkerProcess } from './worker-pool-options.js';
import { WORKER_ROLE } from './worker-role.js';
import { cheapRows, type WorkerStatsRow } from './worker-stats-rows.js';

export type { PoolClock, WorkerPoolOptions, WorkerProcess } from './worker-pool-options.js';
export type { WorkerStatsRow } from './worker-stats-rows.js';

type WorkerHandlers = Pick<
  WorkerMessageHandlers<Slot<WorkerMeta>>,
  'ready' | 'failed' | 'ping' | 'req' | 'user-harakiri' | 'stats' | 'recycle'
>;

export class WorkerPool {
  private readonly options: WorkerPoolOptions;
  private readonly sup: Supervisor<WorkerMeta>;
  /** What each worker id counted last, kept while it is cheap (stats). */
  private readonly lastSnapshot = new Map<number, WorkerSnapshot>();
  private statsWaiters = new Set<() => void>();
  /** harakiri kills per worker id, across respawns (stats `harakiri_count`). */
  private readonly harakiriById = new Map<number, number>();
  /** The first generation is ready: from now on a worker must load every app it is given. */
  private started = false;
  /** The app count of each process's plan (read into its slot's meta). */
  private readonly appsPlanned = new WeakMap<WorkerProcess, number>();
  /** How many workers harakiri killed (for the stats document). */
  harakiriCount = 0;

  constructor(options: WorkerPoolOptions) {
    this.options = options;
    const lines = WORKER_ROLE.lines;
    const role: RoleSpec = {
      ...WORKER_ROLE,
      lines: {
        ...lines,
        spawned: (id, pid) => lines.spawned(id, pid).replace('CORES', String(options.cores)),
      },
    };
    this.sup = new Supervisor<WorkerMeta>({
      role,
      spawn: (id, generation) => this.spawnProcess(id, generation),
      onMessage: (slot, message) =>
        options.onMessage
          ? options.onMessage(slot.pid, slot.id, message)
          : dispatchWorkerMessage(this.handlers, message, slot, options.log),
      meta: (_id, proc) => ({
        lastPing: options.clock.now(),
        current: undefined,
        userHarakiri: undefined,
        harakiriTries: 0,
        stats: undefined,
        appsPlanned: this.appsPlanned.get(proc) ?? 0,
      }),
      clock: options.clock,
      log: options.log,
      respawn: options.respawn,
      mercyMs: options.mercyMs ?? (() => 0),
    });
  }

  private spawnProcess(id: number, generation: number): WorkerProcess {
    const proc = this.options.spawn(id);
    const plan = this.options.plan(id, generation);
    this.appsPlanned.set(proc, plan.apps.length);
    safeSend(proc, { t: 'plan', plan } satisfies MasterMessage);
    for (const socket of this.options.sockets)
      safeSend(proc, { t: 'socket', index: socket.index }, socket.handle);
    safeSend(proc, { t: 'start' } satisfies MasterMessage);
    const lifetime = this.options.lifetimeMs?.(id) ?? 0;
    if (lifetime > 0) {
      const startedAt = this.options.clock.now();
      this.options.clock
        .setTimeout(() => {
          const slot = this.sup.slots().find((s) => s.proc === proc);
          if (!slot || slot.retiring || slot.recycling) return;
          const seconds = Math.round((this.options.clock.now() - startedAt) / 1000);
          void this.sup.recycle(
            slot,
            `worker ${id} lifetime reached, it was running for ${seconds} second(s)`,
          );
        }, lifetime)
        .unref?.();
    }
    return proc;
  }

  /** The pool's rows of the master's message table (src/ipc/messages.ts). */
  readonly handlers: WorkerHandlers = {
    ready: (m, slot) => {
      // uWSGI starts a worker whose app did not load in "full dynamic mode" (every request a 500);
      // so does uwsgi-ts at start. Once the instance serves, a worker that loads fewer apps than it
      // was given (a reload, respawn or recycle that met a broken or half-written app file) is not
      // put in service: a reload keeps the old generation, a recycle the old worker, a respawn
      // backs off and tries again.
      if (this.started && m.apps < slot.meta.appsPlanned) {
        this.options.log(
          `worker ${slot.id} (pid: ${slot.pid}) loaded ${m.apps} of its ${slot.meta.appsPlanned} apps: not put in service`,
        );
        this.sup.markFailed(slot, `loaded ${m.apps} of ${slot.meta.appsPlanned} apps`);
        safeKill(slot.proc, 'SIGKILL');
        return;
      }
      this.sup.markReady(slot);
    },
    failed: (m, slot) => this.sup.markFailed(slot, m.message),
    ping: (_m, slot) => {
      slot.meta.lastPing = this.options.clock.now();
      // the loop turned: whatever blocked it is over
      slot.meta.current = undefined;
    },
    req: (m, slot) => {
      // the watchdog's report: the loop last turned blockedMs ago (a ping may have come later)
      const turned = this.options.clock.now() - Math.max(0, m.blockedMs);
      if (turned > slot.meta.lastPing) slot.meta.lastPing = turned;
      slot.meta.current = { method: m.method, uri: m.uri, addr: m.addr, since: m.since };
    },
    'user-harakiri': (m, slot) => {
      const now = this.options.clock.now();
      slot.meta.lastPing = now;
      const { method, uri, addr, since } = m;
      slot.meta.userHarakiri =
        m.ms > 0 ? { deadline: now + m.ms, request: { method, uri, addr, since } } : undefined;
    },
    stats: (m, slot) => {
      slot.meta.stats = m.snapshot;
      this.lastSnapshot.set(slot.id, m.snapshot);
      for (const waiter of this.statsWaiters) waiter();
    },
    recycle: (m, slot) => void this.sup.recycle(slot, m.reason),
  };

  /**
   * The last snapshot of a worker whose exit was seen before its message was read (a stopped
   * worker sends its counters just before it exits; Node does not order the two events): kept
   * for its id, as its own message would have been, unless a worker with that id runs again.
   */
  lateStats(id: number, snapshot: WorkerSnapshot): void {
    if (this.sup.slots().some((s) => s.id === id)) return;
    this.lastSnapshot.set(id, snapshot);
    for (const waiter of this.statsWaiters) waiter();
  }

  /** Routes a message of worker `pid` to the pool's handlers (the master's table calls this). */
  slotOf(pid: number): Slot<WorkerMeta> | undefined {
    return this.sup.slots().find((s) => s.pid === pid);
  }

  get size(): number {
    return this.sup.size;
  }

  /** The most workers (`processes`). */
  get max(): number {
    return this.options.count;
  }

  /** Workers meant to run now (cheaper mode runs fewer than `max`). */
  get running(): number {
    return this.sup.active.size;
  }

  get generation(): number {
    return this.sup.generation;
  }

  pids(): number[] {
    return this.sup.slots().map((s) => s.pid);
  }

  /** The workers serving now (ready, not draining), in spawn order: uwsgi signal targets (src/signal/). */
  serving(): Array<{ id: number; pid: number }> {
    return this.sup.serving().map((s) => ({ id: s.id, pid: s.pid }));
  }

  /** The serving workers with their processes (the HTTP router's hand-off: src/gateway/http/handoff-relay.ts). */
  servingProcesses(): ReadonlyArray<{ readonly proc: WorkerProcess }> {
    return this.sup.serving();
  }

  /** Sends `message` to the worker process `pid`; false when it is gone or its channel closed. */
  sendTo(pid: number, message: MasterMessage): boolean {
    return this.sup.sendTo(pid, message);
  }

  /** The number of workers of the next generation (a reload re-reads `processes`). */
  setCount(count: number): void {
    this.options.count = count;
    const active = this.sup.active;
    if (this.options.elastic) {
      for (const id of [...active]) if (id > count) active.delete(id);
    } else {
      active.clear();
      for (let id = 1; id <= count; id++) active.add(id);
    }
  }

  /** Spawns the first generation; resolves when every worker is ready, rejects when one fails. */
  async start(): Promise<void> {
    const first = Math.min(this.options.count, this.options.elastic?.initial ?? this.options.count);
    await this.sup.start(Array.from({ length: first }, (_, i) => i + 1));
    this.started = true;
  }

  /** The young deaths in a row of worker `id` (the next back-off; for tests). */
  quickDeathCount(id: number): number {
    return this.sup.quickDeathCount(id);
  }

  /** harakiri, checked every second by the master (src/master/worker-harakiri.ts). */
  checkHarakiri(limitMs: number, ctime: (ms: number) => string): void {
    const now = this.options.clock.now();
    for (const due of dueForHarakiri(this.sup.slots(), now, limitMs)) {
      this.harakiriById.set(due.slot.id, (this.harakiriById.get(due.slot.id) ?? 0) + 1);
      this.harakiriCount++;
      for (const line of harakiriLines(due, now, ctime)) this.options.log(line);
      safeKill(due.slot.proc, 'SIGKILL');
    }
  }

  /**
   * Asks every worker for its counters and waits up to `timeoutMs` for the answers; a worker that
   * does not answer (blocked, starting) is reported with what it sent last.
   */
  async stats(timeoutMs: number): Promise<WorkerStatsRow[]> {
    const live = this.sup.slots().filter((s) => !s.retiring);
    const asked = new Set(
      live.filter((slot) => safeSend(slot.proc, { t: 'stats?' } satisfies MasterMessage)),
    );
    const before = new Map(live.map((s) => [s, s.meta.stats]));
    await new Promise<void>((resolve) => {
      const done = () => {
        this.statsWaiters.delete(check);
        resolve();
      };
      const check = () => {
        if ([...asked].every((s) => s.meta.stats !== before.get(s) || !this.sup.has(s))) done();
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
      respawnCount: this.sup.spawns.get(s.id) ?? 1,
      snapshot: s.meta.stats,
      answered: s.meta.stats !== before.get(s),
      cheap: false,
    }));
    if (this.options.elastic) {
      const shown = new Set(rows.map((r) => r.id));
      rows.push(...cheapRows(this.options.count, shown, this.sup, this.harakiriById, this.lastSnapshot));
    }
    return rows.sort((a, b) => (a.id || Number.MAX_SAFE_INTEGER) - (b.id || Number.MAX_SAFE_INTEGER));
  }

  /**
   * Cheaper: spawns up to `n` of the stopped workers (lowest ids first); returns how many.
   * A worker id that ran before is logged as respawned, as uWSGI does.
   */
  spawnMore(n: number): number {
    let spawned = 0;
    const active = this.sup.active;
    for (let id = 1; id <= this.options.count && spawned < n && !this.sup.isStopping; id++) {
      if (active.has(id)) continue;
      active.add(id);
      this.sup.spawn(id, this.sup.generation, this.sup.spawns.has(id));
      spawned++;
    }
    return spawned;
  }

  /**
   * Cheaper: stops one worker gracefully, the longest-running idle one (uWSGI stops the oldest);
   * `idle` tells which workers are idle. Returns false when none can go.
   */
  cheapOne(idle: (id: number) => boolean): boolean {
    const slot = this.sup
      .slots()
      .filter((s) => s.ready && !s.retiring && !s.recycling && this.sup.active.has(s.id) && idle(s.id))
      .sort((a, b) => a.startedAt - b.startedAt)[0];
    if (!slot) return false;
    this.sup.dismiss(slot);
    return true;
  }

  /** idle mode: every worker goes (gracefully); `wake()` brings `initial` of them back. */
  sleep(): void {
    for (const slot of this.sup.slots())
      if (!slot.retiring && this.sup.active.has(slot.id)) this.sup.dismiss(slot);
    this.sup.active.clear();
  }

  /** Spawns the workers of a sleeping pool again; resolves when they are ready. */
  wake(): Promise<void> {
    const first = Math.min(this.options.count, this.options.elastic?.initial ?? this.options.count);
    return this.sup.whenReady(this.sup.generation, this.spawnMore(first));
  }

  get sleeping(): boolean {
    return this.sup.active.size === 0;
  }

  /** Chain reload (FIFO `c`): one worker at a time; false when `abandon` (a full reload, a stop) cut it short. */
  chainReload(abandon: () => boolean = () => false): Promise<boolean> {
    return this.sup.chainReload(abandon);
  }

  /** Brutal reload (FIFO `R`): a new generation is spawned and the old one killed at once. */
  brutalReload(): void {
    if (this.sup.isStopping) return;
    this.options.log('...brutally killing workers...');
    this.sup.brutalReload();
  }

  /**
   * Zero-downtime reload: spawn a new generation on the same sockets; once all of it is ready,
   * drain the old one. If the new generation fails, it is stopped and the old one keeps serving.
   */
  reload(): Promise<void> {
    return this.sup.reload();
  }

  /** Graceful stop: every worker finishes what it has; SIGKILL after `mercyMs`. */
  stop(mercyMs: number): Promise<void> {
    return this.sup.stop(mercyMs);
  }

  /** Immediate stop. */
  kill(signal: NodeJS.Signals): Promise<void> {
    return this.sup.kill(signal);
  }
}
