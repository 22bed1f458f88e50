// Metrics (src/metrics/): the values live in the shared memory opened just before; initial and
// restored values are written before any worker starts. Carbon without metrics runs here too.

import { MasterMetrics } from '../../metrics/master-metrics.js';
import { socketName } from '../../stats/stats-document.js';
import type { ServiceRow } from '../master-context.js';
import { socketQueues } from './socket-queues.js';

export const metricsService: ServiceRow = {
  name: 'metrics',
  phase: 'bound',
  open(ctx) {
    const c = ctx.config;
    const shared = ctx.get('shared');
    const store = shared?.services.metrics;
    if (!store && shared === undefined && c.value('enable-metrics') === true)
      ctx.log('*** WARNING: no shared memory: the metrics subsystem is off ***');
    store?.initialize();
    const metrics = new MasterMetrics(c, store, {
      workers: () => ctx.get('workers')?.stats(200) ?? Promise.resolve([]),
      listenQueues: () => socketQueues(ctx).map((q) => q.queue),
      firstSocketName: () => (ctx.bound[0] ? socketName(ctx.bound[0]) : undefined),
      log: (line) => ctx.log(line),
    });
    for (const line of metrics.startupLines()) ctx.log(line);
    if (!store && c.all('carbon').length === 0) {
      metrics.close();
      return undefined;
    }
    ctx.provide('metrics', metrics);
    return { serve: () => metrics.start(), close: () => metrics.close() };
  },
};
