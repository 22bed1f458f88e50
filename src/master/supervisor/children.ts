// The children of one role, one slot each: spawn (injected, so every rule is tested without
// forking), the ready handshake, reaping with the role's lines, respawn with back-off, draining
// with the role's mercy, stop and kill. Generations and reloads build on it (supervisor.ts).

import { type ChildProcessLike, howItEnded, safeKill, safeSend } from './child.js';
import type { RoleSpec } from './role.js';

export interface SupervisorClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): { unref?(): unknown };
}

export interface SupervisorOptions<M> {
  readonly role: RoleSpec;
  /** Forks child `id` of `generation` and sends it what it needs to start. */
  readonly spawn: (id: number, generation: number) => ChildProcessLike;
  /** Every message the child sends, unchecked (the master's message table checks it). */
  readonly onMessage: (slot: Slot<M>, message: unknown) => void;
  /** The role's own per-child state (harakiri, counters...). */
  readonly meta: (id: number, proc: ChildProcessLike) => M;
  readonly clock: SupervisorClock;
  readonly log: (line: string) => void;
  /** Respawn children that die (uWSGI does only with a master). */
  readonly respawn: boolean;
  /** How long a draining child gets before SIGKILL; read at each drain (a reload may change it). */
  readonly mercyMs: () => number;
}

export interface Slot<M> {
  readonly id: number;
  readonly generation: number;
  readonly proc: ChildProcessLike;
  readonly pid: number;
  readonly startedAt: number;
  ready: boolean;
  /** Told to stop: its exit is expected and it is not respawned. */
  retiring: boolean;
  retiredAt: number | undefined;
  /** A replacement is starting for it (recycle, chain reload). */
  recycling: boolean;
  /** It replaces a recycled child: if it dies before it is ready, the old one keeps serving. */
  replacement: boolean;
  /** Taken out of service for good (cheaper): its exit gets the role's `dismissed` lines. */
  dismissed: boolean;
  readonly meta: M;
}

interface ReadyWaiter {
  readonly generation: number;
  readonly expected: number;
  resolve(): void;
  reject(err: Error): void;
}

export class Children<M> {
  protected readonly options: SupervisorOptions<M>;
  protected readonly all = new Set<Slot<M>>();
  protected current = 1;
  protected stopping = false;
  private readonly quickDeaths = new Map<number, number>();
  private readyWaiters: ReadyWaiter[] = [];
  private emptyWaiters: Array<() => void> = [];
  /** The ids meant to run (all of them, unless some were dismissed). */
  readonly active = new Set<number>();
  /** Spawns per id and when each id last spawned (stats). */
  readonly spawns = new Map<number, number>();
  readonly lastSpawnAt = new Map<number, number>();

  constructor(options: SupervisorOptions<M>) {
    this.options = options;
  }

  get generation(): number {
    return this.current;
  }

  get size(): number {
    return this.all.size;
  }

  get isStopping(): boolean {
    return this.stopping;
  }

  slots(): Slot<M>[] {
    return [...this.all];
  }

  has(slot: Slot<M>): boolean {
    return this.all.has(slot);
  }

  /** The children serving now (ready, not draining), in spawn order. */
  serving(): Slot<M>[] {
    return [...this.all].filter((s) => s.ready && !s.retiring);
  }

  /** Sends `message` to the child `pid`; false when it is gone or its channel is closed. */
  sendTo(pid: number, message: unknown): boolean {
    for (const slot of this.all) if (slot.pid === pid) return safeSend(slot.proc, message);
    return false;
  }

  /** Spawns `ids` as the current generation; resolves once they are ready (or at once without a handshake). */
  start(ids: readonly number[]): Promise<void> {
    for (const id of ids) {
      this.active.add(id);
      this.spawn(id, this.current, false);
    }
    return this.whenReady(this.current, ids.length);
  }

  /** The handshake: child `slot` serves. */
  markReady(slot: Slot<M>): void {
    if (slot.ready) return;
    slot.ready = true;
    this.quickDeaths.delete(slot.id);
    this.checkReady();
  }

  /** The child could not start (its app did not load): its generation fails. */
  markFailed(slot: Slot<M>, why: string): void {
    this.failGeneration(slot.generation, `${this.options.role.noun} ${slot.id} (pid: ${slot.pid}): ${why}`);
  }

  whenReady(generation: number, expected: number): Promise<void> {
    if (this.stopping) return Promise.reject(new Error('the instance is stopping'));
    return new Promise((resolve, reject) => {
      this.readyWaiters.push({ generation, expected, resolve, reject });
      this.checkReady();
    });
  }

  protected checkReady(): void {
    for (const waiter of [...this.readyWaiters]) {
      const gen = [...this.all].filter((s) => s.generation === waiter.generation && !s.retiring);
      if (gen.length >= waiter.expected && gen.every((s) => s.ready)) {
        this.readyWaiters = this.readyWaiters.filter((w) => w !== waiter);
        waiter.resolve();
      }
    }
  }

  private failGeneration(generation: number | undefined, why: string): void {
    for (const waiter of [...this.readyWaiters]) {
      if (generation !== undefined && waiter.generation !== generation) continue;
      this.readyWaiters = this.readyWaiters.filter((w) => w !== waiter);
      waiter.reject(new Error(why));
    }
  }

  /** Spawns child `id` of `generation`; `respawned` picks the role's line. */
  spawn(id: number, generation: number, respawned: boolean): Slot<M> {
    const { clock, role } = this.options;
    const proc = this.options.spawn(id, generation);
    const now = clock.now();
    this.spawns.set(id, (this.spawns.get(id) ?? 0) + 1);
    this.lastSpawnAt.set(id, now);
    const slot: Slot<M> = {
      id,
      generation,
      proc,
      pid: proc.pid ?? 0,
      startedAt: now,
      ready: !role.handshake,
      retiring: false,
      retiredAt: undefined,
      recycling: false,
      replacement: false,
      dismissed: false,
      meta: this.options.meta(id, proc),
    };
    this.all.add(slot);
    proc.on('message', (message) => this.options.onMessage(slot, message));
    proc.on('exit', (code, signal) => this.reap(slot, code, signal));
    this.options.log(respawned ? role.lines.respawned(id, slot.pid) : role.lines.spawned(id, slot.pid));
    return slot;
  }

  /** A child exited: bury it, or log its death and respawn it. */
  private reap(slot: Slot<M>, code: number | null, signal: NodeJS.Signals | null): void {
    if (!this.all.delete(slot)) return;
    const { lines } = this.options.role;
    const now = this.options.clock.now();
    const how = howItEnded(code, signal);
    if (slot.dismissed && !this.stopping) {
      for (const line of lines.dismissed?.(slot.id, slot.pid) ?? []) this.options.log(line);
    } else if (slot.retiring || this.stopping) {
      const seconds = Math.round((now - (slot.retiredAt ?? now)) / 1000);
      this.options.log(lines.buried(slot.id, slot.pid, seconds));
    } else if (slot.replacement && !slot.ready) {
      this.options.log(lines.replacementDied(slot.id, slot.pid, how));
    } else {
      if (!slot.ready) this.failGeneration(slot.generation, lines.diedYoung(slot.id, slot.pid, how));
      if (this.options.respawn) {
        this.options.log(lines.died(slot.id, slot.pid, how));
        this.respawnLater(slot, now);
      } else this.options.log(lines.diedForGood(slot.id, slot.pid, how));
    }
    this.checkReady();
    if (this.all.size === 0) {
      const waiters = this.emptyWaiters;
      this.emptyWaiters = [];
      for (const w of waiters) w();
    }
  }

  /** At once after a long life; a doubling back-off while an id keeps dying young. */
  private respawnLater(slot: Slot<M>, now: number): void {
    const { backoff } = this.options.role;
    const young = backoff.untilReady ? !slot.ready : now - slot.startedAt < backoff.quickDeathMs;
    const quick = young ? (this.quickDeaths.get(slot.id) ?? 0) + 1 : 0;
    this.quickDeaths.set(slot.id, quick);
    const grown = backoff.growth === 'linear' ? backoff.firstMs * quick : backoff.firstMs * 2 ** (quick - 1);
    const delay = quick === 0 ? 0 : Math.min(backoff.maxMs, grown);
    const go = () => {
      if (this.stopping || !this.active.has(slot.id)) return;
      // a child of a generation that failed (rolled back) is not respawned, nor one whose id the
      // current generation already runs (a recycled child's replacement, say)
      if (slot.generation > this.current) return;
      if ([...this.all].some((s) => s.id === slot.id && s.generation === this.current && !s.retiring)) return;
      this.spawn(slot.id, this.current, true);
    };
    if (delay === 0) go();
    else {
      const line = this.options.role.lines.backingOff?.(slot.id, delay);
      if (line) this.options.log(line);
      this.options.clock.setTimeout(go, delay);
    }
  }

  /** Forgets the young deaths of `id` (or of every id): its next respawn is at once. */
  forgive(id?: number): void {
    if (id === undefined) this.quickDeaths.clear();
    else this.quickDeaths.delete(id);
  }

  /** How many young deaths in a row id `id` has (the next back-off; for tests). */
  quickDeathCount(id: number): number {
    return this.quickDeaths.get(id) ?? 0;
  }

  /** Tells `slot` to drain and exit; SIGKILL once the mercy (the role's, or `mercyMs`) has passed. */
  retire(slot: Slot<M>, quiet = false, mercyMs = this.options.mercyMs()): void {
    if (slot.retiring) return;
    slot.retiring = true;
    slot.retiredAt = this.options.clock.now();
    const line = quiet ? undefined : this.options.role.lines.stopping?.(slot.id, slot.pid);
    if (line) this.options.log(line);
    if (!safeSend(slot.proc, { t: 'stop' })) safeKill(slot.proc, 'SIGKILL');
    if (mercyMs > 0) this.killLater(slot, mercyMs);
    this.checkReady();
  }

  private killLater(slot: Slot<M>, ms: number): void {
    this.options.clock
      .setTimeout(() => {
        if (this.all.has(slot)) safeKill(slot.proc, 'SIGKILL');
      }, ms)
      .unref?.();
  }

  /** Takes `slot` out of service for good (cheaper): drained, not respawned. */
  dismiss(slot: Slot<M>): void {
    this.active.delete(slot.id);
    slot.dismissed = true;
    this.retire(slot, true);
  }

  /** Graceful stop: every child drains; SIGKILL after `mercyMs`. Resolves when all have exited. */
  stop(mercyMs: number): Promise<void> {
    this.stopping = true;
    this.failGeneration(undefined, 'the instance is stopping');
    for (const slot of this.all) {
      // one draining already (a reload's old generation) gets the stop's mercy too
      if (slot.retiring) this.killLater(slot, mercyMs);
      else this.retire(slot, false, mercyMs);
    }
    return this.empty();
  }

  /** Immediate stop with `signal`. */
  kill(signal: NodeJS.Signals): Promise<void> {
    this.stopping = true;
    this.failGeneration(undefined, 'the instance is stopping');
    for (const slot of this.all) {
      slot.retiring = true;
      slot.retiredAt ??= this.options.clock.now();
      safeKill(slot.proc, signal);
    }
    return this.empty();
  }

  protected exited(slot: Slot<M>, then: () => void): Promise<void> {
    if (!this.all.has(slot)) return Promise.resolve();
    return new Promise((resolve) => {
      slot.proc.on('exit', () => resolve());
      then();
    });
  }

  empty(): Promise<void> {
    if (this.all.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.emptyWaiters.push(resolve));
  }
}
