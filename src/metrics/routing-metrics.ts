// The metrics part of a worker's RoutingHost (src/routing/host.ts): `${metric[NAME]}` and the
// router_metrics actions (`metricinc:NAME[,N]` ...), over the instance's MetricStore. For the
// routing integrator to spread into the host: `{ ...routingMetrics(store) }`.

import type { MetricRequest, RoutingHost } from '../routing/host.js';
import type { MetricStore } from './metric-store.js';

export type RoutingMetrics = Pick<RoutingHost, 'metricValue' | 'metric'>;

export function routingMetrics(store: MetricStore, log: (line: string) => void = () => {}): RoutingMetrics {
  return {
    metricValue: (name) => store.get(name)?.toString(),
    metric: (request: MetricRequest) => {
      try {
        store.update(request.name, request.op, BigInt(Math.trunc(request.value)));
      } catch (err) {
        // uWSGI: a failed metric action is ignored and the chain goes on; uwsgi-ts says why once per call
        log(`route metric${request.op} ${request.name}: ${err instanceof Error ? err.message : String(err)}`);
      }
    },
  };
}
