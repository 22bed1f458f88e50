// What a worker (or a mule) is told at start: its sockets, apps, limits and subsystems, all from
// the config of now (a reload re-reads it, so a new generation gets the new values).

import { hostname } from 'node:os';
import { cgiPlan } from '../cgi/cgi-plan.js';
import type { OptionName } from '../config/option-table.js';
import type { Config } from '../config/resolve.js';
import { workerLogging } from '../logging/log-config.js';
import type { SocketProtocol } from '../net/socket-protocol.js';
import { allPython, pythonPart } from '../python/python-plan.js';
import { type RoutingPlan, routingPlan } from '../routing/routing-plan.js';
import { type SpoolTargets, spoolTargets } from '../spooler/spooler-config.js';
import { type StaticPlan, staticPlan } from '../static/static-plan.js';
import { FORCED_MODIFIER_OPTION, pluginModifierMoves } from '../worker/modifier-options.js';
import type { AppSpec, AppStyle, WorkerPlan } from '../worker/plan.js';
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
  if (!compileRouting) throw new Error('routingPart: loadRoutingCompiler() was not awaited for this config');
  compileRouting(plan);
  return { routing: plan };
}

/** The rules compiler, once a config with rules needed it (the rules engine is ~40 modules). */
let compileRouting: typeof import('../worker/routing-host.js').compileRouting | undefined;

/**
 * Loads the rules compiler when config `c` has rules, before routingPart() runs on it: a master
 * without rules (a hello vassal among 50, issue 17) never loads the rules engine.
 */
export async function loadRoutingCompiler(c: Config): Promise<void> {
  if (compileRouting === undefined && routingPlan(c) !== undefined)
    compileRouting = (await import('../worker/routing-host.js')).compileRouting;
}

/** threads x async: the cores of a worker, and whether the config bounds its concurrency. */
export function workerCores(c: Config): { cores: number; bounded: boolean } {
  const cores = c.value('threads') * c.value('async');
  return { cores, bounded: c.get('threads') !== undefined || c.get('async') !== undefined };
}

export function workerPlan(ctx: MasterContext, id: number, generation: number, apps: AppSpec[]): WorkerPlan {
  const c = ctx.config;
  const auto = c.value('auto-procname');
  const prefix = c.value('procname-prefix') ?? '';
  const base = c.value('procname') ?? (auto ? `uWSGI worker ${id}` : undefined);
  const shared = ctx.get('shared');
  const { cores, bounded } = workerCores(c);
  const maxRequests = c.value('max-requests');
  return {
    id,
    generation,
    sockets: ctx.bound.map((b) => ({
      index: b.index,
      protocol: b.protocol,
      ...(b.tls ? { tls: b.tls } : {}),
      ...forcedModifier(c, b.protocol),
    })),
    apps,
    appStyle: c.value('app-style') as AppStyle,
    manageScriptName: c.value('manage-script-name') === true,
    noDefaultApp: c.value('no-default-app') === true,
    needApp: c.value('need-app') === true,
    bufferSize: c.value('buffer-size'),
    maxVars: c.value('max-vars'),
    limitPost: c.value('limit-post'),
    postBuffering: c.value('post-buffering'),
    socketTimeout: c.value('socket-timeout'),
    listenBacklog: c.value('listen'),
    logging: workerLogging(c, ctx.logsOwned),
    threads: c.value('threads'),
    async: c.value('async'),
    // Python apps bound their own concurrency (threads processes each, src/python/python-app.ts)
    maxConcurrent: bounded && !allPython(apps) ? cores : 0,
    procname: base === undefined ? (prefix ? `${prefix}uWSGI worker ${id}` : undefined) : `${prefix}${base}`,
    hostname: hostname(),
    rpcMax: c.value('rpc-max'),
    muleMsgSize: c.value('mule-msg-size'),
    ...websocketAndChunkedInput(c),
    // the cheaper subsystem, the metrics and a vassal's loyalty (src/master/services/emperor-link.ts)
    // read the workers' counters
    stats:
      c.value('stats') !== undefined ||
      elasticFor(c) !== undefined ||
      ctx.get('metrics') !== undefined ||
      ctx.get('emperor') !== undefined,
    harakiri: { seconds: c.value('harakiri'), verbose: c.value('harakiri-verbose') === true },
    mercySeconds: mercySeconds(c),
    ...(shared ? { shared: shared.services.plan } : {}),
    ...(shared?.remote ? { sharedRemote: shared.remote } : {}),
    ...spoolPart(c),
    ...staticPart(c),
    ...routingPart(c),
    ...pythonPart(c, apps),
    ...cgiPart(c),
    recycle: {
      maxRequests: maxRequests > 0 ? maxRequests + id * c.value('max-requests-delta') : 0,
      reloadOnRssMB: c.value('reload-on-rss'),
      reloadOnException: c.value('reload-on-exception') === true,
      exceptionTypes: c.all('reload-on-exception-type').map((o) => String(o.value)),
      exceptionValues: c.all('reload-on-exception-value').map((o) => String(o.value)),
      exceptionReprs: c.all('reload-on-exception-repr').map((o) => String(o.value)),
      minLifetimeS: c.value('min-worker-lifetime'),
    },
  };
}

/** CGI (src/cgi/cgi-plan.ts), only when a `cgi` mount or cgi-from-docroot is set. */
function cgiPart(c: Config): Pick<WorkerPlan, 'cgi' | 'modifierMoves'> {
  const plan = cgiPlan(c);
  const items = (['plugins', 'need-plugins'] as const).flatMap((name) =>
    c.all(name).flatMap((o) => String(o.value).split(',')),
  );
  const moves = pluginModifierMoves(items);
  return { ...(plan ? { cgi: plan } : {}), ...(moves.length > 0 ? { modifierMoves: moves } : {}) };
}

/** The modifier1 a socket's protocol option forces (src/worker/modifier-table.ts). */
function forcedModifier(c: Config, protocol: SocketProtocol): { modifier1?: number } {
  const option = FORCED_MODIFIER_OPTION[protocol];
  const m = option === undefined ? 0 : Number(c.value(option));
  return m > 0 ? { modifier1: m } : {};
}

/** Where spool() writes (src/spooler/); absent without spoolers. */
function spoolPart(c: Config): { spoolTargets?: SpoolTargets } {
  const targets = spoolTargets(c);
  return targets ? { spoolTargets: targets } : {};
}

/** The mercy of graceful operations on workers, in seconds (reload-mercy, worker-reload-mercy). */
export function mercySeconds(c: Config): number {
  return c.value('reload-mercy') || c.value('worker-reload-mercy') || 60;
}

/** A number option of uWSGI's own table (option-table-uwsgi.ts), read by name. */
function uwsgiNumber(c: Config, name: string): number | undefined {
  const value = c.value(name as OptionName) as unknown;
  return typeof value === 'number' ? value : undefined;
}

/**
 * uWSGI's WebSocket API and chunked input API settings, with uWSGI's defaults: a ping every 30 s,
 * 3 s for its pong, messages up to 1024 KB; chunks up to 1 MB, chunked-input-timeout defaulting
 * to socket-timeout.
 */
function websocketAndChunkedInput(c: Config): Pick<WorkerPlan, 'websockets' | 'chunkedInput'> {
  return {
    websockets: {
      pingFreqMs: (uwsgiNumber(c, 'websockets-ping-freq') ?? 30) * 1000,
      pongToleranceMs: (uwsgiNumber(c, 'websockets-pong-tolerance') ?? 3) * 1000,
      maxSize: (uwsgiNumber(c, 'websockets-max-size') ?? 1024) * 1024,
    },
    chunkedInput: {
      limit: uwsgiNumber(c, 'chunked-input-limit') ?? 1048576,
      timeoutMs: (uwsgiNumber(c, 'chunked-input-timeout') ?? c.value('socket-timeout')) * 1000,
    },
  };
}
