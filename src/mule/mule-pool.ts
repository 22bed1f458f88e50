// The master's mules: spawned after the workers, respawned when they die (uWSGI's "OOOPS mule N
// (pid: P) crippled...trying respawn..."), restarted by a graceful reload or touch-mules-reload,
// stopped with the instance ("mule N (pid: P) annihilated"). Process creation is injected, so
// the pool is tested without processes; the master forks src/mule/mule-main.ts.

import type { MuleSpec } from './mule-config.js';

/** What the pool needs of a mule process (a ChildProcess fits). */
export interface MuleProcess {
  readonly pid?: number | undefined;
  send(message: unknown): boolean;
  kill(signal?: NodeJS.Signals): boolean;
  once(event: 'exit', listener: (code: number | null, signal: NodeJS.Signals | null) => void): unknown;
}

export interface MulePoolOptions {
  readonly specs: readonly MuleSpec[];
  /** Forks mule `spec` and sends it its plan and `start`. */
  spawn(spec: MuleSpec): MuleProcess;
  /** How long a stopping mule gets before SIGKILL (`mule-reload-mercy`). */
  readonly mercyMs: number;
  log(line: string): void;
  readonly clock?: { setTimeout(fn: () => void, ms: number): { unref?(): unknown } };
}

interface Slot {
  readonly spec: MuleSpec;
  proc: MuleProcess | undefined;
  pid: number;
  startedAt: number;
  /** Set while the pool itself stops this process (no respawn line). */
  stopping: Promise<void> | undefined;
}

/** A mule that dies sooner than this after its spawn waits this long before the next one. */
const RESPAWN_PAUSE_MS = 1000;

export class MulePool {
  private readonly slots: Slot[];
  private closed = false;
  private nextAny = 0;

  constructor(private readonly options: MulePoolOptions) {
    this.slots = options.specs.map((spec) => ({
      spec,
      proc: undefined,
      pid: 0,
      startedAt: 0,
      stopping: undefined,
    }));
  }

  get count(): number {
    return this.slots.length;
  }

  start(): void {
    for (const slot of this.slots) this.spawn(slot);
  }

  /** The mules running now, by id. */
  serving(): Array<{ id: number; pid: number }> {
    return this.slots.flatMap((s) => (s.proc && !s.stopping ? [{ id: s.spec.id, pid: s.pid }] : []));
  }

  /** Sends `message` to mule `id`; false when it is not running. */
  send(id: number, message: unknown): boolean {
    const slot = this.slots[id - 1];
    if (!slot?.proc || slot.stopping) return false;
    return slot.proc.send(message);
  }

  /** Sends `message` to the mule process `pid` (a routed signal); false when no mule has it. */
  sendToPid(pid: number, message: unknown): boolean {
    const slot = this.slots.find((s) => s.proc && s.pid === pid);
    return slot?.proc?.send(message) ?? false;
  }

  /**
   * A mule message without a mule id goes to the next programmed mule in turn (uWSGI: the first
   * programmed mule to read the shared queue); the id it went to, or 0 when none runs.
   */
  sendAnyProgrammed(message: unknown): number {
    const programmed = this.slots.filter((s) => s.spec.script !== undefined && s.proc && !s.stopping);
    if (programmed.length === 0) return 0;
    const slot = programmed[this.nextAny++ % programmed.length] as Slot;
    return slot.proc?.send(message) ? slot.spec.id : 0;
  }

  /** Stops every mule and starts it again (graceful reload, touch-mules-reload). */
  async reload(): Promise<void> {
    await Promise.all(
      this.slots.map(async (slot) => {
        await this.stopOne(slot);
        if (!this.closed) this.spawn(slot);
      }),
    );
  }

  /** Stops the mules for good. */
  async stop(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((slot) => this.stopOne(slot)));
  }

  private spawn(slot: Slot): void {
    const proc = this.options.spawn(slot.spec);
    slot.proc = proc;
    slot.pid = proc.pid ?? 0;
    slot.startedAt = Date.now();
    slot.stopping = undefined;
    this.options.log(`spawned uWSGI mule ${slot.spec.id} (pid: ${slot.pid})`);
    proc.once('exit', () => {
      if (slot.proc !== proc) return;
      slot.proc = undefined;
      if (slot.stopping || this.closed) return;
      this.options.log(`OOOPS mule ${slot.spec.id} (pid: ${slot.pid}) crippled...trying respawn...`);
      const lived = Date.now() - slot.startedAt;
      if (lived >= RESPAWN_PAUSE_MS) this.spawn(slot);
      else this.later(() => !this.closed && !slot.proc && this.spawn(slot), RESPAWN_PAUSE_MS - lived);
    });
  }

  /** Asks the mule to exit, SIGKILL after the mercy; logs uWSGI's line once it is gone. */
  private stopOne(slot: Slot): Promise<void> {
    const proc = slot.proc;
    if (!proc) return Promise.resolve();
    if (slot.stopping) return slot.stopping;
    const pid = slot.pid;
    slot.stopping = new Promise<void>((resolve) => {
      proc.once('exit', () => {
        this.options.log(`mule ${slot.spec.id} (pid: ${pid}) annihilated`);
        resolve();
      });
      if (!proc.send({ t: 'stop' })) proc.kill('SIGKILL');
      this.later(() => {
        if (slot.proc === proc) proc.kill('SIGKILL');
      }, this.options.mercyMs);
    });
    return slot.stopping;
  }

  private later(fn: () => void, ms: number): void {
    const timer = (this.options.clock ?? { setTimeout }).setTimeout(fn, ms);
    timer.unref?.();
  }
}
