// What a worker (or a mule) is told at start: its sockets, apps, limits and subsystems, all from
// the config of now (a reload re-reads it, so a new generation gets the new values).

import { hostname } from 'node:os';
import type { Config } from '../config/resolve.js';
import { workerLogging } from '../logging/log-config.js';
import { type RoutingPlan, routingPlan } from '../routing/routing-plan.js';
import { type StaticPlan, staticPlan } from '../static/static-plan.js';
import type { AppSpec, AppStyle, WorkerPlan } from '../worker/plan.js';
import { compileRouting } from '../worker/routing-host.js';
import type { MasterContext } from './master-context.js';
import { elasticFor } from './services/cheaper.js';

/** The static-file part of a worker's plan (src/static/static-plan.ts), only when configured. */
export function staticPart(c: Config): { static?: StaticPlan } {
  const plan = staticPlan(c);
  return plan ? { static: plan } : {};
}

/**
 * The routing part of a worker's plan (src/routing/routing-plan.ts), only when rules are set; the
 * rules are compiled here too, so a bad one stops the instance (or a reload) before any worker
 * starts, with the coded error naming the option and its origin.
 */
export function routingPart(c: Config): { routing?: RoutingPlan } {
  const plan = routingPlan(c);
  if (plan === undefined) return {};
  compileRouting(plan);
  return { routing: plan };
}

/** threads x async: the cores of a worker, and whether the config bounds its concurrency. */
export function workerCores(c: Config): { cores: number; bounded: boolean } {
  const cores = Math.max(1, c.value('threads') ?? 1) * Math.max(1, c.value('async') ?? 1);
  return { cores, bounded: c.get('threads') !== undefined || c.get('async') !== undefined };
}

export function workerPlan(ctx: MasterContext, id: number, generation: number, apps: AppSpec[]): WorkerPlan {
  const c = ctx.config;
  const auto = c.value('auto-procname');
  const prefix = c.value('procname-prefix') ?? '';
  const base = c.value('procname') ?? (auto ? `uWSGI worker ${id}` : undefined);
  const shared = ctx.get('shared');
  const { cores, bounded } = workerCores(c);
  const maxRequests = c.value('max-requests') ?? 0;
  return {
    id,
    generation,
    sockets: ctx.bound.map((b) => ({
      index: b.index,
      protocol: b.protocol,
      ...(b.tls ? { tls: b.tls } : {}),
    })),
    apps,
    appStyle: (c.value('app-style') ?? 'auto') as AppStyle,
    manageScriptName: c.value('manage-script-name') === true,
    noDefaultApp: c.value('no-default-app') === true,
    needApp: c.value('need-app') === true,
    bufferSize: c.value('buffer-size') ?? 4096,
    maxVars: c.value('max-vars') ?? 64,
    limitPost: c.value('limit-post') ?? 0,
    postBuffering: c.value('post-buffering') ?? 0,
    socketTimeout: c.value('socket-timeout') ?? 4,
    listenBacklog: c.value('listen') ?? 100,
    logging: workerLogging(c, ctx.logsOwned),
    threads: c.value('threads') ?? 1,
    async: c.value('async') ?? 1,
    maxConcurrent: bounded ? cores : 0,
    procname: base === undefined ? (prefix ? `${prefix}uWSGI worker ${id}` : undefined) : `${prefix}${base}`,
    hostname: hostname(),
    rpcMax: c.value('rpc-max') ?? 64,
    // the cheaper subsystem, the metrics and a vassal's loyalty (src/master/services/emperor-link.ts)
    // read the workers' counters
    stats:
      c.value('stats') !== undefined ||
      elasticFor(c) !== undefined ||
      ctx.get('metrics') !== undefined ||
      ctx.get('emperor') !== undefined,
    harakiri: { seconds: c.value('harakiri') ?? 0, verbose: c.value('harakiri-verbose') === true },
    ...(shared ? { shared: shared.services.plan } : {}),
    ...(shared?.remote ? { sharedRemote: shared.remote } : {}),
    ...staticPart(c),
    ...routingPart(c),
    recycle: {
      maxRequests: maxRequests > 0 ? maxRequests + id * (c.value('max-requests-delta') ?? 0) : 0,
      reloadOnRssMB: c.value('reload-on-rss') ?? 0,
      reloadOnException: c.value('reload-on-exception') === true,
      exceptionTypes: c.all('reload-on-exception-type').map((o) => String(o.value)),
      exceptionValues: c.all('reload-on-exception-value').map((o) => String(o.value)),
      exceptionReprs: c.all('reload-on-exception-repr').map((o) => String(o.value)),
      minLifetimeS: c.value('min-worker-lifetime') ?? 10,
    },
  };
}

/** The mercy of graceful operations on workers, in seconds (reload-mercy, worker-reload-mercy). */
export function mercySeconds(c: Config): number {
  return c.value('reload-mercy') || c.value('worker-reload-mercy') || 60;
}
