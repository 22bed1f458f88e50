// The spooler role's master side: the generic supervisor (src/master/supervisor/) with uWSGI's
// spooler lines ("spawned the uWSGI spooler on dir D with pid P", "OOOPS the spooler is no
// more...trying respawn...", "killing the spooler with pid P", "spooler (pid: P) annihilated";
// reference §10), no handshake, a reload that lets each spooler finish its task before its next
// one starts, the counters of the stats `spoolers` rows, and spooler-harakiri: a task running
// longer than its limit has its process killed (the task stays on disk and runs again).

import type { ChildProcessLike } from '../master/supervisor/child.js';
import { safeKill } from '../master/supervisor/child.js';
import type { RoleSpec } from '../master/supervisor/role.js';
import { type Slot, Supervisor, type SupervisorClock } from '../master/supervisor/supervisor.js';
import type { SpoolerSpec } from './spooler-config.js';

/** Respawn timers do not keep a stopping master alive (a throttled daemon may wait a minute). */
const UNREF_CLOCK: SupervisorClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
};

export interface SpoolerState {
  readonly spec: SpoolerSpec;
  tasks: number;
  task: string;
  since: number;
}

export function spoolerRoleSpec(dirOf: (id: number) => string): RoleSpec {
  const spawned = (id: number, pid: number) =>
    `spawned the uWSGI spooler on dir ${dirOf(id)} with pid ${pid}`;
  return {
    noun: 'spooler',
    handshake: false,
    reload: 'restart',
    backoff: { quickDeathMs: 1000, firstMs: 1000, maxMs: 10_000 },
    lines: {
      spawned,
      respawned: spawned,
      died: () => 'OOOPS the spooler is no more...trying respawn...',
      diedForGood: (_id, pid, how) => `spooler (pid: ${pid}) died${how}`,
      diedYoung: (_id, pid, how) => `spooler on ${dirOf(_id)} (pid: ${pid}) died at start${how}`,
      replacementDied: (_id, pid, how) => `the replacement of spooler (pid: ${pid}) died${how}`,
      buried: (_id, pid) => `spooler (pid: ${pid}) annihilated`,
      stopping: (_id, pid) => `killing the spooler with pid ${pid}`,
      chainStep: (_id, pid) => `chain reload: replacing spooler (pid: ${pid})`,
    },
  };
}

export interface SpoolerPoolOptions {
  readonly specs: readonly SpoolerSpec[];
  /** Forks spooler `spec` and sends it its plan and `start`. */
  spawn(spec: SpoolerSpec): ChildProcessLike;
  /** How long a stopping spooler gets to finish its task before SIGKILL. */
  readonly mercyMs: number;
  /** spooler-harakiri in seconds; 0: off. */
  readonly harakiri: number;
  log(line: string): void;
  readonly onMessage?: (pid: number, id: number, message: unknown) => void;
  readonly clock?: SupervisorClock;
}

export class SpoolerPool {
  private readonly sup: Supervisor<SpoolerState>;
  private readonly specs: ReadonlyMap<number, SpoolerSpec>;
  /** Tasks handled per spooler id, over its respawns (uWSGI keeps them in shared memory). */
  private readonly totals = new Map<number, number>();
  private watchdog: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly options: SpoolerPoolOptions) {
    this.specs = new Map(options.specs.map((s) => [s.id, s]));
    this.sup = new Supervisor<SpoolerState>({
      role: spoolerRoleSpec((id) => this.spec(id).dir),
      spawn: (id) => options.spawn(this.spec(id)),
      onMessage: (slot, message) => options.onMessage?.(slot.pid, slot.id, message),
      meta: (id) => ({ spec: this.spec(id), tasks: 0, task: '', since: 0 }),
      clock: options.clock ?? UNREF_CLOCK,
      log: (line) => options.log(line),
      respawn: true,
      mercyMs: () => options.mercyMs,
    });
  }

  private spec(id: number): SpoolerSpec {
    return this.specs.get(id) ?? { id, dir: '' };
  }

  start(): void {
    void this.sup.start([...this.specs.keys()]);
    if (this.options.harakiri > 0) {
      this.watchdog = setInterval(() => this.checkHarakiri(Date.now()), 1000);
      this.watchdog.unref();
    }
  }

  /** A spooler's `spooler-status` message. */
  status(pid: number, m: { tasks: number; task: string; since: number }): void {
    const slot = this.sup.slots().find((s) => s.pid === pid);
    if (!slot) return;
    const state = slot.meta;
    this.totals.set(slot.id, (this.totals.get(slot.id) ?? 0) + Math.max(0, m.tasks - state.tasks));
    state.tasks = m.tasks;
    state.task = m.task;
    state.since = m.since;
  }

  /** spooler-harakiri: kills a spooler whose task has run past the limit. */
  checkHarakiri(now: number): void {
    const limitMs = this.options.harakiri * 1000;
    for (const slot of this.sup.slots()) {
      const s = slot.meta;
      if (slot.retiring || s.task === '' || now - s.since < limitMs) continue;
      this.options.log(
        `*** HARAKIRI ON THE SPOOLER (pid: ${slot.pid}) task ${s.task} after ${Math.round((now - s.since) / 1000)} seconds (spooler-harakiri ${this.options.harakiri}) ***`,
      );
      s.task = '';
      safeKill(slot.proc, 'SIGKILL');
    }
  }

  /** The stats rows (reference §5 `spoolers`): dir, pid, tasks, respawns, running. */
  statsRows(): Array<{ dir: string; pid: number; tasks: number; respawns: number; running: number }> {
    const live = new Map<number, Slot<SpoolerState>>();
    for (const slot of this.sup.slots()) if (!slot.retiring) live.set(slot.id, slot);
    return [...this.specs.values()].map((spec) => {
      const slot = live.get(spec.id);
      return {
        dir: spec.dir,
        pid: slot?.pid ?? 0,
        tasks: this.totals.get(spec.id) ?? 0,
        respawns: Math.max(0, (this.sup.spawns.get(spec.id) ?? 1) - 1),
        running: slot && slot.meta.task !== '' ? 1 : 0,
      };
    });
  }

  /** The spooler directories, once each (the stats' `spooler on DIR` locks). */
  dirs(): string[] {
    return [...new Set([...this.specs.values()].map((s) => s.dir))];
  }

  pids(): number[] {
    return this.sup.slots().map((s) => s.pid);
  }

  /** The spoolers running now (uwsgi signals to `spooler`). */
  serving(): Array<{ id: number; pid: number }> {
    return this.sup.serving().map((s) => ({ id: s.id, pid: s.pid }));
  }

  /** Sends `message` to the spooler process `pid` (a routed signal); false when no spooler has it. */
  sendToPid(pid: number, message: unknown): boolean {
    return this.sup.sendTo(pid, message);
  }

  /** Each spooler finishes its task and starts again (reload, touch-spoolers-reload). */
  reload(): Promise<void> {
    return this.sup.reload();
  }

  stop(mercyMs = this.options.mercyMs): Promise<void> {
    if (this.watchdog) clearInterval(this.watchdog);
    return this.sup.stop(mercyMs);
  }
}
