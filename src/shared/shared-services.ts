// The shared services of one process (master or worker), opened over the instance's region from
// the plan: the same objects, offsets and code in every process, so a lock taken in one worker is
// held for all of them.

import { SharedLock } from '../locks/shared-lock.js';
import { MetricStore } from '../metrics/metric-store.js';
import { Sharedarea } from '../sharedarea/sharedarea.js';
import type { SharedRegion } from './region.js';
import { LOCK_STRIDE, type SharedPlan } from './shared-plan.js';

export class SharedServices {
  readonly locks: readonly SharedLock[];
  readonly sharedareas: readonly Sharedarea[];
  /** The metric values (src/metrics/metric-store.ts); undefined when metrics are off. */
  readonly metrics: MetricStore | undefined;

  constructor(
    readonly plan: SharedPlan,
    readonly region: SharedRegion,
  ) {
    this.locks = Array.from(
      { length: plan.locks.count },
      (_, i) => new SharedLock(region, plan.locks.offset + i * LOCK_STRIDE),
    );
    this.sharedareas = plan.sharedareas.map((p) => new Sharedarea(p, region));
    this.metrics = plan.metrics ? new MetricStore(plan.metrics, region.buffer) : undefined;
  }

  /** The stats document's `locks` rows for the user locks: the holder's pid, 0 when free. */
  lockStats(): Array<Record<string, number>> {
    return this.locks.map((lock, i) => ({ [`user ${i}`]: lock.holder() }));
  }

  /** The sharedareas' locks, which uWSGI lists between `rpc` and `snmp`. */
  sharedareaLockStats(): Array<Record<string, number>> {
    return this.sharedareas.map((area) => ({ [`sharedarea${area.plan.id}`]: area.lock.holder() }));
  }

  /** uWSGI's startup lines, one per area. */
  startupLines(): string[] {
    return this.sharedareas.map(
      (a) =>
        `sharedarea ${a.plan.id} created at 0x${(this.region.bytes.byteOffset + a.plan.offset).toString(16)} (${a.plan.pages} pages, area at 0x${(a.plan.offset + 64).toString(16)})`,
    );
  }
}
