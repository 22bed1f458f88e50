// The internal routing of one worker (reference §4): the rules of the plan compiled once at
// worker start into a RoutingProgram, run for each request in uWSGI's order: the request chain
// before the app (answer, offload, close, or change the vars the app sees), the error and
// response chains on the app's response (response-router.ts), the final chain after it. The
// dispatcher calls route() only when the config has rules: no rules, no cost (STYLE.md rule 6).

import { gzipSync } from 'node:zlib';
import { alarmMessage } from '../alarm/alarm-message.js';
import type { Caches } from '../cache/caches.js';
import type { MetricStore } from '../metrics/metric-store.js';
import { routingMetrics } from '../metrics/routing-metrics.js';
import type { ChainName } from '../routing/chains.js';
import {
  type Effect,
  type Offload,
  RouteCode,
  type RouteOutcome,
  type Transform,
} from '../routing/outcome.js';
import type { RoutingProgram } from '../routing/program.js';
import type { HeaderToVar, RoutingPlan } from '../routing/routing-plan.js';
import { workerSignals } from '../signal/worker-signals.js';
import { staticFiles } from '../static/static-server.js';
import { turnStartMicros } from './loop-clock.js';
import type { WorkerPlan } from './plan.js';
import type { UwsgiRequest, UwsgiResponse } from './request.js';
import { ResponseRouter } from './response-router.js';
import { type FileContext, serveFileOffload, serveStaticOffload } from './routing-file.js';
import { compileRouting, WorkerRoutingHost } from './routing-host.js';
import { closeConnection, sendRouted, writeRaw } from './routing-output.js';
import { type ProxyContext, proxyHttp, proxyUwsgi } from './routing-proxy.js';
import { routingVars } from './routing-vars.js';

/** Where a request goes when the rules let it through: the dispatcher's app selection. */
export interface AppServer {
  serve(req: UwsgiRequest, res: UwsgiResponse): void;
}

export interface RequestRouterOptions {
  /** The worker's plan (the static file server of the file offloads is the one of this plan). */
  readonly plan: WorkerPlan;
  /** Its routing part. */
  readonly routing: RoutingPlan;
  /** The instance's metric values (`metric*` actions, `${metric[..]}`); undefined when metrics are off. */
  readonly metrics: MetricStore | undefined;
  /** The instance's caches (the cache actions, `incache`); undefined without shared memory. */
  readonly caches: Caches | undefined;
  readonly log: (line: string) => void;
  /** The `harakiri:` action: a per-request limit (src/worker/harakiri.ts setUser). */
  readonly userHarakiri: (res: UwsgiResponse, seconds: number) => void;
}

type Log = (line: string) => void;

/** What an effect does in a worker (uWSGI: uwsgi_signal_send, uwsgi_alarm_trigger, setproctitle). */
const EFFECTS: { readonly [K in Effect['kind']]: (e: Extract<Effect, { kind: K }>, log: Log) => void } = {
  // the master routes it to its handler (src/signal/); a signal nobody registered is dropped there
  signal: (e, log) => {
    if (!workerSignals.raise(e.signal))
      log(`[uwsgi-route] signal ${e.signal}: not sent (no master to route it)\n`);
  },
  // alarms run in the master (src/alarm/), as uWSGI's alarm thread
  alarm: (e, log) => {
    if (!process.send?.(alarmMessage(e.alarm, e.message)))
      log(`[uwsgi-route] alarm "${e.alarm}": not raised (no master)\n`);
  },
  setprocname: (e) => {
    process.title = e.name;
  },
};

type OffloadRunner<K extends Offload['kind']> = (
  router: RequestRouter,
  o: Extract<Offload, { kind: K }>,
  req: UwsgiRequest,
  res: UwsgiResponse,
  vars: ReadonlyMap<string, string>,
  missing: () => void,
) => void;

/** How each offload is performed (static files through one function: see routing-file.ts). */
const OFFLOADS: { readonly [K in Offload['kind']]: OffloadRunner<K> } = {
  static: (r, o, req, res, _vars, missing) =>
    r.sent(serveStaticOffload(req, res, o.path, r.files), req, res, missing),
  file: (r, o, req, res, _vars, missing) => r.sent(serveFileOffload(req, res, o, r.files), req, res, missing),
  http: (r, o, req, res, vars) => proxyHttp(req, res, vars, o, r.proxies),
  uwsgi: (r, o, req, res, vars) => proxyUwsgi(req, res, vars, o, r.proxies),
};

/** Characters PATH_INFO may keep in a URL path (RFC 3986 pchar and `/`). */
const PATH_SAFE = /[^A-Za-z0-9\-._~!$&'()*+,;=:@/]/g;

/**
 * The vars the app sees after the request chain; the request's URL follows them so that fetch and
 * Node-style apps see a rewritten path too (PATH_INFO/QUERY_STRING first, as a WSGI app reads
 * them; else a changed REQUEST_URI).
 */
export function applyRoutedVars(req: UwsgiRequest, vars: Map<string, string>): void {
  const before = req.vars;
  const path = vars.get('PATH_INFO') ?? '';
  const qs = vars.get('QUERY_STRING') ?? '';
  if (path !== (before.get('PATH_INFO') ?? '') || qs !== (before.get('QUERY_STRING') ?? '')) {
    let url = path.replace(PATH_SAFE, (c) => encodeURIComponent(c));
    if (!url.startsWith('/')) url = `/${url}`;
    req.url = qs === '' ? url : `${url}?${qs}`;
  } else {
    const uri = vars.get('REQUEST_URI');
    if (uri && uri !== before.get('REQUEST_URI')) req.url = uri;
  }
  req.replaceVars(vars);
}

export class RequestRouter {
  readonly program: RoutingProgram;
  readonly host: WorkerRoutingHost;
  readonly log: Log;
  readonly collect: readonly HeaderToVar[];
  readonly pull: readonly HeaderToVar[];
  readonly hasErrorChain: boolean;
  readonly hasResponseChain: boolean;
  readonly files: FileContext;
  readonly proxies: ProxyContext;
  private readonly hasRequestChain: boolean;
  private readonly hasFinalChain: boolean;
  /** Every response passes the response side (error/response chains, pull-header). */
  private readonly alwaysHook: boolean;
  private readonly userHarakiri: (res: UwsgiResponse, seconds: number) => void;

  /** Compiles the plan's rules; throws ERR_ROUTE_* (the master checked them already). */
  constructor(options: RequestRouterOptions) {
    const { log } = options;
    const plan = options.routing;
    this.program = compileRouting(plan);
    this.log = log;
    // the worker's one static file server (shared with check-static: same plan, same server)
    const files = staticFiles(options.plan, log);
    this.host = new WorkerRoutingHost({
      workerId: options.plan.id,
      mime: (path) => files.mimeType(path),
      rpcTimeoutMs: options.plan.socketTimeout * 1000,
      log,
      caches: options.caches,
      metrics:
        options.metrics === undefined
          ? undefined
          : routingMetrics(options.metrics, (line) => log(`${line}\n`)),
    });
    this.collect = plan.collect;
    this.pull = plan.pull;
    this.hasRequestChain = this.program.has('request');
    this.hasErrorChain = this.program.has('error');
    this.hasResponseChain = this.program.has('response');
    this.hasFinalChain = this.program.has('final');
    this.alwaysHook = this.hasErrorChain || this.hasResponseChain || plan.pull.length > 0;
    this.files = { log, files };
    this.proxies = { log, connectTimeoutMs: options.plan.socketTimeout * 1000 };
    this.userHarakiri = options.userHarakiri;
  }

  /** One request: the request chain, then the app (through `app`) unless the rules answered. */
  route(req: UwsgiRequest, res: UwsgiResponse, app: AppServer): void {
    // the start of the event-loop turn that parsed it: no clock read per request (loop-clock.ts)
    req.routedAt = turnStartMicros();
    if (this.hasFinalChain) res.once('close', () => this.finalChain(req, res));
    if (!this.hasRequestChain) {
      this.toApp(req, res, app, undefined);
      return;
    }
    const out = this.program.run('request', { vars: routingVars(req), startMicros: req.routedAt }, this.host);
    if (out instanceof Promise)
      out.then(
        (o) => this.afterRequest(o, req, res, app),
        (err: unknown) => this.failed(req, res, err),
      );
    else this.afterRequest(out, req, res, app);
  }

  /** ${uwsgi[sor]}: when routing first saw the request. */
  startOf(req: UwsgiRequest): number {
    return req.routedAt;
  }

  /** Runs a chain for a request that is past the request chain. */
  runChain(
    chain: ChainName,
    req: UwsgiRequest,
    vars: ReadonlyMap<string, string>,
    status: number,
    responseSize: number,
  ): RouteOutcome | Promise<RouteOutcome> {
    return this.program.run(chain, { vars, status, startMicros: req.routedAt, responseSize }, this.host);
  }

  /** What every chain's outcome may ask besides the response: log lines, log vars, effects, harakiri. */
  apply(o: RouteOutcome, req: UwsgiRequest, res: UwsgiResponse): void {
    for (const line of o.log) this.log(`${line}\n`);
    if (o.logVars.length > 0) {
      const vars = req.logVars ?? new Map<string, string>();
      for (const [k, v] of o.logVars) vars.set(k, v);
      req.logVars = vars;
    }
    if (o.noLog) req.noLog = true;
    for (const e of o.effects) (EFFECTS[e.kind] as (e: Effect, log: Log) => void)(e, this.log);
    if (o.harakiri !== undefined) this.userHarakiri(res, o.harakiri);
  }

  /**
   * The cachestore transformation's end: the body (and a gzip copy under `gzip=`) into the cache,
   * when the response's status is the rule's (200 unless `status=`).
   */
  cacheStore(t: Extract<Transform, { kind: 'cachestore' }>, status: number, body: Buffer): void {
    if (status !== t.status) return;
    const put = (key: string, value: Buffer) => {
      const done = this.host.cache({ op: 'set', cache: t.cache, key, value, expires: t.expires });
      if (done === false)
        this.log(`[uwsgi-route] cachestore: "${key}" not stored in cache "${t.cache ?? ''}"\n`);
    };
    put(t.key, body);
    if (t.gzipKey !== undefined) put(t.gzipKey, gzipSync(body));
  }

  /** Serves a file or proxies the request; `missing` when a file offload found nothing to send. */
  offload(
    o: Offload,
    req: UwsgiRequest,
    res: UwsgiResponse,
    vars: ReadonlyMap<string, string>,
    missing: () => void,
  ): void {
    (OFFLOADS[o.kind] as OffloadRunner<Offload['kind']>)(this, o, req, res, vars, missing);
  }

  /** A file offload's end: `missing` when it sent nothing, a log line and a closed connection on failure. */
  sent(done: boolean | Promise<boolean>, req: UwsgiRequest, res: UwsgiResponse, missing: () => void): void {
    if (typeof done === 'boolean') {
      if (!done) missing();
      return;
    }
    done.then(
      (wasSent) => {
        if (!wasSent) missing();
      },
      (err: unknown) => this.failed(req, res, err),
    );
  }

  private afterRequest(o: RouteOutcome, req: UwsgiRequest, res: UwsgiResponse, app: AppServer): void {
    try {
      this.apply(o, req, res);
      // send/send-crnl: on the connection at once
      if (o.raw.length > 0) writeRaw(req, o.raw.join(''));
      if (o.offload !== undefined) {
        this.offload(o.offload, req, res, o.vars ?? req.vars, () => closeConnection(req));
        return;
      }
      if (o.response !== undefined) {
        sendRouted(req, res, o.response, this.log);
        return;
      }
      // BREAK with nothing produced; disableheaders before the app (2.0.21: its start_response
      // then fails): the client gets what was written and the connection closes
      if (o.code === RouteCode.BREAK || o.headersDisabled) {
        closeConnection(req);
        return;
      }
      if (o.vars !== undefined) applyRoutedVars(req, o.vars);
      // setmodifier1: another handler serves it (src/worker/modifier-table.ts)
      if (o.modifier1 !== undefined) req.modifier1 = o.modifier1;
      this.toApp(req, res, app, o);
    } catch (err) {
      this.failed(req, res, err);
    }
  }

  private toApp(req: UwsgiRequest, res: UwsgiResponse, app: AppServer, o: RouteOutcome | undefined): void {
    const raw = o !== undefined && o.raw.length > 0;
    if (raw || this.alwaysHook || (o !== undefined && (o.headers.length > 0 || o.transforms.length > 0)))
      res.routing = new ResponseRouter(this, req, o, raw);
    app.serve(req, res);
  }

  private finalChain(req: UwsgiRequest, res: UwsgiResponse): void {
    const out = this.runChain('final', req, req.vars, res.statusCode, res.bodyBytes);
    if (out instanceof Promise)
      out.then(
        (o) => this.apply(o, req, res),
        () => {},
      );
    else this.apply(out, req, res);
  }

  /** Our own failure (never a rule's: those end as BREAK with a log line): 500 or a closed connection. */
  private failed(req: UwsgiRequest, res: UwsgiResponse, err: unknown): void {
    this.log(
      `[uwsgi-route] routing ${req.method} ${req.url} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    if (res.headersSent || res.routing !== undefined) {
      res.destroy();
      return;
    }
    res.statusCode = 500;
    res.setHeader('content-type', 'text/plain');
    res.end('Internal Server Error\n');
  }
}
