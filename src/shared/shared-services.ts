// The shared services of one process (master or worker), opened over the instance's region from
// the plan: the same objects, offsets and code in every process, so a lock taken in one worker is
// held for all of them.

import { Caches } from '../cache/caches.js';
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
  readonly caches: Caches;

  constructor(
    readonly plan: SharedPlan,
    readonly region: SharedRegion,
    /** Where a full cache's line goes (`*** DANGER cache "x" is FULL !!! ***`). */
    log: (line: string) => void = () => {},
  ) {
    this.caches = new Caches(plan.caches, region, { onFull: log });
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

  /** The caches' locks (`cache_NAME`), which uWSGI lists after `snmp`. */
  cacheLockStats(): Array<Record<string, number>> {
    return this.caches.list.map((cache) => ({ [`cache_${cache.name}`]: cache.lockHolder() }));
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
