// The caches of an instance, opened over the shared region in any process: lookup by name (''
// meaning the default cache, the first one as in uWSGI), the stats list, and the sweeper's pass.

import type { SharedRegion } from '../shared/region.js';
import { Cache, type CacheOptions, type CacheStats } from './cache.js';
import type { CachePlan } from './cache-plan.js';
import type { CacheLookup } from './cache-server.js';

export interface SweepResult {
  readonly cache: string;
  readonly freed: number;
}

export class Caches {
  readonly list: readonly Cache[];
  private readonly byName: ReadonlyMap<string, Cache>;
  /** For serveCachePacket: `(name) => cache`, '' being the default cache. */
  readonly lookup: CacheLookup;

  constructor(plans: readonly CachePlan[], region: SharedRegion, options: CacheOptions = {}) {
    this.list = plans.map((plan) => new Cache(plan, region, options));
    this.byName = new Map(this.list.map((cache) => [cache.name, cache]));
    this.lookup = (name) => this.get(name);
  }

  /** The cache called `name`; '' (or no name) is the default cache, the first defined. */
  get(name = ''): Cache | undefined {
    return name === '' ? this.list[0] : this.byName.get(name);
  }

  /** The stats document's `caches` (only when there are caches, as uWSGI). */
  stats(): CacheStats[] {
    return this.list.map((cache) => cache.stats());
  }

  /** One pass of the master's sweeper over the caches that have one; the caches that freed items. */
  sweep(nowSeconds?: number): SweepResult[] {
    const out: SweepResult[] = [];
    for (const cache of this.list) {
      if (!cache.plan.sweep) continue;
      const freed = cache.sweep(nowSeconds);
      if (freed > 0) out.push({ cache: cache.name, freed });
    }
    return out;
  }
}
