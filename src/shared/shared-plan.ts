// What an instance keeps in shared memory, decided once by the master from the config: the
// layout, and where each service's state lies in it (user locks now; caches, sharedareas and the
// rest join as rows). Every worker receives the same plan and opens the same services over the
// region the master created (src/shared/region.ts).

import type { CachePlan } from '../cache/cache-plan.js';
import { planCaches } from '../cache/cache-plan.js';
import type { Config } from '../config/resolve.js';
import { LOCK_BYTES } from '../locks/shared-lock.js';
import { type MetricsPlan, metricsFacts, planMetrics } from '../metrics/metrics-plan.js';
import { planSharedareas, type SharedareaPlan } from '../sharedarea/sharedarea.js';
import { type Layout, LayoutBuilder } from './layout.js';

export interface SharedPlan {
  readonly layout: Layout;
  /** `locks = N` user locks (lock 0 always exists, as in uWSGI), LOCK_BYTES apart from `offset`. */
  readonly locks: { readonly count: number; readonly offset: number };
  readonly sharedareas: readonly SharedareaPlan[];
  /** cache2 / cache (src/cache/cache-plan.ts); the first is the default cache. */
  readonly caches: readonly CachePlan[];
  /** The metrics' int64 slots (src/metrics/metrics-plan.ts); undefined when metrics are off. */
  readonly metrics?: MetricsPlan | undefined;
  /** The `alarm` names, so the app API refuses an unknown one without asking the master. */
  readonly alarms?: readonly string[];
}

/** Bytes between two locks: a cache line each, so two busy locks never share one. */
export const LOCK_STRIDE = 64;

/** `facts.sockets`: how many sockets were bound (the metrics have one `socket.N.listen_queue` each). */
export function planShared(config: Config, facts: { readonly sockets: number } = { sockets: 0 }): SharedPlan {
  const layout = new LayoutBuilder();
  const count = Math.max(1, config.value('locks'));
  const locks = layout.reserve('locks', count * Math.max(LOCK_STRIDE, LOCK_BYTES));
  const sharedareas = planSharedareas(config, layout);
  const caches = planCaches(config, layout);
  const metrics = planMetrics(config, layout, metricsFacts(config, facts.sockets));
  const alarms = config.all('alarm').map((o) => String(o.value).trim().split(/\s+/)[0] ?? '');
  return {
    layout: layout.build(),
    locks: { count, offset: locks.offset },
    sharedareas,
    caches,
    ...(metrics ? { metrics } : {}),
    ...(alarms.length > 0 ? { alarms } : {}),
  };
}

/** True when the config asks for something that must be shared between the workers. */
export function needsSharing(config: Config): boolean {
  return (
    config.get('locks') !== undefined ||
    config.get('sharedarea') !== undefined ||
    config.all('cache2').length > 0 ||
    config.get('cache') !== undefined ||
    config.all('metric').length > 0 ||
    config.value('enable-metrics') === true
  );
}
