// Which Python process runs a signal its worker received. Every Python process of an app imports
// it and so registers the same handlers; the worker's signal table (src/signal/worker-signals.ts)
// gets one handler per number, which hands the signal to one of the processes that registered
// it: an idle one first, else the one with the fewest requests, so a signal waits behind as little
// work as possible. The handler runs in that process's signal thread (python/uwsgi_ts/events.py),
// beside the request its main thread may be running; the worker counts the signal done when the
// Python handler returned (the master's signal queue for the worker, as for a JS handler).

import { registerSignal } from '../api/signals.js';
import type { PythonEvents } from './python-events.js';

/** A Python process as the pool sees it. */
export interface SignalRunner {
  readonly exited: boolean;
  /** Requests it holds (running and queued behind). */
  readonly busy: number;
  readonly events: PythonEvents;
}

/** Numbers whose handler in this worker forwards to Python processes. */
const forwarded = new Set<number>();

export function isForwardedToPython(num: number): boolean {
  return forwarded.has(num);
}

export class SignalPool {
  private readonly providers = new Map<number, SignalRunner[]>();

  /** `runner` registered a handler for `num` with `target` (the first registration enters the table). */
  register(num: number, target: string, runner: SignalRunner): void {
    const known = this.providers.get(num);
    if (known) {
      if (!known.includes(runner)) known.push(runner);
      return;
    }
    // throws on a bad number or target: the Python call raises ValueError
    registerSignal(num, target, (n) => this.run(n));
    this.providers.set(num, [runner]);
    forwarded.add(num);
  }

  /** Hands signal `num` to one live process that registered it. */
  run(num: number): Promise<void> {
    const live = (this.providers.get(num) ?? []).filter((r) => !r.exited);
    this.providers.set(num, live);
    let best: SignalRunner | undefined;
    for (const r of live) {
      const load = r.busy + r.events.pending;
      if (best === undefined || load < best.busy + best.events.pending) best = r;
    }
    return best ? best.events.signal(num) : Promise.resolve();
  }
}
