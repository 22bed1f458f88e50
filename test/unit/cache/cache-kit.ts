// Helpers of the cache unit tests: caches over a private region (one process) with a fake clock
// and the full lines collected, and the recorded uWSGI fixture.
import { readFileSync } from 'node:fs';
import { Cache } from '../../../src/cache/cache.js';
import { type CacheGlobals, type CachePlan, planCache } from '../../../src/cache/cache-plan.js';
import { LayoutBuilder } from '../../../src/shared/layout.js';
import { SharedRegion } from '../../../src/shared/region.js';

export interface Kit {
  readonly caches: Cache[];
  readonly plans: CachePlan[];
  readonly region: SharedRegion;
  /** Lines the caches reported as full, in order. */
  readonly full: string[];
  /** The fake clock, whole epoch seconds. */
  clock: number;
}

/** Caches from cache2 kvlists over one private region; `clock` drives their expiry. */
export function makeCaches(specs: readonly string[], globals?: CacheGlobals): Kit {
  const builder = new LayoutBuilder();
  const plans = specs.map((spec) => planCache(spec, builder, globals));
  const layout = builder.build();
  const region = new SharedRegion(new ArrayBuffer(layout.size), layout, undefined, undefined);
  const kit: Kit = { caches: [], plans, region, full: [], clock: 1_800_000_000 };
  for (const plan of plans)
    kit.caches.push(
      new Cache(plan, region, { onFull: (line) => kit.full.push(line), now: () => Math.floor(kit.clock) }),
    );
  return kit;
}

export function makeCache(spec: string): Kit & { cache: Cache } {
  const kit = makeCaches([spec]);
  return Object.assign(kit, { cache: kit.caches[0]! });
}

export type Result = null | boolean | number | { b: string } | { exception: string } | Result[];

export interface Step {
  op: (string | number)[];
  result: Result;
  log: string[];
}

export interface Recorded {
  recordedWith: string;
  startup: { case: string; args: string[]; lines: string[]; failed?: boolean }[];
  semantics: { case: string; caches: string[]; steps: Step[] }[];
  server: { case: string; request: string; reply: string; now: number; log: string[] }[];
  serverStats: Record<string, number | string>[];
  clientSends: {
    case: string;
    op: (string | number)[];
    result: Result;
    exchanges: { request: string; reply: string }[];
  }[];
  clientReads: { case: string; op: (string | number)[]; reply: string; result: Result; sent: string }[];
}

export const recorded = JSON.parse(
  readFileSync(new URL('../../fixtures/cache/uwsgi-2.0.21-cache.json', import.meta.url), 'utf8'),
) as Recorded;

/** A uWSGI cache2 spec holding the same number of keys in uwsgi-ts (uWSGI's items=N holds N-1). */
export function sameCapacity(spec: string): string {
  return spec.replace(/(^|,)items=(\d+)/, (_, sep: string, n: string) => `${sep}items=${Number(n) - 1}`);
}
