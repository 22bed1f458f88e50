// The master's clockwork for uwsgi signals: timers and rb timers (`timer`, `rbtimer`, addTimer(),
// addRbTimer()) and cron entries (`cron`, `unique-cron`, `cron2`, addCron()). The clock and what a
// firing does are injected, so the schedule is unit-tested with a fake clock (STYLE.md rule 7);
// src/signal/master-signals.ts gives it the real ones.

import { type CronEntry, cronKey, cronMatches, cronTime, minuteOf, msToNextMinute } from './cron.js';

export interface SchedulerClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** uWSGI keeps 64 timers and 64 rb timers (reference §2.9: "max 64"). */
export const MAX_TIMERS = 64;

export type TimerKind = 'timer' | 'rbtimer';

export interface TimerSpec {
  readonly kind: TimerKind;
  readonly signal: number;
  readonly seconds: number;
  /** How many times to raise it; 0 = forever. */
  readonly iterations: number;
}

/** A cron entry and its run state (the stats `crons` row reads it). */
export interface CronState {
  readonly entry: CronEntry;
  /** The minute (minuteOf) it last ran in: at most one run per matching minute. */
  lastMinute: number;
  /** The pid of its running command; -1 when none (uWSGI's stats value). */
  pid: number;
  /** Epoch seconds its running command started; 0 when none. */
  startedAt: number;
}

export interface SchedulerActions {
  /** A timer or a signal cron fired. */
  raise(signal: number, by: TimerKind | 'cron'): void;
  /** A command cron is due: start it and fill `cron.pid` / `cron.startedAt`. */
  runCommand(cron: CronState): void;
  log(line: string): void;
}

interface TimerState {
  readonly spec: TimerSpec;
  readonly startedAt: number;
  fired: number;
  handle: unknown;
}

export class SignalScheduler {
  private readonly timers = new Map<string, TimerState>();
  readonly crons: CronState[] = [];
  private tick: unknown;
  private started = false;

  constructor(
    private readonly clock: SchedulerClock,
    private readonly actions: SchedulerActions,
  ) {}

  /**
   * Adds a timer; the same one again (every worker adds it at import time) is kept once. Returns
   * false, with uWSGI's line, past MAX_TIMERS.
   */
  addTimer(spec: TimerSpec): boolean {
    const key = `${spec.kind} ${spec.signal} ${spec.seconds} ${spec.iterations}`;
    if (this.timers.has(key)) return true;
    const same = [...this.timers.values()].filter((t) => t.spec.kind === spec.kind).length;
    if (same >= MAX_TIMERS) {
      this.actions.log(
        `you can register max ${MAX_TIMERS} ${spec.kind === 'timer' ? 'timers' : 'rb_timers'} !!!`,
      );
      return false;
    }
    const state: TimerState = { spec, startedAt: this.clock.now(), fired: 0, handle: undefined };
    this.timers.set(key, state);
    this.armTimer(state);
    return true;
  }

  /** Due times are counted from the start, so a late callback does not shift the next ones. */
  private armTimer(state: TimerState): void {
    const period = state.spec.seconds * 1000;
    const due = state.startedAt + (state.fired + 1) * period;
    state.handle = this.clock.setTimeout(
      () => {
        state.fired++;
        this.actions.raise(state.spec.signal, state.spec.kind);
        if (state.spec.iterations > 0 && state.fired >= state.spec.iterations) {
          for (const [key, t] of this.timers) if (t === state) this.timers.delete(key);
          return;
        }
        this.armTimer(state);
      },
      Math.max(0, due - this.clock.now()),
    );
  }

  get timerCount(): number {
    return this.timers.size;
  }

  /**
   * Adds a cron entry; `once`: the same entry again (every worker adds it at import time) is kept
   * once. Once started, it may run in the current minute.
   */
  addCron(entry: CronEntry, once: boolean): CronState {
    const key = cronKey(entry);
    const existing = once ? this.crons.find((c) => cronKey(c.entry) === key) : undefined;
    if (existing) return existing;
    const state: CronState = { entry, lastMinute: -1, pid: -1, startedAt: 0 };
    this.crons.push(state);
    if (this.started) this.checkCron(state, this.clock.now());
    return state;
  }

  /**
   * Starts the cron clock: entries matching the current minute run now (uWSGI runs them in the
   * minute the instance starts), then each matching minute at its start.
   */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.minute();
  }

  private minute(): void {
    const now = this.clock.now();
    for (const cron of this.crons) this.checkCron(cron, now);
    // a few ms past the boundary: a timer that fires early must not see the old minute
    this.tick = this.clock.setTimeout(() => this.minute(), msToNextMinute(now) + 5);
  }

  private checkCron(cron: CronState, now: number): void {
    const minute = minuteOf(now);
    if (cron.lastMinute === minute || !cronMatches(cron.entry, cronTime(new Date(now)))) return;
    const { action } = cron.entry;
    if ('signal' in action) {
      cron.lastMinute = minute;
      this.actions.raise(action.signal, 'cron');
      return;
    }
    // unique: not while the previous run lives; cronExited() looks again (uWSGI starts it again
    // within a second of the exit when the minute still matches)
    if (cron.entry.unique && cron.pid > 0) return;
    cron.lastMinute = minute;
    this.actions.runCommand(cron);
  }

  /** The command of `cron` ended. */
  cronExited(cron: CronState): void {
    cron.pid = -1;
    cron.startedAt = 0;
    if (this.started && cron.entry.unique) this.checkCron(cron, this.clock.now());
  }

  close(): void {
    this.started = false;
    if (this.tick !== undefined) this.clock.clearTimeout(this.tick);
    for (const t of this.timers.values()) this.clock.clearTimeout(t.handle);
    this.timers.clear();
  }
}
