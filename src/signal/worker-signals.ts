// A worker's side of uwsgi signals: its handler table (every worker registers the same handlers
// when it loads the app, as uWSGI workers inherit them), the signals the master routes to it, the
// waiters of signalWait(), and the messages it sends the master (register, raise, add a timer).
// One instance per process, module-level like the RPC table: the packet table (modifier1 110)
// and the app API both reach it.

import { UwsgiError } from '../errors.js';
import type { WorkerMessage } from '../ipc/messages.js';
import { ctime } from '../logging/ctime.js';
import { isSignalNumber, SIGNAL_COUNT } from './signal-router.js';
import { parseSignalTarget, targetLabel } from './signal-target.js';

/** What an app registers: called with the signal number; may return a promise. */
export type SignalHandler = (num: number) => unknown;

/** What the app may add: timers, cron entries and file monitors run by the master. */
export type SignalSource = 'timer' | 'rbtimer' | 'cron' | 'filemon';

export interface WorkerSignalsParts {
  /** The worker id (uWSGI's `wid` in the registration line). */
  readonly wid: number;
  /** How the lines name this process: `worker N` unless given (`mule N`). */
  readonly who?: string;
  /** One log line (no trailing newline). */
  log(line: string): void;
  /** Sends to the master; false when the channel is gone. */
  send(message: WorkerMessage): boolean;
  /** Called when a handler is registered or a waiter comes or goes (a mule's keep-alive). */
  changed?(): void;
}

interface Waiter {
  readonly num: number | undefined;
  readonly resolve: (num: number) => void;
}

export class WorkerSignals {
  private readonly handlers: Array<SignalHandler | undefined> = new Array(SIGNAL_COUNT).fill(undefined);
  private waiters: Waiter[] = [];
  private last = 0;
  /** Handlers that returned a promise not settled yet (a Python handler runs in its process). */
  private running = 0;
  private settledWaiters: Array<() => void> = [];
  private parts: WorkerSignalsParts = {
    wid: 0,
    log: (line) => process.stderr.write(`${line}\n`),
    send: (message) => process.send?.(message) ?? false,
  };

  /** Called by the worker before it loads its apps. */
  attach(parts: WorkerSignalsParts): void {
    this.parts = parts;
  }

  register(num: number, target: string, handler: SignalHandler): void {
    if (!parseSignalTarget(target)) {
      throw new UwsgiError(
        'ERR_API_BAD_ARGUMENT',
        `registerSignal(${num}): unknown target "${target}" (worker, workerN, workers, active-workers, spooler, mule, muleN, mules, farm_NAME)`,
      );
    }
    this.handlers[num] = handler;
    this.parts.log(
      `[uwsgi-signal] signum ${num} registered (wid: ${this.parts.wid} modifier1: 0 target: ${targetLabel(target)})`,
    );
    this.parts.send({ t: 'signal-register', num, target });
    this.parts.changed?.();
  }

  /** Whether a handler or a signalWait() may still want a signal. */
  get listening(): boolean {
    return this.waiters.length > 0 || this.handlers.some((h) => h !== undefined);
  }

  /** Whether this worker has a handler for `num`. */
  registered(num: number): boolean {
    return this.handlers[num] !== undefined;
  }

  /** Asks the master to route `num`; false when the master cannot be reached (the 110 reply's 0). */
  raise(num: number): boolean {
    return isSignalNumber(num) && this.parts.send({ t: 'signal-raise', num });
  }

  add(num: number, what: SignalSource, args: object): void {
    if (!this.parts.send({ t: 'signal-add', num, what, args })) {
      throw new UwsgiError(
        'ERR_API_UNAVAILABLE',
        `add ${what} on signal ${num}: this worker has no channel to its master`,
      );
    }
  }

  /** Resolves with the next signal this worker receives (`num`: that one only). */
  wait(num: number | undefined): Promise<number> {
    return new Promise((resolve) => {
      this.waiters.push({ num, resolve });
      this.parts.changed?.();
    });
  }

  /** The last signal this worker received (0 before any). */
  received(): number {
    return this.last;
  }

  /**
   * The master routed `num` here: waiters are woken and the handler runs (uWSGI: a handler
   * interrupts signal_wait and handles the signal). A signal with neither is uWSGI's error line.
   */
  deliver(num: number): void {
    this.last = num;
    const woken = this.waiters.filter((w) => w.num === undefined || w.num === num);
    if (woken.length > 0) this.waiters = this.waiters.filter((w) => !woken.includes(w));
    for (const w of woken) w.resolve(num);
    if (woken.length > 0) this.parts.changed?.();
    const handler = this.handlers[num];
    if (!handler) {
      if (woken.length === 0)
        this.parts.log(
          `${ctime(Date.now())} - error managing signal ${num} on ${this.parts.who ?? `worker ${this.parts.wid}`}`,
        );
      this.done(num);
      return;
    }
    try {
      const result = handler(num);
      if (result instanceof Promise) {
        this.running++;
        result.then(
          () => this.settle(num),
          (err: unknown) => {
            this.failed(num, err);
            this.settle(num);
          },
        );
        return;
      }
    } catch (err) {
      this.failed(num, err);
    }
    this.done(num);
  }

  /**
   * Resolves once no handler is running: a gracefully stopping worker lets the handlers it started
   * end, as a uWSGI worker ends the handler it runs before it exits (the master's mercy bounds it).
   */
  settled(): Promise<void> {
    if (this.running === 0) return Promise.resolve();
    return new Promise((resolve) => this.settledWaiters.push(resolve));
  }

  private settle(num: number): void {
    this.done(num);
    if (--this.running > 0) return;
    for (const resolve of this.settledWaiters.splice(0)) resolve();
  }

  private failed(num: number, err: unknown): void {
    const why = err instanceof Error ? (err.stack ?? err.message) : String(err);
    this.parts.log(
      `[uwsgi-signal] the handler of signal ${num} on ${this.parts.who ?? `worker ${this.parts.wid}`} failed: ${why}`,
    );
  }

  private done(num: number): void {
    this.parts.send({ t: 'signal-done', num });
  }
}

export const workerSignals = new WorkerSignals();
