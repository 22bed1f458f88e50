// The worker's side of recycling (reference §2.3): after each request it checks max-requests,
// reload-on-rss and reload-on-exception, and asks the master, once, for a replacement. It keeps
// serving until the replacement is ready and the master tells it to stop, so recycling never
// leaves a moment with no worker accepting. min-worker-lifetime delays the request.

import type { WorkerPlan } from './plan.js';

export class Recycler {
  private requests = 0;
  private asked = false;
  private readonly started: number;

  constructor(
    private readonly plan: WorkerPlan,
    private readonly ask: (reason: string) => void,
    private readonly now: () => number = Date.now,
  ) {
    this.started = now();
  }

  /** Whether any recycling rule is configured (otherwise the dispatcher skips the hook). */
  static wanted(plan: WorkerPlan): boolean {
    const r = plan.recycle;
    return r.maxRequests > 0 || r.reloadOnRssMB > 0 || r.reloadOnException;
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
    if (reason === undefined) return;
    // uWSGI: no recycling before min-worker-lifetime; the next request after it triggers it
    if ((this.now() - this.started) / 1000 < r.minLifetimeS) return;
    this.asked = true;
    this.ask(reason);
  }
}
