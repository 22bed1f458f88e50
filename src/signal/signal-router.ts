// The master's signal table and routing (seed manual, "register_signal"): 256 entries, each the
// target a worker registered; a raised signal goes to the workers its target names. Delivery and
// the list of serving workers are injected, so routing is unit-tested without processes.

import {
  FirstAvailable,
  type InstanceShape,
  parseSignalTarget,
  resolveTarget,
  type SignalPeer,
} from './signal-target.js';

/** uwsgi signals are one byte: 0..255. */
export const SIGNAL_COUNT = 256;

export function isSignalNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value < SIGNAL_COUNT;
}

export interface RouterWorld {
  /** The workers serving now (ready, not draining), in spawn order. */
  serving(): ReadonlyArray<{ readonly id: number; readonly pid: number }>;
  /** The mules running now (src/mule/), by id. */
  mules?(): ReadonlyArray<{ readonly id: number; readonly pid: number }>;
  /** The spooler processes running now (src/spooler/). */
  spoolers?(): ReadonlyArray<{ readonly id: number; readonly pid: number }>;
  /** Sends signal `num` to the worker, mule or spooler with `pid`; false when its channel is gone. */
  send(pid: number, num: number): boolean;
  readonly shape: InstanceShape;
  log(line: string): void;
}

interface Entry {
  /** The target as registered (also when it names nothing uWSGI knows). */
  readonly name: string;
  readonly wid: number;
}

/** A worker's counters for the stats document. */
export interface WorkerSignalStats {
  /** Signals delivered to this worker id. */
  readonly signals: number;
  /** Delivered and not handled yet. */
  readonly queue: number;
}

export class SignalRouter {
  private readonly table: Array<Entry | undefined> = new Array(SIGNAL_COUNT).fill(undefined);
  private readonly pending = new Map<number, number>();
  private readonly delivered = new Map<number, number>();
  private readonly firstAvailable = new FirstAvailable();
  private readonly firstMule = new FirstAvailable();

  constructor(private readonly world: RouterWorld) {}

  /** A worker registered a handler for `num` (the last registration names the target, as in uWSGI's shared table). */
  register(num: number, name: string, wid: number): void {
    this.table[num] = { name, wid };
  }

  registered(num: number): boolean {
    return this.table[num] !== undefined;
  }

  /**
   * Routes `num` to its target's workers. A signal nobody registered goes to one worker (which
   * logs that it has no handler), as in uWSGI. Returns how many workers got it.
   */
  raise(num: number): number {
    const entry = this.table[num];
    const name = entry?.name ?? '';
    const target = parseSignalTarget(name);
    if (!target) {
      this.world.log(`^^^ UNSUPPORTED SIGNAL TARGET: ${name} ^^^`);
      return 0;
    }
    const serving = this.world.serving();
    const mules = this.world.mules?.() ?? [];
    const spoolers = this.world.spoolers?.() ?? [];
    const live = new Set([...serving, ...mules, ...spoolers].map((w) => w.pid));
    for (const pid of this.pending.keys()) if (!live.has(pid)) this.pending.delete(pid);
    const peer = (w: { id: number; pid: number }): SignalPeer => ({
      ...w,
      pending: this.pending.get(w.pid) ?? 0,
    });
    const resolution = resolveTarget(
      target,
      num,
      { workers: serving.map(peer), mules: mules.map(peer), spoolers: spoolers.map(peer) },
      this.world.shape,
      { worker: (p) => this.firstAvailable.pick(p), mule: (p) => this.firstMule.pick(p) },
    );
    if (resolution.deliver === 'nowhere') {
      for (const line of resolution.lines) this.world.log(line);
      return 0;
    }
    let sent = 0;
    for (const pid of resolution.pids) {
      const worker = serving.find((w) => w.pid === pid);
      const id = worker?.id ?? 0;
      if (!this.world.send(pid, num)) {
        const mule = mules.find((m) => m.pid === pid);
        this.world.log(`could not deliver signal ${num} to ${mule ? `mule ${mule.id}` : `worker ${id}`}`);
        continue;
      }
      sent++;
      this.pending.set(pid, (this.pending.get(pid) ?? 0) + 1);
      this.delivered.set(id, (this.delivered.get(id) ?? 0) + 1);
    }
    return sent;
  }

  /** The worker with `pid` finished handling one signal. */
  done(pid: number): void {
    const n = this.pending.get(pid) ?? 0;
    if (n > 1) this.pending.set(pid, n - 1);
    else this.pending.delete(pid);
  }

  /** Counters of worker `id` as served by the process `pid`. */
  workerStats(id: number, pid: number): WorkerSignalStats {
    return { signals: this.delivered.get(id) ?? 0, queue: this.pending.get(pid) ?? 0 };
  }
}
