// The worker's side of recycling (reference §2.3): after each request it checks max-requests,
// reload-on-rss and reload-on-exception, on each app exception reload-on-exception-type/-value/
// -repr, and asks the master, once, for a replacement. It keeps serving until the replacement is
// ready and the master tells it to stop, so recycling never leaves a moment with no worker
// accepting. min-worker-lifetime delays the request.

import { type ExceptionFacts, exceptionFacts } from './exception-facts.js';
import type { WorkerPlan } from './plan.js';

/** One reload-on-exception-* option: which fact of the exception it compares, to which values. */
interface ExceptionRule {
  readonly option: string;
  readonly fact: keyof ExceptionFacts;
  readonly values: ReadonlySet<string>;
}

/** The options and the plan lists behind them, in uWSGI's order of checking. */
const EXCEPTION_OPTIONS = [
  ['reload-on-exception-type', 'type', 'exceptionTypes'],
  ['reload-on-exception-value', 'value', 'exceptionValues'],
  ['reload-on-exception-repr', 'repr', 'exceptionReprs'],
] as const satisfies ReadonlyArray<
  readonly [string, keyof ExceptionFacts, 'exceptionTypes' | 'exceptionValues' | 'exceptionReprs']
>;

export class Recycler {
  private requests = 0;
  private asked = false;
  private readonly started: number;
  private readonly rules: readonly ExceptionRule[];

  constructor(
    private readonly plan: WorkerPlan,
    private readonly ask: (reason: string) => void,
    private readonly now: () => number = Date.now,
  ) {
    this.started = now();
    this.rules = EXCEPTION_OPTIONS.filter(([, , list]) => plan.recycle[list].length > 0).map(
      ([option, fact, list]) => ({ option, fact, values: new Set(plan.recycle[list]) }),
    );
  }

  /** Whether any recycling rule is configured (otherwise the dispatcher skips the hook). */
  static wanted(plan: WorkerPlan): boolean {
    const r = plan.recycle;
    return (
      r.maxRequests > 0 || r.reloadOnRssMB > 0 || r.reloadOnException || Recycler.matchesExceptions(plan)
    );
  }

  /** Whether reload-on-exception-type/-value/-repr are set (the dispatcher then passes exceptions). */
  static matchesExceptions(plan: WorkerPlan): boolean {
    return EXCEPTION_OPTIONS.some(([, , list]) => plan.recycle[list].length > 0);
  }

  afterRequest(failed: boolean): void {
    this.requests++;
    if (this.asked) return;
    const r = this.plan.recycle;
    let reason: string | undefined;
    if (r.maxRequests > 0 && this.requests >= r.maxRequests) {
      reason = `...The work of process ${this.plan.id} is done (max-requests ${r.maxRequests}). Seeya!`;
    } else if (failed && r.reloadOnException) {
      reason = `worker ${this.plan.id} got an exception in its app: reload-on-exception`;
    } else if (r.reloadOnRssMB > 0) {
      const rss = Math.floor(process.memoryUsage.rss() / (1024 * 1024));
      if (rss > r.reloadOnRssMB)
        reason = `worker ${this.plan.id} reached its max rss (${rss} MB > ${r.reloadOnRssMB} MB): recycling`;
    }
    if (reason !== undefined) this.request(reason);
  }

  /**
   * What the app threw (or rejected with): a match of reload-on-exception-type/-value/-repr asks
   * at once; the request's own end changes nothing (it is answered 500 as always).
   */
  exception(thrown: unknown): void {
    if (this.asked || this.rules.length === 0) return;
    const facts = exceptionFacts(thrown);
    for (const rule of this.rules) {
      const seen = facts[rule.fact];
      if (!rule.values.has(seen)) continue;
      this.request(`worker ${this.plan.id} got an exception in its app: ${rule.option} = ${seen}`);
      return;
    }
  }

  private request(reason: string): void {
    // uWSGI: no recycling before min-worker-lifetime; the next request (or matching exception)
    // after it triggers it
    if ((this.now() - this.started) / 1000 < this.plan.recycle.minLifetimeS) return;
    this.asked = true;
    this.ask(reason);
  }
}
