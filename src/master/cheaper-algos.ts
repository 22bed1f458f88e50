// The cheaper algorithms (reference §2.2; seed manual "The uWSGI cheaper subsystem"): each is a
// small state machine ticked once a second by the master with what the workers are doing; it
// answers how many workers to add (> 0) or to stop (< 0). Limits (cheaper / processes, RSS) are
// applied by the caller (src/master/cheaper.ts), so an algorithm only says what it wants.
// The paces follow uWSGI 2.0.21 as observed here: spare adds `cheaper-step` workers after
// `cheaper-overload` busy cycles and stops one per `cheaper-overload` idle cycles; backlog adds
// while the listen queue is above `cheaper-overload` and stops one idle worker per cycle otherwise.

/** One running, ready worker as the algorithms see it. */
export interface CheaperWorker {
  readonly id: number;
  readonly busy: boolean;
  /** Wall time with a request in flight since the worker started, µs. */
  readonly busyUs: number;
}

export interface CheaperView {
  readonly workers: readonly CheaperWorker[];
  /** Requests waiting in the listen queues of the sockets. */
  readonly queue: number;
  readonly nowMs: number;
}

export interface CheaperSettings {
  /** `cheaper`: the fewest workers (for spare2, the idle workers to keep). */
  readonly min: number;
  /** `processes`. */
  readonly max: number;
  readonly step: number;
  /** `cheaper-overload`: cycles (seconds) for spare and busyness, a queue length for backlog. */
  readonly overload: number;
  /** spare2's `cheaper-idle`, seconds. */
  readonly idleSeconds: number;
  readonly busyness: {
    readonly max: number;
    readonly min: number;
    readonly multiplier: number;
    readonly penalty: number;
    readonly verbose: boolean;
    readonly backlogAlert: number;
    readonly backlogMultiplier: number;
    readonly backlogStep: number;
    readonly backlogNonzeroSeconds: number;
  };
}

export interface CheaperAlgo {
  /** > 0: spawn that many; < 0: stop that many (one, in practice); 0: nothing. */
  tick(view: CheaperView): number;
}

type AlgoFactory = (settings: CheaperSettings, log: (line: string) => void) => CheaperAlgo;

const idleCount = (view: CheaperView) => view.workers.reduce((n, w) => n + (w.busy ? 0 : 1), 0);

/** spare (the default): more workers when all are busy for a while, fewer when several idle. */
function spare(s: CheaperSettings): CheaperAlgo {
  let overloaded = 0;
  let spareCycles = 0;
  return {
    tick(view) {
      const idle = idleCount(view);
      if (idle === 0) {
        spareCycles = 0;
        if (++overloaded >= s.overload) {
          overloaded = 0;
          return s.step;
        }
        return 0;
      }
      overloaded = 0;
      // one idle worker is the spare: stop one only while there are at least two
      if (idle > 1 && ++spareCycles >= s.overload) {
        spareCycles = 0;
        return -1;
      }
      if (idle <= 1) spareCycles = 0;
      return 0;
    },
  };
}

/**
 * spare2 (uWSGI 2.1): keeps `cheaper` idle workers ready: spawns up to the missing ones at once
 * (at most `cheaper-step`), and stops one after `cheaper-idle` seconds with more idle than that.
 */
function spare2(s: CheaperSettings): CheaperAlgo {
  let surplusSince: number | undefined;
  return {
    tick(view) {
      const idle = idleCount(view);
      if (idle < s.min) {
        surplusSince = undefined;
        return Math.min(s.min - idle, s.step);
      }
      if (idle === s.min) {
        surplusSince = undefined;
        return 0;
      }
      surplusSince ??= view.nowMs;
      if (view.nowMs - surplusSince >= s.idleSeconds * 1000) {
        surplusSince = view.nowMs;
        return -1;
      }
      return 0;
    },
  };
}

/** backlog (Linux, TCP): the listen queue above `cheaper-overload` adds workers, below it removes. */
function backlog(s: CheaperSettings): CheaperAlgo {
  return {
    tick(view) {
      if (view.queue > s.overload) return s.step;
      return idleCount(view) > 0 ? -1 : 0;
    },
  };
}

/** manual: only the master FIFO's `+` and `-` change the number of workers. */
function manual(): CheaperAlgo {
  return { tick: () => 0 };
}

/**
 * busyness (the cheaper_busyness plugin, seed manual): every `cheaper-overload` seconds the
 * average share of time the workers spent serving decides; `cheaper-busyness-multiplier` idle
 * cycles stop one worker; a listen queue above `cheaper-busyness-backlog-alert` (checked every
 * second) spawns emergency workers, which are stopped after `cheaper-busyness-backlog-multiplier`
 * idle cycles instead.
 */
function busyness(s: CheaperSettings, log: (line: string) => void): CheaperAlgo {
  const b = s.busyness;
  let windowStart: number | undefined;
  let lastBusy = new Map<number, number>();
  let idleCycles = 0;
  let betweenInARow = 0;
  let multiplier = b.multiplier;
  let emergency = 0;
  let lastCheapAt: number | undefined;
  let queueNonzeroSince: number | undefined;
  const verbose = (line: string) => {
    if (b.verbose) log(`[busyness] ${line}`);
  };
  const spawn = (now: number, n: number): number => {
    // a worker stopped for idleness and needed again this soon: wait longer next time
    if (lastCheapAt !== undefined && now - lastCheapAt < multiplier * s.overload * 1000) {
      multiplier += b.penalty;
      verbose(`worker needed again soon after it was stopped: multiplier now ${multiplier}`);
    }
    idleCycles = 0;
    return n;
  };
  return {
    tick(view) {
      const now = view.nowMs;
      // the emergency checks run every cycle (the master's second)
      if (view.queue > b.backlogAlert) {
        emergency += b.backlogStep;
        verbose(
          `listen queue ${view.queue} > ${b.backlogAlert}: spawning ${b.backlogStep} emergency worker(s)`,
        );
        return spawn(now, b.backlogStep);
      }
      if (view.queue > 0) {
        queueNonzeroSince ??= now;
        if (now - queueNonzeroSince >= b.backlogNonzeroSeconds * 1000) {
          queueNonzeroSince = now;
          emergency += 1;
          verbose(`listen queue non-empty for ${b.backlogNonzeroSeconds} s: spawning an emergency worker`);
          return spawn(now, 1);
        }
      } else queueNonzeroSince = undefined;

      windowStart ??= now;
      if (now - windowStart < s.overload * 1000) return 0;
      const windowUs = (now - windowStart) * 1000;
      windowStart = now;
      let busyUs = 0;
      const seen = new Map<number, number>();
      for (const w of view.workers) {
        seen.set(w.id, w.busyUs);
        busyUs += Math.max(0, w.busyUs - (lastBusy.get(w.id) ?? w.busyUs));
      }
      const known = view.workers.filter((w) => lastBusy.has(w.id)).length;
      lastBusy = seen;
      if (known === 0) return 0;
      const percent = Math.round((busyUs / (windowUs * known)) * 100);
      verbose(`average busyness is at ${percent}%, ${view.workers.length} worker(s) running`);
      if (percent > b.max) {
        betweenInARow = 0;
        verbose(`busyness above ${b.max}%: spawning ${s.step} worker(s)`);
        return spawn(now, s.step);
      }
      if (percent < b.min) {
        betweenInARow = 0;
        idleCycles++;
        const needed = emergency > 0 ? b.backlogMultiplier : multiplier;
        verbose(`idle cycle ${idleCycles} of ${needed}`);
        if (idleCycles >= needed) {
          idleCycles = 0;
          if (emergency > 0) emergency--;
          lastCheapAt = now;
          return -1;
        }
        return 0;
      }
      // between min and max: one more idle cycle is needed; three in a row start over
      if (idleCycles > 0) {
        idleCycles--;
        if (++betweenInARow >= 3) {
          idleCycles = 0;
          betweenInARow = 0;
        }
      }
      return 0;
    },
  };
}

/** One row per `cheaper-algo` value. */
export const CHEAPER_ALGOS: Readonly<Record<string, AlgoFactory>> = {
  spare,
  spare2,
  backlog,
  manual,
  busyness,
};
