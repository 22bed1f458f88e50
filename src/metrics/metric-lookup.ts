// The metrics of this process, for readers that are built before the shared services exist or
// live far from them (the request log's `%(metric.NAME)`): set once when the worker maps the
// region; without metrics every name reads as uWSGI prints a missing one.

import type { MetricStore } from './metric-store.js';

let store: MetricStore | undefined;

export function setMetricStore(metrics: MetricStore | undefined): void {
  store = metrics;
}

/** The metric's value as text; '0' for a metric that does not exist (uWSGI 2.0.21, recorded). */
export function metricText(name: string): string {
  return String(store?.get(name) ?? 0n);
}
