// A worker process: receives its plan and the listening sockets from the master over IPC, loads
// the apps, accepts directly on the shared sockets and serves until told to stop. Exits when
// the master goes away (no orphans).

import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import { Server as NetServer } from 'node:net';
import { resolve } from 'node:path';
import { installRuntime } from '../api/runtime.js';
import { isUwsgiError } from '../errors.js';
import type { HookPhaseName } from '../hooks/hook-phases.js';
import { runHooks } from '../hooks/run-hooks.js';
import { dispatchMasterMessage, type MasterMessageHandlers, type WorkerMessage } from '../ipc/messages.js';
import { ownLogBytesWriter, ownLogWriter } from '../logging/worker-output.js';
import { listenFd } from '../net/early-listen.js';
import type { NativeHandle } from '../net/native-handle.js';
import { workerSignals } from '../signal/worker-signals.js';
import { WorkerStats } from '../stats/worker-stats.js';
import { WorkerApi } from './api-runtime.js';
import { type LoadedApp, loadApp } from './app-loader.js';
import { createBridgeServer } from './bridge-server.js';
import type { HttpEnvContext } from './cgi-env.js';
import { Dispatcher } from './dispatcher.js';
import { HandedConnections } from './handed-connections.js';
import { WorkerHarakiri } from './harakiri.js';
import { HarakiriWatchdog, isChannel, WATCHDOG_FD } from './harakiri-watchdog.js';
import { watchHttpReads } from './http-read-timeout.js';
import { installLightResponse } from './light-response.js';
import { installListenCapture, ownServer } from './listen-capture.js';
import { connAddon, NativeBridge } from './native-bridge.js';
import { installPackageResolve } from './package-resolve.js';
import type { WorkerPlan } from './plan.js';
import { attachProcessServices } from './process-services.js';
import { Recycler } from './recycler.js';
import { installRequestAccessors, UwsgiRequest, UwsgiResponse } from './request.js';
import { plainOnSocket, Upgrades } from './upgrades.js';
import { closeAllWebSockets } from './websocket-session.js';

/** Node's HTTP parser errors to our answer and code (anything else: 400 ERR_HTTP_BAD_REQUEST). */
const CLIENT_ERRORS: Readonly<Record<string, readonly [number, string]>> = {
  HPE_HEADER_OVERFLOW: [431, 'ERR_HTTP_HEADERS_TOO_BIG'],
  // both Content-Length and Transfer-Encoding: request smuggling (uWSGI 2.0.21 accepts it)
  HPE_INVALID_TRANSFER_ENCODING: [400, 'ERR_HTTP_SMUGGLING'],
  HPE_UNEXPECTED_CONTENT_LENGTH: [400, 'ERR_HTTP_SMUGGLING'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'ERR_HTTP_BAD_REQUEST'],
  // the client went away in the middle of its request
  HPE_INVALID_EOF_STATE: [400, 'ERR_PROTOCOL_TRUNCATED'],
};

/**
 * Without the request log, stats or routing, Node's own response class: no byte counting on every
 * write (routing takes responses over through UwsgiResponse.routing).
 */
function responseClass(plan: WorkerPlan): typeof UwsgiResponse | typeof http.ServerResponse {
  return plan.logging.disabled && !plan.stats && !plan.routing ? http.ServerResponse : UwsgiResponse;
}

/** Socket errors that mean the client went away (issue 12: logged as `bad HTTP request ... EPIPE`). */
const CLIENT_GONE = new Set(['ECONNRESET', 'EPIPE']);

/** Sockets already answered for a parse error (the parser may report twice). */
const refused = new WeakSet<net.Socket>();

interface Listening {
  /** Stops accepting and calls back once the last connection is gone. */
  close(done: () => void): void;
}

/** uWSGI's order once a worker accepts (reference run: accepting, accepting-once, accepting1, accepting1-once). */
const ACCEPTING: readonly HookPhaseName[] = ['accepting', 'accepting-once', 'accepting1', 'accepting1-once'];

function send(message: WorkerMessage): void {
  process.send?.(message);
}

class Worker {
  private plan: WorkerPlan | undefined;
  private readonly handles = new Map<number, NativeHandle>();
  private readonly listening: Listening[] = [];
  private dispatcher: Dispatcher | undefined;
  /** WebSockets and other upgrades on HTTP sockets (always: uWSGI's websocketHandshake() needs them). */
  private upgrades: Upgrades | undefined;
  /** Connections the HTTP router handed over (src/worker/handed-connections.ts). */
  private handed: HandedConnections | undefined;
  private harakiri: WorkerHarakiri | undefined;
  private stats: WorkerStats | undefined;
  private stopping = false;
  private log: (line: string) => void = ownLogWriter();

  /** The master's messages, one row each (src/ipc/messages.ts); `handle` comes with `socket`. */
  private readonly handlers: MasterMessageHandlers<unknown> = {
    plan: (m) => {
      this.plan = m.plan;
      if (m.plan.logging.logMaster) this.log = (line) => send({ t: 'log', line });
      if (m.plan.procname) process.title = m.plan.procname;
    },
    socket: (m, handle) => {
      if (handle) this.handles.set(m.index, handle as NativeHandle);
    },
    start: () => {
      this.start().catch((err: unknown) => this.fail(err));
    },
    stop: () => this.stop(),
    handed: (m, handle) => {
      if (!handle) return;
      const handed = this.handedConnections(m.serverName);
      // the master hands only to a serving worker; one not serving yet closes it (never leaks it)
      if (handed) handed.take(handle);
      else (handle as { close?: () => void }).close?.();
    },
    signal: (m) => workerSignals.deliver(m.num),
    'stats?': () => {
      if (this.stats) send({ t: 'stats', snapshot: this.stats.snapshot() });
    },
    // mule messages go to mules only
    'mule-msg': () => {},
    'farm-msg': () => {},
  };

  onMessage(message: unknown, handle: unknown): void {
    dispatchMasterMessage(this.handlers, message, handle);
  }

  private fail(err: unknown): never {
    const code = isUwsgiError(err) ? err.code : 'ERR_WORKER';
    const message = err instanceof Error ? err.message : String(err);
    this.log(`${message}\n`);
    send({ t: 'failed', code, message });
    process.exit(1);
  }

  private async start(): Promise<void> {
    const plan = this.plan;
    if (!plan) throw new Error('worker started without a plan');
    // before the apps load: an app may ask for its worker id at import time
    // the instance's shared memory, mapped from the fd the master passed (src/shared/region.ts)
    const shared = attachProcessServices(plan, (line) => this.log(line));
    installRuntime(
      new WorkerApi({
        plan,
        shared,
        log: (line) => this.log(line),
        dispatcher: () => this.dispatcher,
        harakiri: () => {
          this.harakiri ??= new WorkerHarakiri(0, send, (line) => this.log(line), plan.harakiri.verbose);
          return this.harakiri;
        },
      }),
    );
    // the routing rules compile before the apps load: a bad rule stops the worker (the master
    // refused it already, so this only fails when the worker's world differs)
    // the rules engine and the Python bridge load only where configured: a worker's start-up is on
    // the path of every vassal's (issue 17)
    const routing = plan.routing;
    const router = routing
      ? new (await import('./request-router.js')).RequestRouter({
          plan,
          routing,
          metrics: shared?.metrics,
          caches: shared?.caches,
          log: (line) => this.log(line),
          userHarakiri: (res, seconds) => {
            this.harakiri ??= new WorkerHarakiri(0, send, (line) => this.log(line), plan.harakiri.verbose);
            this.harakiri.setUser(res, seconds);
          },
        })
      : undefined;
    // before the apps load: an app may keep `Response` from its import time (light-response.ts)
    installLightResponse();
    installRequestAccessors();
    // an app's own listen() is served on the instance's sockets (listen-capture.ts)
    installListenCapture();
    // `import ... from 'uwsgi-ts'` resolves wherever the app lives (package-resolve.ts)
    installPackageResolve(plan.apps.filter((a) => !a.python).map((a) => resolve(process.cwd(), a.file)));
    if (!(await this.hooks('post-fork')) || !(await this.hooks('pre-app'))) return;
    const apps: LoadedApp[] = [];
    for (const [id, spec] of plan.apps.entries()) {
      const started = Date.now();
      try {
        apps.push(
          spec.python
            ? await (await import('../python/python-app.js')).loadPythonApp(spec, plan.python, {
                workerId: plan.id,
                hostname: plan.hostname,
                log: (line) => this.log(line),
                api: { totalRequests: () => this.dispatcher?.requests ?? 0 },
              })
            : await loadApp(spec, plan.appStyle, process.cwd(), (line) => this.log(line)),
        );
        const seconds = Math.floor((Date.now() - started) / 1000);
        const fallback = id === 0 && !plan.noDefaultApp ? ' (default app)' : '';
        this.log(
          `${spec.python ? 'WSGI' : 'JS'} app ${id} (mountpoint='${spec.mountpoint}') ready in ${seconds} seconds on pid: ${process.pid}${fallback}\n`,
        );
      } catch (err) {
        this.log(
          `unable to load app ${id} (mountpoint='${spec.mountpoint}') (${err instanceof Error ? err.message : String(err)})\n`,
        );
        if (plan.needApp) throw err;
      }
    }
    if (apps.length === 0) {
      if (plan.needApp) {
        this.log('*** no app loaded. GAME OVER ***\n');
        send({ t: 'failed', code: 'ERR_APP_NONE', message: 'no app loaded' });
        process.exit(1);
      }
      this.log('*** no app loaded. going in full dynamic mode ***\n');
    }
    if (!(await this.hooks('post-app'))) return;
    // uWSGI lists threads x async cores per worker (reference §5)
    const stats = plan.stats
      ? new WorkerStats(
          plan.apps.map((a) => a.mountpoint),
          plan.threads * plan.async,
        )
      : undefined;
    this.stats = stats;
    if (plan.harakiri.seconds > 0) {
      this.harakiri = new WorkerHarakiri(
        plan.harakiri.seconds,
        send,
        (line) => this.log(line),
        plan.harakiri.verbose,
        Date.now,
        // no IPC message per request: a thread names the request of a blocked loop
        isChannel(WATCHDOG_FD) ? new HarakiriWatchdog(WATCHDOG_FD) : undefined,
      );
    }
    // only the global limit follows every request (setUserHarakiri() alone needs no hook)
    const harakiri = plan.harakiri.seconds > 0 ? this.harakiri : undefined;
    const recycler = Recycler.wanted(plan)
      ? new Recycler(plan, (reason) => send({ t: 'recycle', reason }))
      : undefined;
    const logBytes = ownLogBytesWriter();
    this.dispatcher = new Dispatcher({
      plan,
      apps,
      log: (line) => this.log(line),
      ...(logBytes ? { logBytes } : {}),
      ...(router ? { router } : {}),
      ...(recycler ? { afterRequest: (failed: boolean) => recycler.afterRequest(failed) } : {}),
      ...(recycler && Recycler.matchesExceptions(plan)
        ? { onException: (thrown: unknown) => recycler.exception(thrown) }
        : {}),
      ...(harakiri || stats
        ? {
            onStart: (req: UwsgiRequest, res: UwsgiResponse) => {
              harakiri?.started(req, res);
              stats?.started(req);
            },
          }
        : {}),
      ...(harakiri || stats
        ? {
            onFinish: (req: UwsgiRequest, res: UwsgiResponse, endPerf: number | undefined) => {
              harakiri?.finished(res);
              stats?.finished(req, res, endPerf);
            },
          }
        : {}),
    });
    const dispatcher = this.dispatcher;
    // always: an upgrade no app handler takes is served as a plain request on a socket that no
    // HTTP parser reads any more, so uWSGI's websocketHandshake() and the proxy offloads can take
    // it over (Node's own handling would parse the WebSocket frames as the next request)
    this.upgrades = new Upgrades({
      plan,
      apps,
      dispatcher,
      log: (line) => this.log(line),
      plain: (req, socket, context) =>
        dispatcher.handle(req, plainOnSocket(req, socket, responseClass(plan)), context),
    });
    for (const socket of plan.sockets) {
      const handle = this.handles.get(socket.index);
      if (!handle) throw new Error(`socket ${socket.index} was not passed to worker ${plan.id}`);
      await this.listen(socket, handle, plan);
    }
    send({ t: 'ready', apps: apps.length });
    for (const phase of ACCEPTING) if (!(await this.hooks(phase))) return;
  }

  /** Runs a phase of this worker's hooks (src/hooks/); false after a failure (the master destroys the instance). */
  private async hooks(phase: HookPhaseName): Promise<boolean> {
    try {
      await runHooks(this.plan?.hooks, phase, { log: (line) => this.log(`${line}\n`) });
      return true;
    } catch {
      send({ t: 'hook-failed' });
      return false;
    }
  }

  private httpServer(
    context: HttpEnvContext,
    tls: WorkerPlan['sockets'][number]['tls'],
    plan: WorkerPlan,
  ): http.Server {
    const dispatcher = this.dispatcher;
    if (!dispatcher) throw new Error('no dispatcher');
    const options = {
      IncomingMessage: UwsgiRequest,
      ServerResponse: responseClass(plan),
      // uWSGI bounds the request head by buffer-size; Node's 16 KB default is kept as the floor
      maxHeaderSize: Math.max(16384, plan.bufferSize),
      headersTimeout: Math.max(1, plan.socketTimeout) * 1000 + 1000,
    } as const;
    const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) =>
      dispatcher.handle(req as UwsgiRequest, res as UwsgiResponse, context);
    const server = (tls
      ? https.createServer(
          {
            ...options,
            cert: readFileSync(tls.cert),
            key: readFileSync(tls.key),
            ...(tls.ca ? { ca: readFileSync(tls.ca) } : {}),
            ...(tls.ciphers ? { ciphers: tls.ciphers } : {}),
          },
          onRequest,
        )
      : http.createServer(options, onRequest)) as unknown as http.Server;
    server.on('clientError', (err: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket: net.Socket) =>
      this.clientError(err, socket),
    );
    watchHttpReads(server, plan.socketTimeout, (line) => this.log(line));
    const upgrades = this.upgrades;
    if (upgrades) {
      server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) =>
        upgrades.serve(req as UwsgiRequest, socket, head, context, server),
      );
    }
    return server;
  }

  /**
   * The server of the connections the HTTP router hands over (built at the first one): served as
   * an http-socket's, SERVER_NAME the router's. Undefined before the apps are loaded.
   */
  private handedConnections(serverName: string): HandedConnections | undefined {
    if (this.handed) return this.handed;
    const plan = this.plan;
    if (!plan || !this.dispatcher) return undefined;
    const server = this.httpServer({ serverName, https: false, router: true }, undefined, plan);
    // upgrades through the router need http-websockets (which proxies): refused as the router does
    server.removeAllListeners('upgrade');
    const handed = new HandedConnections(server);
    this.handed = handed;
    const forceMs = Math.max(1000, (plan.mercySeconds ?? 60) * 1000 - 1000);
    this.listening.push({ close: (done) => handed.close(done, forceMs) });
    return handed;
  }

  /** A request the HTTP parser refused: one log line, a 4xx when the socket can still take it. */
  private clientError(err: NodeJS.ErrnoException, socket: net.Socket): void {
    if (refused.has(socket)) return;
    refused.add(socket);
    const code = err.code ?? 'HPE_UNKNOWN';
    if (CLIENT_GONE.has(code)) {
      // the client left (a reset, or a write after it closed): not a bad request, nobody to answer;
      // the request log line counts the write error
      socket.destroy();
      return;
    }
    const [status, ours] = CLIENT_ERRORS[code] ?? [400, 'ERR_HTTP_BAD_REQUEST'];
    this.log(
      `[uwsgi-ts] bad HTTP request from ${socket.remoteAddress ?? '?'}: ${err.message} (${code}) -> ${status} [${ours}]\n`,
    );
    if (socket.writable && !socket.destroyed) {
      const reason = http.STATUS_CODES[status] ?? 'Bad Request';
      socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    } else socket.destroy();
  }

  private async listen(
    socket: WorkerPlan['sockets'][number],
    handle: NativeHandle,
    plan: WorkerPlan,
  ): Promise<void> {
    const context: HttpEnvContext = {
      serverName: plan.hostname,
      https: socket.protocol === 'https',
      ...(socket.modifier1 ? { modifier1: socket.modifier1 } : {}),
    };
    let server: net.Server;
    const native = socket.protocol === 'uwsgi' && handle.fd >= 0 ? connAddon() : null;
    if (native) {
      // uwsgi (nginx's uwsgi_pass: a connection per request): accepted and answered in C
      const dispatcher = this.dispatcher;
      if (!dispatcher) throw new Error('no dispatcher');
      listenFd(handle.fd, plan.listenBacklog);
      const bridge = new NativeBridge(native, handle.fd, {
        protocol: 'uwsgi',
        plan,
        log: (line: string) => this.log(line),
        handle: (req, res) => dispatcher.handle(req, res, context),
        Response: responseClass(plan),
      });
      bridge.start();
      this.listening.push(bridge);
      return;
    }
    if (socket.protocol === 'http' || socket.protocol === 'http11' || socket.protocol === 'https') {
      server = this.httpServer(context, socket.tls, plan);
    } else {
      // uwsgi, FastCGI, SCGI: a codec per connection, each request an exchange (no http.Server)
      const dispatcher = this.dispatcher;
      if (!dispatcher) throw new Error('no dispatcher');
      server = createBridgeServer({
        protocol: socket.protocol,
        plan,
        log: (line: string) => this.log(line),
        handle: (req, res) => dispatcher.handle(req, res, context),
        Response: responseClass(plan),
      });
    }
    ownServer(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(handle as unknown as net.Server, plan.listenBacklog, () => {
        server.off('error', reject);
        resolve();
      });
    });
    // net.Server's own close: stops accepting, calls back when the last connection is gone
    this.listening.push({ close: (done) => NetServer.prototype.close.call(server, done) });
  }

  /**
   * Exits after sending the last counters: the master keeps them for the row of a worker the
   * cheaper subsystem stopped, and the requests finished since its last poll would be lost.
   */
  private exit(): void {
    const stats = this.stats;
    if (!stats || !process.send) process.exit(0);
    process.send({ t: 'stats', snapshot: stats.snapshot() } satisfies WorkerMessage, undefined, {}, () =>
      process.exit(0),
    );
    setTimeout(() => process.exit(0), 1000).unref();
  }

  /**
   * Graceful: stop accepting, finish what is in flight, close keep-alive connections after their
   * current request, exit once every connection is gone. http.Server.close() is bypassed: it
   * resets "idle" connections, which include one just accepted whose request is still on the wire.
   */
  stop(): void {
    if (this.stopping) return;
    this.stopping = true;
    if (this.dispatcher) this.dispatcher.draining = true;
    let open = this.listening.length;
    // the connections are gone: the signal handlers still running end too before the exit
    const exit = () => workerSignals.settled().then(() => this.exit());
    const closed = () => {
      if (--open === 0) exit();
    };
    if (open === 0) exit();
    const upgrades = this.upgrades;
    // a WebSocket never ends by itself: closed (1001) a second before the master's mercy ends
    const mercyMs = (this.plan?.mercySeconds ?? 60) * 1000;
    if (upgrades && upgrades.count > 0) {
      setTimeout(() => upgrades.closeAll(), Math.max(0, mercyMs - 1000)).unref();
    }
    // the same for the WebSockets of uWSGI's API (websocketHandshake())
    setTimeout(closeAllWebSockets, Math.max(0, mercyMs - 1000)).unref();
    for (const listening of this.listening) listening.close(closed);
  }
}

export function runWorker(): void {
  const worker = new Worker();
  process.on('message', (message, handle) => worker.onMessage(message, handle));
  // the master is gone: nobody will respawn or stop us
  process.on('disconnect', () => process.exit(0));
  process.on('SIGTERM', () => worker.stop());
  process.on('SIGHUP', () => {});
}

runWorker();
