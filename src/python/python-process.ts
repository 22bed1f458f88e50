// One Python process serving one WSGI app for its JS worker, one request at a time: the request
// vars and body go out on fd 3 as frames, the head, body and end come back (python-frames.ts);
// fd 4 carries the app's `uwsgi` module calls (python-api.ts). The process is spawned when the
// worker loads the app and again whenever it dies.

import { type ChildProcess, spawn } from 'node:child_process';
import type { Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UwsgiError } from '../errors.js';
import { decodePath } from '../worker/cgi-env.js';
import { isTakenOver } from '../worker/raw-connection.js';
import type { UwsgiRequest, UwsgiResponse } from '../worker/request.js';
import { type ApiCaller, answerCall, answerWait, type PoolCalls } from './python-api.js';
import { pythonCacheMap, pythonStdio } from './python-cache-map.js';
import { PythonEvents } from './python-events.js';
import {
  decodeHead,
  decodeList,
  encodeFrame,
  encodeList,
  encodeRequestFrame,
  Frame,
  FrameReader,
  frameHeader,
} from './python-frames.js';
import type { PythonPlan } from './python-plan.js';

/** The runtime's entry script (python/ is shipped beside dist/, package.json "files"). */
export const PYTHON_ENTRY = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'python',
  'uwsgi_ts_worker.py',
);

export interface PythonAppConfig {
  readonly kind: 'file' | 'module';
  readonly target: string;
  readonly callable: string | undefined;
  readonly mountpoint: string;
}

export interface ProcessContext {
  readonly plan: PythonPlan;
  readonly app: PythonAppConfig;
  readonly workerId: number;
  readonly masterPid: number;
  readonly node: string;
  readonly log: (line: string) => void;
  readonly api: ApiCaller;
  /** The app's first process in this worker (py-autoreload runs there). */
  readonly first: boolean;
}

const END_FRAME = encodeFrame(Frame.BodyEnd);

function badGateway(res: UwsgiResponse): void {
  if (res.destroyed || res.writableEnded) return;
  if (res.headersSent) res.destroy();
  else {
    res.statusCode = 502;
    res.setHeader('content-type', 'text/plain');
    res.end('Bad Gateway\n');
  }
}

/** Whether a request has a body to stream (a bridged request always carries content-length). */
function hasBody(req: UwsgiRequest): boolean {
  const length = req.headers['content-length'];
  if (length !== undefined) return length !== '0';
  return req.headers['transfer-encoding'] !== undefined;
}

/**
 * The percent-decoded bytes of a request path as a latin-1 string, when the path has escapes of
 * non-ASCII bytes and `decoded` is what the UTF-8 decoding made of it (routing left it alone).
 */
export function rawPathInfo(url: string, mount: string, decoded: string | undefined): string | undefined {
  // the dispatcher cut the mountpoint off req.url
  const q = url.indexOf('?');
  const path = mount + (q < 0 ? url : url.slice(0, q));
  if (!/%[89a-fA-F][0-9a-fA-F]/.test(path) || decoded === undefined) return undefined;
  if (decodePath(path) !== decoded) return undefined;
  return path.replace(/%([0-9a-fA-F]{2})/g, (_, hex: string) =>
    String.fromCharCode(Number.parseInt(hex, 16)),
  );
}

/** Requests a process may hold at once: the one it runs and the ones waiting behind it. */
export const PIPELINE_DEPTH = 8;

export interface Exchange {
  readonly req: UwsgiRequest;
  readonly res: UwsgiResponse;
  /** Every body frame and the end mark are written: a request may be pipelined behind it. */
  bodySent: boolean;
  /** The response was ended by someone else (harakiri) or the process is gone: output dropped. */
  abandoned: boolean;
}

export class PythonProcess {
  readonly child: ChildProcess;
  /** Resolves when the app is loaded; rejects with the load traceback. */
  readonly loaded: Promise<void>;
  /**
   * Requests sent and not finished, oldest first: the first is the one the app runs, the others
   * wait in the socket (pipelined, so that the process never waits for the worker between two
   * requests: bench/RESULTS.md "Python hello").
   */
  readonly inflight: Exchange[] = [];
  exited = false;
  /** fd 6: signals for the app's handlers and the calls that wait (python-events.ts). */
  readonly events: PythonEvents;
  private readonly channel: Socket;
  private readonly apiChannel: Socket;
  /** fd 5: RPC calls into the process's RPC thread (uwsgi.register_rpc), answered in order. */
  private readonly rpcChannel: Socket;
  private readonly rpcWaiting: Array<{ resolve: (b: Buffer) => void; reject: (e: Error) => void }> = [];
  private readonly reader: FrameReader;
  private loadedOk = false;
  private settleLoad: ((err: Error | undefined) => void) | undefined;

  constructor(
    private readonly ctx: ProcessContext,
    readonly pool: PoolCalls,
    /** Called when the process can take more (a request done, a body sent): the pool hands out more. */
    private readonly onIdle: (proc: PythonProcess) => void,
    /** `waiting`: pipelined body-less requests the app never started, for another process. */
    private readonly onExit: (proc: PythonProcess, wasLoaded: boolean, waiting: Exchange[]) => void,
  ) {
    const { plan, app } = ctx;
    const conf = {
      kind: app.kind,
      target: app.target,
      callable: app.callable,
      pythonpath: plan.pythonpath,
      imports: plan.imports,
      pyargv: plan.pyargv,
      disableFileWrapper: plan.disableFileWrapper,
      opt: plan.opt,
      numproc: plan.numproc,
      bufferSize: plan.bufferSize,
      programName: plan.programName,
      version: '2.0.21',
      node: ctx.node,
      workerId: ctx.workerId,
      masterPid: ctx.masterPid,
      cores: plan.slots,
      // one watcher per instance: the first process of worker 1 (any change reloads them all)
      autoreload: ctx.workerId === 1 && ctx.first ? plan.autoreload : 0,
      autoreloadIgnore: plan.autoreloadIgnore,
      startedOn: Math.floor(Date.now() / 1000),
      // the caches read in place (python-cache-map.ts); absent: every call is a round trip
      cacheMap: pythonCacheMap(),
    };
    this.child = spawn(plan.executable, [PYTHON_ENTRY], {
      stdio: pythonStdio(),
      env: { ...process.env, UWSGI_TS_PYTHON: JSON.stringify(conf), PYTHONUNBUFFERED: '1' },
    });
    this.channel = this.child.stdio[3] as Socket;
    this.apiChannel = this.child.stdio[4] as Socket;
    this.rpcChannel = (this.child.stdio as unknown as Socket[])[5] as Socket;
    this.rpcChannel.on('error', () => {});
    this.events = new PythonEvents((this.child.stdio as unknown as Socket[])[6] as Socket, answerWait);
    const rpcReader = new FrameReader((_kind, payload) => {
      const waiter = this.rpcWaiting.shift();
      if (!waiter) return;
      if (payload[0] === 0x42) waiter.resolve(Buffer.from(payload.subarray(1)));
      else waiter.reject(new Error(payload.subarray(1).toString('utf8')));
    });
    this.rpcChannel.on('data', (chunk: Buffer) => rpcReader.push(chunk));
    this.reader = new FrameReader((kind, payload) => this.onFrame(kind, payload));
    this.loaded = new Promise<void>((resolve, reject) => {
      this.settleLoad = (err) => (err ? reject(err) : resolve());
    });
    this.channel.on('data', (chunk: Buffer) => {
      this.reader.push(chunk);
      // what the app sent so far goes out now (a streamed response is not held back)
      const held = this.held;
      if (held !== undefined) {
        this.held = undefined;
        const current = this.inflight[0];
        if (current && !current.abandoned && !current.res.destroyed) this.write(current.res, held);
      }
    });
    this.channel.on('error', () => {});
    this.apiChannel.on('error', () => {});
    const apiReader = new FrameReader((kind, payload) => this.onApiFrame(kind, payload));
    this.apiChannel.on('data', (chunk: Buffer) => apiReader.push(chunk));
    this.child.on('error', (err) => {
      this.settleLoad?.(
        new UwsgiError('ERR_APP_LOAD', `unable to run ${plan.executable}: ${err.message}`, { cause: err }),
      );
      this.settleLoad = undefined;
    });
    this.child.on('exit', (code, signal) => this.exit(code, signal));
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  /** Requests it holds (the signal pool prefers an idle process). */
  get busy(): number {
    return this.inflight.length;
  }

  /** The response of the request the app runs now (uwsgi.set_user_harakiri). */
  get res(): UwsgiResponse | undefined {
    return this.inflight[0]?.res;
  }

  /** Whether one more request may be sent now. */
  canTake(): boolean {
    const n = this.inflight.length;
    return (
      !this.exited &&
      this.loadedOk &&
      n < PIPELINE_DEPTH &&
      (n === 0 || (this.inflight[n - 1] as Exchange).bodySent)
    );
  }

  /** Sends one request; the body streams as the client sends it. */
  serve(req: UwsgiRequest, res: UwsgiResponse, vars: ReadonlyMap<string, string>): void {
    const body = hasBody(req);
    const exchange: Exchange = { req, res, bodySent: !body, abandoned: false };
    this.inflight.push(exchange);
    const mount = req.mountpoint;
    let scriptName: string | undefined;
    let pathInfo: string | undefined;
    // over HTTP, PATH_INFO was decoded as UTF-8 text; WSGI wants the bytes seen through latin-1
    const raw =
      req.bridgedHead === undefined
        ? rawPathInfo(req.url ?? '/', req.mountpoint, vars.get('PATH_INFO'))
        : undefined;
    if (mount !== '' || raw !== undefined) {
      // a mounted app sees its mountpoint as SCRIPT_NAME and the rest as PATH_INFO
      scriptName = mount !== '' ? mount : (vars.get('SCRIPT_NAME') ?? '');
      const path = raw ?? vars.get('PATH_INFO') ?? '';
      pathInfo = mount !== '' && path.startsWith(mount) ? path.slice(mount.length) : path;
    }
    // a response ended while the app still works on it is harakiri's 504: the process is killed,
    // as uWSGI kills a worker stuck past harakiri (a client that went away lets the app finish)
    res.once('close', () => {
      if (!res.writableEnded || !this.inflight.includes(exchange)) return;
      exchange.abandoned = true;
      if (this.inflight[0] !== exchange) return;
      this.ctx.log(
        `[uwsgi-ts] killing the Python process (pid: ${this.pid}) of app ${this.ctx.app.target}: its request ${req.method} ${req.url} was ended while the app ran\n`,
      );
      this.kill();
    });
    const channel = this.channel;
    if (!this.corked) {
      // the requests of one event-loop turn reach the process in one write (one wake-up)
      this.corked = true;
      channel.cork();
      setImmediate(this.uncork);
    }
    channel.write(encodeRequestFrame(vars, body, scriptName, pathInfo));
    if (!body) return;
    const ended = () => {
      if (exchange.bodySent) return;
      exchange.bodySent = true;
      if (!this.exited) {
        channel.write(END_FRAME);
        this.onIdle(this);
      }
    };
    req.on('data', (chunk: Buffer) => {
      if (this.exited || exchange.bodySent) return;
      channel.write(frameHeader(Frame.Body, chunk.length));
      if (!channel.write(chunk)) {
        req.pause();
        channel.once('drain', () => req.resume());
      }
    });
    req.on('end', ended);
    // the client went away mid-body: the app sees the body end there
    req.on('error', ended);
  }

  /** Calls RPC function `name` in this process's RPC thread. */
  callRpc(name: string, args: readonly Buffer[]): Promise<Buffer> {
    if (this.exited) return Promise.reject(new Error(`the Python process of RPC function ${name} is gone`));
    return new Promise((resolve, reject) => {
      this.rpcWaiting.push({ resolve, reject });
      this.rpcChannel.write(encodeFrame(Frame.Call, encodeList([Buffer.from(name, 'utf8'), ...args])));
    });
  }

  /** Stops the process (the worker is stopping); it dies with the worker anyway (PDEATHSIG). */
  kill(): void {
    if (!this.exited) this.child.kill('SIGKILL');
  }

  private onFrame(kind: number, payload: Buffer): void {
    const current = this.inflight[0];
    const res = current === undefined || current.abandoned ? undefined : current.res;
    switch (kind) {
      case Frame.Head: {
        // a request that became a WebSocket (uwsgi.websocket_handshake) has no HTTP answer left
        if (!res || res.destroyed || isTakenOver(res)) return;
        const head = decodeHead(payload);
        res.writeHead(head.status, head.reason, head.headers);
        return;
      }
      case Frame.Data:
        if (!res || res.destroyed || isTakenOver(res)) return;
        // held until the next frame: a body chunk followed by the end goes out with res.end(),
        // one write for head and body (a hello costs one syscall, not two)
        if (this.held !== undefined) this.write(res, this.held);
        this.held = payload;
        return;
      case Frame.Finished: {
        const held = this.held;
        this.held = undefined;
        if (res && !res.destroyed) {
          if (held !== undefined) res.end(held);
          else res.end();
        }
        this.done();
        return;
      }
      case Frame.Failed:
        this.failed(payload.toString('utf8'));
        return;
      case Frame.Loaded:
        this.loadedOk = true;
        this.settleLoad?.(undefined);
        this.settleLoad = undefined;
        return;
    }
  }

  private failed(traceback: string): void {
    if (!this.loadedOk) {
      this.ctx.log(traceback.endsWith('\n') ? traceback : `${traceback}\n`);
      this.settleLoad?.(
        new UwsgiError('ERR_APP_LOAD', `the Python app ${this.ctx.app.target} raised while loading`),
      );
      this.settleLoad = undefined;
      return;
    }
    const current = this.inflight[0];
    const req = current?.req;
    const res = current === undefined || current.abandoned ? undefined : current.res;
    // what the app sent before it raised goes out first (then the connection is cut)
    const held = this.held;
    this.held = undefined;
    if (held !== undefined && res && !res.destroyed) res.write(held);
    this.ctx.log(
      `[uwsgi-ts] exception in Python app ${this.ctx.app.target} (pid: ${this.pid}) while serving ${req?.method} ${req?.url}:\n${traceback}${traceback.endsWith('\n') ? '' : '\n'}`,
    );
    if (req) req.failed = true;
    if (res && !res.destroyed) {
      if (res.headersSent) res.destroy();
      else {
        res.statusCode = 500;
        res.setHeader('content-type', 'text/plain');
        res.end('Internal Server Error\n');
      }
    }
    this.done();
  }

  private corked = false;
  private readonly uncork = (): void => {
    this.corked = false;
    this.channel.uncork();
  };

  /** A body chunk of the current response, held until the next frame (see Frame.Data). */
  private held: Buffer | undefined = undefined;

  private write(res: UwsgiResponse, chunk: Buffer): void {
    if (!res.write(chunk)) {
      // the client reads slower than the app writes: the app waits (its socket fills)
      this.channel.pause();
      res.once('drain', this.resume);
      res.once('close', this.resume);
    }
  }

  /** Reading the app's output again (the client drained, or went away). */
  private readonly resume = (): void => {
    this.channel.resume();
  };

  private done(): void {
    // a response ended before its drain event: the channel must not stay paused
    if (this.channel.isPaused()) this.channel.resume();
    this.inflight.shift();
    this.onIdle(this);
  }

  private onApiFrame(kind: number, payload: Buffer): void {
    if (kind === Frame.Log) {
      const text = payload.toString('utf8');
      this.ctx.log(text.endsWith('\n') ? text : `${text}\n`);
      return;
    }
    if (kind !== Frame.Call) return;
    const items = decodeList(payload);
    const answer = answerCall(this.ctx.api, this, items);
    if (answer instanceof Promise) {
      answer.then((bytes) => this.apiChannel.write(encodeFrame(Frame.Answer, bytes)));
    } else {
      this.apiChannel.write(encodeFrame(Frame.Answer, answer));
    }
  }

  private exit(code: number | null, signal: NodeJS.Signals | null): void {
    this.exited = true;
    this.events.close();
    for (const waiter of this.rpcWaiting.splice(0))
      waiter.reject(new Error('the Python process died during the RPC call'));
    const how = signal ? `killed by signal ${signal}` : `exited with code ${code}`;
    if (this.settleLoad) {
      this.settleLoad(
        new UwsgiError('ERR_APP_LOAD', `the Python process for ${this.ctx.app.target} ${how} while loading`),
      );
      this.settleLoad = undefined;
    }
    this.held = undefined;
    const [current, ...rest] = this.inflight.splice(0);
    if (current && !current.abandoned) {
      const { req, res } = current;
      this.ctx.log(
        `[uwsgi-ts] the Python process (pid: ${this.pid}) of app ${this.ctx.app.target} ${how} while serving ${req.method} ${req.url}\n`,
      );
      req.failed = true;
      badGateway(res);
    }
    // the requests waiting behind it were never started: a body-less one goes to another process
    const waiting: Exchange[] = [];
    for (const exchange of rest) {
      if (exchange.abandoned) continue;
      if (!hasBody(exchange.req)) waiting.push(exchange);
      else badGateway(exchange.res);
    }
    this.onExit(this, this.loadedOk, waiting);
  }
}
