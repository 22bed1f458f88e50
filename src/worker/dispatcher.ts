// One request through a worker: pick the app by mountpoint, enforce limit-post, call the app in
// its style, turn an exception into a 500 plus the stack in the log, and write uWSGI's request
// log line when the response is done.

import { RequestLog } from '../logging/request-log.js';
import { type StaticServer, staticFiles } from '../static/static-server.js';
import type { LoadedApp } from './app-loader.js';
import type { HttpEnvContext } from './cgi-env.js';
import { decodePath } from './cgi-env.js';
import { serveFetch } from './fetch-adapter.js';
import { LoggedRequestFacts, loggedStatus } from './logged-request.js';
import { turnStartMs, turnStartPerf } from './loop-clock.js';
import { modifierHandlers, type ServeRequest } from './modifier-table.js';
import { buildMountTable, type MountTable } from './mounts.js';
import type { WorkerPlan } from './plan.js';
import { UwsgiRequest, type UwsgiResponse } from './request.js';
import type { RequestRouter } from './request-router.js';

export interface DispatcherOptions {
  readonly plan: WorkerPlan;
  readonly apps: readonly LoadedApp[];
  readonly log: (line: string) => void;
  /** The same log taking bytes, when it can (the request log's batches). */
  readonly logBytes?: (bytes: Uint8Array) => void;
  /** Recycling checks after each request (max-requests, reload-on-rss); `failed` after an app exception. */
  readonly afterRequest?: (failed: boolean) => void;
  /** Called as a tracked request starts (harakiri, stats). */
  readonly onStart?: (req: UwsgiRequest, res: UwsgiResponse) => void;
  /**
   * Called as a tracked request ends (stats, harakiri); `endPerf` is performance.now() then, when
   * the dispatcher read it (the request log), else undefined.
   */
  readonly onFinish?: (req: UwsgiRequest, res: UwsgiResponse, endPerf: number | undefined) => void;
  /** Called with what the app threw or rejected with (reload-on-exception-type/-value/-repr). */
  readonly onException?: (thrown: unknown) => void;
  /** The internal routing rules (src/worker/request-router.ts); absent when none is configured. */
  readonly router?: RequestRouter;
}

interface AppSlot {
  readonly id: number;
  readonly app: LoadedApp;
  requests: number;
}

const NO_APP_BODY = 'Internal Server Error\n';

export class Dispatcher {
  requests = 0;
  inFlight = 0;
  /** Set by a graceful stop: every response closes its connection. */
  draining = false;
  /** The response of the request that started last (setUserHarakiri() without a request). */
  latest: UwsgiResponse | undefined = undefined;
  private readonly mounts: MountTable<AppSlot>;
  private readonly slots: readonly AppSlot[];
  private readonly single: AppSlot | undefined;
  private readonly plan: WorkerPlan;
  private readonly log: (line: string) => void;
  /** undefined when no request is ever logged (`disable-logging` without exceptions). */
  private readonly requestLog: RequestLog | undefined;

  constructor(options: DispatcherOptions) {
    this.plan = options.plan;
    this.log = options.log;
    this.requestLog = options.plan.logging.disabled
      ? undefined
      : new RequestLog(options.plan.logging, options.log, options.logBytes);
    const slots = options.apps.map((app, id) => ({
      mountpoint: app.spec.mountpoint,
      app: { id, app, requests: 0 },
    }));
    this.afterRequest = options.afterRequest;
    this.onStart = options.onStart;
    this.onFinish = options.onFinish;
    this.onException = options.onException;
    this.router = options.router;
    // static files are looked up before the app only when a root or a map is configured
    const statics = options.plan.static ? staticFiles(options.plan, options.log) : undefined;
    this.statics = statics?.intercepts === true ? statics : undefined;
    this.tracking =
      !options.plan.logging.disabled ||
      options.plan.maxConcurrent > 0 ||
      options.afterRequest !== undefined ||
      options.onStart !== undefined ||
      options.onFinish !== undefined;
    this.mounts = buildMountTable(slots, options.plan);
    this.app = (req, res) => this.serveApp(req, res);
    this.handlers = modifierHandlers(options.plan, this.app, options.log);
    this.slots = slots.map((s) => s.app);
    const only = slots[0];
    this.single =
      slots.length === 1 && only && only.mountpoint === '' && !options.plan.noDefaultApp
        ? only.app
        : undefined;
  }

  private readonly waiting: Array<[UwsgiRequest, UwsgiResponse, HttpEnvContext]> = [];
  /** Whether each request's end is watched (request log, threads x async bound, recycling). */
  private readonly tracking: boolean;
  private readonly afterRequest: ((failed: boolean) => void) | undefined;
  private readonly onStart: ((req: UwsgiRequest, res: UwsgiResponse) => void) | undefined;
  private readonly onFinish:
    | ((req: UwsgiRequest, res: UwsgiResponse, endPerf: number | undefined) => void)
    | undefined;
  private readonly onException: ((thrown: unknown) => void) | undefined;
  private readonly router: RequestRouter | undefined;
  private readonly statics: StaticServer | undefined;
  /** The handler of each modifier1 (src/worker/modifier-table.ts); 0 and 30 are `app` unless moved. */
  private readonly handlers: ReadonlyArray<ServeRequest | undefined>;
  private readonly app: ServeRequest;

  handle(req: UwsgiRequest, res: UwsgiResponse, context: HttpEnvContext): void {
    const max = this.plan.maxConcurrent;
    if (max > 0 && this.inFlight >= max) {
      // threads x async bound reached: the request waits its turn, as in a uWSGI worker's queue
      this.waiting.push([req, res, context]);
      return;
    }
    if (this.draining) res.shouldKeepAlive = false;
    req.envContext = context;
    // the packet's modifier1 (uwsgi sockets), else the one its socket's protocol forces
    const m1 = req.bridgedHead?.modifier1 || context.modifier1;
    if (m1) req.modifier1 = m1;
    this.requests++;
    // one store, so that the app API can find "the current request" without AsyncLocalStorage
    this.latest = res;
    // the hot path pays for the end-of-request hook only when the log or a concurrency bound needs it
    if (this.tracking) {
      // read now: Node caches the peer address, and the log line may be built after the client left
      void req.socket.remoteAddress;
      // the clock is read once per event-loop turn, not per request (src/worker/loop-clock.ts)
      req.startMs = turnStartMs();
      req.startPerf = turnStartPerf();
      req.dispatcher = this;
      this.inFlight++;
      // on, not once: 'close' comes once, and once() allocates a wrapper per request
      res.on('close', onResponseClose);
      this.onStart?.(req, res);
    }
    const router = this.router;
    if (router !== undefined) {
      // the request chain runs first: it may answer, or change what app selection sees
      router.route(req, res, this);
      return;
    }
    this.serve(req, res);
  }

  /** Static files, then the handler of the request's modifier1 (after routing, if any). */
  serve(req: UwsgiRequest, res: UwsgiResponse): void {
    // uWSGI's order (reference §2.7): routing, then check-static / static-map, then the plugin
    if (this.statics?.intercept(req, res)) return;
    const m1 = req.modifier1;
    const handler = this.handlers[m1];
    if (handler === undefined) {
      // uWSGI 2.0.21 (observed, http-socket-modifier1 9 without the cgi plugin): this line, no
      // answer, no request log line
      this.log(`-- unavailable modifier requested: ${m1} --\n`);
      req.noLog = true;
      res.destroy();
      return;
    }
    // the app's own path checks limit-post after picking the app (its log line names the app's URL)
    if (this.plan.limitPost > 0 && handler !== this.app && this.tooBig(req, res)) return;
    handler(req, res);
  }

  /**
   * The default app (modifier1 0/30): picked by UWSGI_APPID (`setapp`, a front end's param) when
   * it names a mountpoint, else by mountpoint; limit-post, then the app in its style.
   */
  private serveApp(req: UwsgiRequest, res: UwsgiResponse): void {
    let slot = this.single;
    const appId = UwsgiRequest.varsBuilt(req) ? req.vars.get('UWSGI_APPID') : undefined;
    if (appId !== undefined) {
      const named = this.slots.find((s) => s.app.spec.mountpoint === appId);
      if (named !== undefined) slot = named;
    }
    if (!slot) {
      const vars = req.vars;
      const pick = this.mounts.select(
        vars.get('PATH_INFO') ?? decodePath((req.url ?? '/').split('?')[0] ?? '/'),
        vars.get('SCRIPT_NAME') ?? '',
      );
      if (!pick) {
        this.log(
          `--- no JS application found for ${req.method} ${req.url}, check your startup logs for errors ---\n`,
        );
        res.statusCode = 500;
        res.setHeader('content-type', 'text/plain');
        res.end(NO_APP_BODY);
        return;
      }
      slot = pick.app;
      if (pick.mountpoint !== '') {
        // SCRIPT_NAME as the mount was written (`/foobis/` keeps its slash, as in uWSGI)
        req.mountpoint = pick.scriptName;
        // the app sees the path below its mountpoint, as a WSGI app sees PATH_INFO
        const url = req.url ?? '/';
        const rest = url.slice(pick.mountpoint.length);
        req.url = rest === '' || rest.startsWith('?') ? `/${rest}` : rest;
      }
    }
    req.appId = slot.id;
    slot.requests++;
    if (this.plan.limitPost > 0 && this.tooBig(req, res)) return;
    const { app } = slot;
    try {
      const result = app.style === 'node' ? app.handler(req, res) : serveFetch(app.handler, req, res);
      if (result && typeof (result as Promise<unknown>).then === 'function') {
        (result as Promise<unknown>).then(undefined, (err: unknown) => this.failed(req, res, err));
      }
    } catch (err) {
      this.failed(req, res, err);
    }
  }

  /** limit-post (uWSGI checks it in the core, for every modifier1): 413 when the body is larger. */
  private tooBig(req: UwsgiRequest, res: UwsgiResponse): boolean {
    const limit = this.plan.limitPost;
    const length = Number(req.headers['content-length'] ?? 0);
    if (length <= limit) return false;
    this.log(
      `Invalid (too big) CONTENT_LENGTH. skip. (${length} > limit-post ${limit}) for ${req.method} ${req.url}\n`,
    );
    res.statusCode = 413;
    res.shouldKeepAlive = false;
    res.setHeader('content-type', 'text/plain');
    res.end('Request Entity Too Large\n');
    return true;
  }

  private failed(req: UwsgiRequest, res: UwsgiResponse, err: unknown): void {
    if (req.aborted && (err as { code?: unknown } | null)?.code === 'ECONNRESET') {
      // the app was reading a body whose client went away (or timed out, logged as such): not
      // the app's failure, and the request log line counts the read error
      if (!res.headersSent) res.destroy();
      return;
    }
    req.failed = true;
    this.onException?.(err);
    const stack = err instanceof Error ? (err.stack ?? err.message) : String(err);
    this.log(
      `[uwsgi-ts] exception in app ${this.appName(req)} while serving ${req.method} ${req.url}:\n${stack}\n`,
    );
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.statusCode = 500;
    res.setHeader('content-type', 'text/plain');
    res.end('Internal Server Error\n');
  }

  private appName(req: UwsgiRequest): string {
    return this.slots[req.appId]?.app.spec.file ?? 'unknown';
  }

  /** Called once per tracked request when its response is done or its connection gone. */
  finished(req: UwsgiRequest, res: UwsgiResponse): void {
    this.inFlight--;
    // one clock read for the stats and the log line; none when only harakiri or recycling watch
    const endPerf = this.requestLog !== undefined ? performance.now() : undefined;
    this.afterRequest?.(req.failed);
    this.onFinish?.(req, res, endPerf);
    const next = this.waiting.shift();
    if (next) setImmediate(() => this.handle(next[0], next[1], next[2]));
    const log = this.requestLog;
    // donotlog: a routing rule dropped this request's line
    if (log !== undefined && !req.noLog) this.logRequest(log, req, res, endPerf ?? performance.now());
  }

  /**
   * A request that left HTTP (a WebSocket's 101, src/worker/upgrades.ts): counted as it starts,
   * logged as it ends with the status and the bytes written on its socket.
   */
  countDetached(req: UwsgiRequest): void {
    this.requests++;
    const slot = this.slots[req.appId];
    if (slot) slot.requests++;
  }

  /** The log line of a request counted by countDetached(), when its socket is gone. */
  logDetached(req: UwsgiRequest, res: UwsgiResponse): void {
    const log = this.requestLog;
    if (log !== undefined && !req.noLog) this.logRequest(log, req, res, performance.now());
  }

  /** uWSGI's log_request(): the exceptions of `disable-logging` first, then the line. */
  private logRequest(log: RequestLog, req: UwsgiRequest, res: UwsgiResponse, endPerf: number): void {
    const elapsedMicros = Math.round((endPerf - req.startPerf) * 1000);
    // a response cut short is a write error; a request body cut short (the client went away before
    // sending all of it) a read error
    const writeErrors = res.writableFinished ? 0 : 1;
    const readErrors = req.aborted && !req.complete ? 1 : 0;
    if (!log.wants(loggedStatus(res), res.bodyBytes, elapsedMicros, readErrors + writeErrors)) return;
    // the facts are read from req and res as the line is built (no CGI vars unless it reads them)
    log.log(
      new LoggedRequestFacts(
        req,
        res,
        this.plan.id,
        this.slots[req.appId]?.requests ?? 0,
        this.requests,
        elapsedMicros,
        readErrors,
        writeErrors,
        log.xForwardedFor,
      ),
    );
  }
}

/** A module-level listener (no closure per request): `this` is the response. */
function onResponseClose(this: UwsgiResponse): void {
  const req = this.req;
  req.dispatcher?.finished(req, this);
}
