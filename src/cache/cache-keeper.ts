// The master's part of the caches (reference §7): announce them, restore `store` files and run
// the preloads before any worker starts, sweep expired items every `cache-expire-freq`, write the
// stores back every `store_sync` cycles and at shutdown.

import type { Config } from '../config/resolve.js';
import type { SharedRegion } from '../shared/region.js';
import { CACHE_SWEEPER_ENABLED, cacheFreedLine, cacheInitializedLine } from './cache-messages.js';
import type { CachePlan } from './cache-plan.js';
import { planCacheSweeper } from './cache-plan.js';
import { planCachePreloads, runCachePreloads } from './cache-preload.js';
import { loadStore, saveStore, saveStoreAsync } from './cache-store.js';
import type { Caches } from './caches.js';

/** uWSGI's master cycle, which store_sync counts. */
const CYCLE_MS = 1000;

export class CacheKeeper {
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly plans: readonly CachePlan[],
    private readonly caches: Caches,
    private readonly region: SharedRegion,
    private readonly log: (line: string) => void,
  ) {}

  /** Everything before the workers: may throw (a bad store file, a preload that cannot be read). */
  start(config: Config): void {
    for (const plan of this.plans) {
      for (const note of plan.notes) this.log(note);
      this.log(cacheInitializedLine(plan));
      if (plan.store) for (const line of loadStore(plan, this.region).lines) this.log(line);
    }
    for (const line of runCachePreloads(planCachePreloads(config, this.plans), this.caches)) this.log(line);
    const sweeper = planCacheSweeper(config, this.plans);
    if (sweeper) {
      this.log(CACHE_SWEEPER_ENABLED);
      this.every(sweeper.every * 1000, () => {
        for (const { cache, freed } of this.caches.sweep())
          if (sweeper.report) this.log(cacheFreedLine(cache, freed));
      });
    }
    for (const plan of this.plans) {
      if (!plan.store || plan.storeSync <= 0) continue;
      this.every(plan.storeSync * CYCLE_MS, () => {
        saveStoreAsync(plan, this.region).catch((err: unknown) =>
          this.log(
            `cache "${plan.name}": cannot write ${plan.store}: ${err instanceof Error ? err.message : String(err)}`,
          ),
        );
      });
    }
  }

  private every(ms: number, fn: () => void): void {
    const timer = setInterval(fn, ms);
    timer.unref();
    this.timers.push(timer);
  }

  /** Shutdown: the stores are written one last time. */
  close(): void {
    for (const timer of this.timers) clearInterval(timer);
    for (const plan of this.plans) {
      if (!plan.store) continue;
      try {
        saveStore(plan, this.region);
      } catch (err) {
        this.log(
          `cache "${plan.name}": cannot write ${plan.store}: ${err instanceof Error ? err.message : String(err)}`,
        );
      }
    }
  }
}
