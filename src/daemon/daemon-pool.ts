// The attached daemons' master side: the generic supervisor (src/master/supervisor/) with uWSGI's
// daemon lines (observed on 2.0.21: `[uwsgi-daemons] spawning "CMD" (uid: 0 gid: 0)`,
// `respawning "CMD" ...`, `throttling "CMD" for N seconds`, `stopping daemon (pid: P): CMD`), no
// handshake, a back-off that throttles a daemon dying in a loop, `touch` files that restart a
// daemon, control daemons whose death stops the instance, and the stats `daemons` rows.

import { statSync } from 'node:fs';
import type { ChildProcessLike } from '../master/supervisor/child.js';
import type { RoleSpec } from '../master/supervisor/role.js';
import { Supervisor, type SupervisorClock } from '../master/supervisor/supervisor.js';
import type { DaemonSpec } from './daemon-config.js';

/** Respawn timers do not keep a stopping master alive (a throttled daemon may wait a minute). */
const UNREF_CLOCK: SupervisorClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
};

export function daemonRoleSpec(specOf: (id: number) => DaemonSpec): RoleSpec {
  const who = (id: number) => {
    const s = specOf(id);
    return `"${s.cmd}" (uid: ${s.uid ?? process.getuid?.() ?? 0} gid: ${s.gid ?? process.getgid?.() ?? 0})`;
  };
  return {
    noun: 'daemon',
    handshake: false,
    // a reload of the instance leaves its daemons running (they are not part of the app)
    reload: 'restart',
    // a daemon that dies within 10 s of its start is throttled: 1 s, then doubling up to a minute
    backoff: { quickDeathMs: 10_000, firstMs: 1000, maxMs: 60_000 },
    lines: {
      spawned: (id) => `[uwsgi-daemons] spawning ${who(id)}`,
      respawned: (id) => `[uwsgi-daemons] respawning ${who(id)}`,
      died: (id, pid, how) => `[uwsgi-daemons] "${specOf(id).cmd}" (pid: ${pid}) died${how}`,
      diedForGood: (id, pid, how) => `[uwsgi-daemons] "${specOf(id).cmd}" (pid: ${pid}) died${how}`,
      diedYoung: (id, pid, how) => `[uwsgi-daemons] "${specOf(id).cmd}" (pid: ${pid}) died at start${how}`,
      replacementDied: (id, pid, how) => `[uwsgi-daemons] "${specOf(id).cmd}" (pid: ${pid}) died${how}`,
      buried: (id, pid) => `[uwsgi-daemons] "${specOf(id).cmd}" (pid: ${pid}) stopped`,
      stopping: (id, pid) => `[uwsgi-daemons] stopping daemon (pid: ${pid}): ${specOf(id).cmd}`,
      backingOff: (id, ms) =>
        `[uwsgi-daemons] throttling "${specOf(id).cmd}" for ${Math.round(ms / 1000)} seconds`,
      chainStep: (id, pid) => `[uwsgi-daemons] restarting daemon (pid: ${pid}): ${specOf(id).cmd}`,
    },
  };
}

export interface DaemonPoolOptions {
  readonly specs: readonly DaemonSpec[];
  spawn(spec: DaemonSpec): ChildProcessLike;
  /** How long a stopping daemon gets before SIGKILL to its group. */
  readonly mercyMs: number;
  log(line: string): void;
  /** A control daemon died (not stopped by us): the instance stops. */
  onControlDeath(spec: DaemonSpec): void;
  readonly clock?: SupervisorClock;
}

export class DaemonPool {
  private readonly sup: Supervisor<DaemonSpec>;
  private readonly specs: ReadonlyMap<number, DaemonSpec>;
  private readonly mtimes = new Map<string, number>();
  private touchTimer: ReturnType<typeof setInterval> | undefined;
  private stopping = false;

  constructor(private readonly options: DaemonPoolOptions) {
    this.specs = new Map(options.specs.map((s) => [s.id, s]));
    this.sup = new Supervisor<DaemonSpec>({
      role: daemonRoleSpec((id) => this.spec(id)),
      spawn: (id) => {
        const spec = this.spec(id);
        const proc = options.spawn(spec);
        if (spec.control) {
          proc.on('exit', () => {
            if (!this.stopping) options.onControlDeath(spec);
          });
        }
        return proc;
      },
      onMessage: () => {},
      meta: (id) => this.spec(id),
      clock: options.clock ?? UNREF_CLOCK,
      log: (line) => options.log(line),
      respawn: true,
      mercyMs: () => options.mercyMs,
    });
  }

  private spec(id: number): DaemonSpec {
    const spec = this.specs.get(id);
    if (!spec) throw new Error(`no daemon ${id}`);
    return spec;
  }

  start(): void {
    void this.sup.start([...this.specs.keys()]);
    for (const spec of this.specs.values()) for (const file of spec.touch) this.mtimes.set(file, mtime(file));
    if (this.mtimes.size > 0) {
      this.touchTimer = setInterval(() => this.checkTouch(), 1000);
      this.touchTimer.unref();
    }
  }

  /** `touch=`: a daemon whose file changed is stopped with its signal, then respawned. */
  private checkTouch(): void {
    for (const slot of this.sup.slots()) {
      for (const file of slot.meta.touch) {
        const now = mtime(file);
        if (now === this.mtimes.get(file)) continue;
        this.mtimes.set(file, now);
        this.options.log(`[uwsgi-daemons] "${slot.meta.cmd}" has been touched, reloading (pid: ${slot.pid})`);
        slot.proc.kill(slot.meta.reloadSignal);
      }
    }
  }

  /** The stats rows (reference §5 `daemons`): cmd, pid, respawns. */
  statsRows(): Array<{ cmd: string; pid: number; respawns: number }> {
    const live = new Map(this.sup.slots().map((s) => [s.id, s.pid]));
    return [...this.specs.values()].map((spec) => ({
      cmd: spec.cmd,
      pid: live.get(spec.id) ?? 0,
      respawns: Math.max(0, (this.sup.spawns.get(spec.id) ?? 1) - 1),
    }));
  }

  pids(): number[] {
    return this.sup.slots().map((s) => s.pid);
  }

  stop(): Promise<void> {
    this.stopping = true;
    if (this.touchTimer) clearInterval(this.touchTimer);
    return this.sup.stop(this.options.mercyMs);
  }
}

function mtime(file: string): number {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}
