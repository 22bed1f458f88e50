// The shared services of one process (master or worker), opened over the instance's region from
// the plan: the same objects, offsets and code in every process, so a lock taken in one worker is
// held for all of them.

import { SharedLock } from '../locks/shared-lock.js';
import type { SharedRegion } from './region.js';
import { LOCK_STRIDE, type SharedPlan } from './shared-plan.js';

export class SharedServices {
  readonly locks: readonly SharedLock[];

  constructor(
    readonly plan: SharedPlan,
    readonly region: SharedRegion,
  ) {
    this.locks = Array.from(
      { length: plan.locks.count },
      (_, i) => new SharedLock(region, plan.locks.offset + i * LOCK_STRIDE),
    );
  }

  /** The stats document's `locks` rows for the user locks: the holder's pid, 0 when free. */
  lockStats(): Array<Record<string, number>> {
    return this.locks.map((lock, i) => ({ [`user ${i}`]: lock.holder() }));
  }
}
