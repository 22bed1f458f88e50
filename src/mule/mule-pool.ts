// The mule role's master side: the generic supervisor (src/master/supervisor/) with uWSGI's mule
// lines ("spawned uWSGI mule N (pid: P)", "OOOPS mule N (pid: P) crippled...trying respawn...",
// "mule N (pid: P) annihilated"), no handshake, and a reload that stops a mule before its next one
// starts (a programmed mule's script must not run twice at once). Process creation is injected,
// so the pool is tested without processes; the master forks src/mule/mule-main.ts.

import { type ChildProcessLike, safeKill } from '../master/supervisor/child.js';
import type { RoleSpec } from '../master/supervisor/role.js';
import { type Slot, Supervisor } from '../master/supervisor/supervisor.js';
import { FarmQueue } from './farm-queue.js';
import type { MuleSpec } from './mule-config.js';

/** What the pool needs of a mule process (a ChildProcess fits). */
export type MuleProcess = ChildProcessLike;

export const MULE_ROLE: RoleSpec = {
  noun: 'mule',
  handshake: false,
  reload: 'restart',
  // a mule that dies within a second of its spawn waits before the next one
  backoff: { quickDeathMs: 1000, firstMs: 1000, maxMs: 10_000 },
  lines: {
    spawned: (id, pid) => `spawned uWSGI mule ${id} (pid: ${pid})`,
    respawned: (id, pid) => `spawned uWSGI mule ${id} (pid: ${pid})`,
    died: (id, pid) => `OOOPS mule ${id} (pid: ${pid}) crippled...trying respawn...`,
    diedForGood: (id, pid) => `mule ${id} (pid: ${pid}) died`,
    diedYoung: (id, pid, how) => `mule ${id} (pid: ${pid}) died at start${how}`,
    replacementDied: (id, pid, how) => `the replacement of mule ${id} (pid: ${pid}) died${how}`,
    buried: (id, pid) => `mule ${id} (pid: ${pid}) annihilated`,
    chainStep: (id, pid) => `chain reload: replacing mule ${id} (pid: ${pid})`,
  },
};

export interface MulePoolOptions {
  readonly specs: readonly MuleSpec[];
  /** Forks mule `spec` and sends it its plan and `start`. */
  spawn(spec: MuleSpec): MuleProcess;
  /** How long a stopping mule gets before SIGKILL (`mule-reload-mercy`). */
  readonly mercyMs: number;
  log(line: string): void;
  /** Every message a mule sends (the master's message table); none by default. */
  readonly onMessage?: (pid: number, id: number, message: unknown) => void;
  readonly clock?: { now?(): number; setTimeout(fn: () => void, ms: number): { unref?(): unknown } };
  /** Farm name -> its mule ids (`farm`); none by default. */
  readonly farms?: ReadonlyMap<string, readonly number[]>;
  /** mule-harakiri in seconds: a signal handler running longer has its mule killed; 0: off. */
  readonly harakiri?: number;
}

/** The signals routed to one mule process and not done yet, and since when the first one runs. */
interface SignalsInHand {
  readonly nums: number[];
  since: number;
}

export class MulePool {
  private readonly sup: Supervisor<MuleSpec>;
  private readonly specs: ReadonlyMap<number, MuleSpec>;
  private nextAny = 0;
  private readonly farms: FarmQueue;
  private readonly signals = new Map<number, SignalsInHand>();
  private watchdog: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly options: MulePoolOptions) {
    this.specs = new Map(options.specs.map((s) => [s.id, s]));
    const clock = options.clock;
    this.sup = new Supervisor<MuleSpec>({
      role: MULE_ROLE,
      spawn: (id) => options.spawn(this.spec(id)),
      onMessage: (slot, message) => options.onMessage?.(slot.pid, slot.id, message),
      meta: (id) => this.spec(id),
      clock: {
        now: () => clock?.now?.() ?? Date.now(),
        setTimeout: (fn, ms) => (clock ?? { setTimeout }).setTimeout(fn, ms),
      },
      log: (line) => options.log(line),
      respawn: true,
      mercyMs: () => options.mercyMs,
    });
    this.farms = new FarmQueue({
      farms: options.farms ?? new Map(),
      send: (pid, data) => this.sup.sendTo(pid, { t: 'farm-msg', data: data.toString('base64') }),
    });
  }

  private spec(id: number): MuleSpec {
    return this.specs.get(id) ?? { id, script: undefined };
  }

  get count(): number {
    return this.specs.size;
  }

  start(): void {
    void this.sup.start([...this.specs.keys()]);
    if ((this.options.harakiri ?? 0) > 0) {
      this.watchdog = setInterval(() => this.checkHarakiri(Date.now()), 1000);
      this.watchdog.unref();
    }
  }

  /** farmMsg(): queued for the first mule of `farm` that asks; false for an unknown farm. */
  farmMsg(farm: string, data: Buffer): boolean {
    return this.farms.enqueue(farm, data);
  }

  /** farmGetMsg() in mule `id`. */
  farmAsk(pid: number, id: number): void {
    this.farms.ask(pid, id);
  }

  /** Routes uwsgi signal `num` to the mule process `pid`; mule-harakiri watches its handler. */
  sendSignal(pid: number, num: number): boolean {
    if (!this.sup.sendTo(pid, { t: 'signal', num })) return false;
    const held = this.signals.get(pid);
    if (held) held.nums.push(num);
    else this.signals.set(pid, { nums: [num], since: Date.now() });
    return true;
  }

  /** The mule finished the handler of its oldest signal; the next one's time starts now. */
  signalDone(pid: number): void {
    const held = this.signals.get(pid);
    if (!held) return;
    held.nums.shift();
    if (held.nums.length === 0) this.signals.delete(pid);
    else held.since = Date.now();
  }

  /**
   * mule-harakiri (uWSGI: "*** HARAKIRI ON MULE 1 HANDLING SIGNAL 17 (pid: P) ***"): a mule whose
   * signal handler runs past the limit is killed and respawned. uWSGI 2.0.21 watches signal
   * handlers only, not the work after muleGetMsg(), and so does uwsgi-ts.
   */
  checkHarakiri(now: number): void {
    const limitMs = (this.options.harakiri ?? 0) * 1000;
    for (const slot of this.sup.slots()) {
      const held = this.signals.get(slot.pid);
      if (!held || slot.retiring || now - held.since < limitMs) continue;
      this.options.log(
        `*** HARAKIRI ON MULE ${slot.id} HANDLING SIGNAL ${held.nums[0]} (pid: ${slot.pid}) ***`,
      );
      this.signals.delete(slot.pid);
      safeKill(slot.proc, 'SIGKILL');
    }
  }

  /**
   * The stats `mules` rows (uWSGI 2.0.21's stats document has none: README "Mules"): id, pid,
   * respawns, the signal handler running (0: none) and the farms it is in.
   */
  statsRows(): Array<{ id: number; pid: number; respawns: number; signal: number; farms: string[] }> {
    const live = new Map<number, Slot<MuleSpec>>();
    for (const slot of this.sup.slots()) if (!slot.retiring) live.set(slot.id, slot);
    const farms = this.options.farms ?? new Map<string, readonly number[]>();
    return [...this.specs.values()].map((spec) => {
      const slot = live.get(spec.id);
      return {
        id: spec.id,
        pid: slot?.pid ?? 0,
        respawns: Math.max(0, (this.sup.spawns.get(spec.id) ?? 1) - 1),
        signal: slot ? (this.signals.get(slot.pid)?.nums[0] ?? 0) : 0,
        farms: [...farms].filter(([, ids]) => ids.includes(spec.id)).map(([name]) => name),
      };
    });
  }

  /** The mules running now, by id. */
  serving(): Array<{ id: number; pid: number }> {
    return this.live()
      .sort((a, b) => a.id - b.id)
      .map((s) => ({ id: s.id, pid: s.pid }));
  }

  pids(): number[] {
    return this.sup.slots().map((s) => s.pid);
  }

  private live(): Slot<MuleSpec>[] {
    return this.sup.serving();
  }

  /** Sends `message` to mule `id`; false when it is not running. */
  send(id: number, message: unknown): boolean {
    const slot = this.live().find((s) => s.id === id);
    return slot ? this.sup.sendTo(slot.pid, message) : false;
  }

  /** Sends `message` to the mule process `pid` (a routed signal); false when no mule has it. */
  sendToPid(pid: number, message: unknown): boolean {
    return this.sup.sendTo(pid, message);
  }

  /**
   * A mule message without a mule id goes to the next programmed mule in turn (uWSGI: the first
   * programmed mule to read the shared queue); the id it went to, or 0 when none runs.
   */
  sendAnyProgrammed(message: unknown): number {
    const programmed = this.live()
      .filter((s) => s.meta.script !== undefined)
      .sort((a, b) => a.id - b.id);
    if (programmed.length === 0) return 0;
    const slot = programmed[this.nextAny++ % programmed.length] as Slot<MuleSpec>;
    return this.sup.sendTo(slot.pid, message) ? slot.id : 0;
  }

  /** Stops every mule and starts it again (graceful reload, touch-mules-reload). */
  reload(): Promise<void> {
    return this.sup.reload();
  }

  /** Stops the mules for good. */
  stop(): Promise<void> {
    if (this.watchdog) clearInterval(this.watchdog);
    return this.sup.stop(this.options.mercyMs);
  }
}
