// The worker's side of the app API (src/api/): what `import { ... } from 'uwsgi-ts'` reaches
// through the globalThis slot (src/api/runtime.ts), answered from this worker's plan, dispatcher
// and harakiri. Nothing here runs per request unless the app calls it.

import { IncomingMessage, ServerResponse } from 'node:http';
import { alarmMessage } from '../alarm/alarm-message.js';
import type { RuntimeWebSocket, WorkerRuntime } from '../api/runtime.js';
import type { Cache } from '../cache/cache.js';
import { UwsgiError } from '../errors.js';
import type { WorkerMessage } from '../ipc/messages.js';
import type { SharedLock } from '../locks/shared-lock.js';
import type { MetricOp, MetricStore } from '../metrics/metric-store.js';
import { farmInbox, muleInbox } from '../mule/mule-inbox.js';
import type { RpcFunction } from '../rpc/registry.js';
import { callRpc } from '../rpc/rpc-call.js';
import { workerRpc } from '../rpc/worker-rpc.js';
import type { SharedServices } from '../shared/shared-services.js';
import type { Sharedarea } from '../sharedarea/sharedarea.js';
import { type SignalSource, workerSignals } from '../signal/worker-signals.js';
import { type SpoolTaskFunction, spoolTasks } from '../spooler/spool-tasks.js';
import { writeSpoolTask } from '../spooler/spool-writer.js';
import { VERSION } from '../version.js';
import { chunkedRead, chunkedReadNb } from './chunked-input.js';
import type { Dispatcher } from './dispatcher.js';
import { nodeRequestOf } from './fetch-adapter.js';
import type { WorkerHarakiri } from './harakiri.js';
import type { WorkerPlan } from './plan.js';
import { countRawBytes, takeOver, whyNotRaw } from './raw-connection.js';
import type { UwsgiRequest } from './request.js';
import { handshakeHead } from './websocket-handshake.js';
import { WebSocketSession } from './websocket-session.js';

type Response = ServerResponse<UwsgiRequest>;

export interface WorkerApiParts {
  readonly plan: WorkerPlan;
  /** The shared services; undefined when the addon was not built. */
  readonly shared: SharedServices | undefined;
  /** The worker's log (registration lines); stderr when not given. */
  readonly log?: (line: string) => void;
  /** Not there yet while the apps load (import time). */
  dispatcher(): Dispatcher | undefined;
  /** The worker's harakiri, made on first use when the global `harakiri` is 0. */
  harakiri(): WorkerHarakiri;
}

/**
 * Sends a message to the master; false only without a channel. process.send() answers false also
 * when its backlog is long, yet the message is queued and sent: that false is not a loss.
 */
function toMaster(message: WorkerMessage): boolean {
  if (!process.send || !process.connected) return false;
  process.send(message);
  return true;
}

export class WorkerApi implements WorkerRuntime {
  readonly version = VERSION;

  constructor(private readonly parts: WorkerApiParts) {}

  workerId(): number {
    return this.parts.plan.id;
  }

  /** The master forks every worker, so it is the parent (also without `master`: the CLI process). */
  masterPid(): number {
    return process.ppid;
  }

  requestsServed(): number {
    return this.parts.dispatcher()?.requests ?? 0;
  }

  lock(id: number): void {
    this.userLock(id).lock();
  }

  unlock(id: number): void {
    this.userLock(id).unlock();
  }

  /** uWSGI logs every registration; apps load in each worker, so this is its lazy-apps line. */
  registerRpc(name: string, fn: RpcFunction): void {
    workerRpc.register(name, fn);
    const log = this.parts.log ?? ((line: string) => process.stderr.write(line));
    log(`registered RPC function "${name}" on worker ${this.parts.plan.id}\n`);
  }

  rpc(node: string | undefined, name: string, args: readonly (string | Uint8Array)[]): Promise<Buffer> {
    return callRpc(workerRpc, node, name, args, this.parts.plan.socketTimeout * 1000);
  }

  rpcList(): string[] {
    return workerRpc.names();
  }

  cache(name: string): Cache {
    const caches = this.services('cache').caches;
    const cache = caches.get(name);
    if (!cache) {
      throw new UwsgiError(
        'ERR_CACHE_UNKNOWN',
        caches.list.length === 0
          ? 'this instance has no cache (cache2 = name=NAME,items=N, or cache = N)'
          : `unable to find cache "${name}" (this instance has ${caches.list.map((c) => c.name).join(', ')})`,
      );
    }
    return cache;
  }

  sharedarea(id: number): Sharedarea {
    const shared = this.services('sharedarea');
    const area = shared.sharedareas[id];
    if (!area) {
      throw new UwsgiError(
        'ERR_API_BAD_ARGUMENT',
        `sharedarea ${id} does not exist: this instance has ${shared.sharedareas.length} (sharedarea = PAGES)`,
      );
    }
    return area;
  }

  metricGet(name: string): bigint {
    const value = this.metricStore().get(name);
    if (value === undefined)
      throw new UwsgiError('ERR_METRIC_UNKNOWN', `metric "${name}" does not exist (metric = ${name})`);
    return value;
  }

  metricUpdate(name: string, op: MetricOp, value: bigint): bigint {
    return this.metricStore().update(name, op, value);
  }

  /** Alarms run in the master (src/alarm/alarms.ts): the name is checked here, the rest is sent. */
  registerSignal(num: number, target: string, handler: (num: number) => unknown): void {
    workerSignals.register(num, target, handler);
  }

  raiseSignal(num: number): void {
    if (!workerSignals.raise(num))
      throw new UwsgiError('ERR_API_UNAVAILABLE', `signal(${num}): this worker has no channel to its master`);
  }

  signalRegistered(num: number): boolean {
    return workerSignals.registered(num);
  }

  addSignalSource(num: number, what: SignalSource, args: object): void {
    workerSignals.add(num, what, args);
  }

  signalWait(num: number | undefined): Promise<number> {
    return workerSignals.wait(num);
  }

  signalReceived(): number {
    return workerSignals.received();
  }

  muleId(): number {
    return this.parts.plan.mule?.id ?? 0;
  }

  muleMsg(data: Buffer, id: number): boolean {
    this.checkMuleMsgSize('muleMsg', data);
    return toMaster({ t: 'mule-msg', mule: id, data: data.toString('base64') });
  }

  farmMsg(farm: string, data: Buffer): boolean {
    this.checkMuleMsgSize('farmMsg', data);
    return toMaster({ t: 'farm-msg', farm, data: data.toString('base64') });
  }

  farmGetMsg(): Promise<Buffer> {
    if (this.parts.plan.mule === undefined) {
      throw new UwsgiError('ERR_API_UNAVAILABLE', 'farmGetMsg() works in a mule only');
    }
    // one ask, one message: the master hands the next message of this mule's farms
    process.send?.({ t: 'farm-get' });
    return farmInbox.get();
  }

  /**
   * mule-msg-size: uWSGI 2.0.21 accepts a bigger message and the mule reads it cut to the size
   * (recorded: 70,000 bytes arrive as 65,536); here it is refused, so nothing is lost silently.
   */
  private checkMuleMsgSize(what: string, data: Buffer): void {
    const limit = this.parts.plan.muleMsgSize;
    if (data.length > limit) {
      throw new UwsgiError(
        'ERR_API_BAD_ARGUMENT',
        `${what}(): a message of ${data.length} bytes is over mule-msg-size (${limit} bytes)`,
      );
    }
  }

  muleGetMsg(): Promise<Buffer> {
    if (this.parts.plan.mule === undefined) {
      throw new UwsgiError(
        'ERR_API_UNAVAILABLE',
        'muleGetMsg() works in a mule only (a worker never receives mule messages)',
      );
    }
    return muleInbox.get();
  }

  spool(vars: ReadonlyMap<string, Buffer>, body: Buffer | undefined): string {
    const targets = this.parts.plan.spoolTargets;
    if (!targets) {
      throw new UwsgiError(
        'ERR_SPOOL_UNKNOWN_SPOOLER',
        'spool(): this instance has no spooler (spooler = DIR, or spooler-external = DIR)',
      );
    }
    const written = writeSpoolTask(targets, vars, body);
    // reference §8: `[spooler] written 18 bytes to file <path>` (not with spooler-quiet)
    if (!targets.quiet) this.writeLog(`[spooler] written ${written.bytes} bytes to file ${written.path}\n`);
    return written.path;
  }

  registerSpoolTask(name: string, fn: SpoolTaskFunction): void {
    spoolTasks.register(name, fn);
  }

  setSpooler(fn: SpoolTaskFunction): void {
    spoolTasks.raw = fn;
  }

  private writeLog(line: string): void {
    (this.parts.log ?? ((l: string) => process.stderr.write(l)))(line);
  }

  alarm(name: string, message: string): void {
    const names = this.parts.plan.shared?.alarms;
    if (names !== undefined ? !names.includes(name) : this.parts.plan.shared !== undefined) {
      throw new UwsgiError(
        'ERR_ALARM_UNKNOWN',
        `alarm "${name}" does not exist${names ? ` (this instance has: ${names.join(', ')})` : ' (no alarm = NAME PLUGIN:ARGS configured)'}`,
      );
    }
    if (!process.send) {
      throw new UwsgiError('ERR_API_UNAVAILABLE', 'alarm(): this worker has no channel to its master');
    }
    process.send(alarmMessage(name, message));
  }

  private metricStore(): MetricStore {
    const store = this.services('metrics').metrics;
    if (!store) {
      throw new UwsgiError(
        'ERR_API_UNAVAILABLE',
        'metrics are off in this instance: turn them on with enable-metrics (or declare one: metric = NAME)',
      );
    }
    return store;
  }

  /** The services, or a clear error when there is no shared memory. */
  private services(what: string): SharedServices {
    const shared = this.parts.shared;
    if (!shared) {
      throw new UwsgiError(
        'ERR_API_UNAVAILABLE',
        `${what}: this instance has no shared memory (the addon was not built: see the master's startup warning)`,
      );
    }
    return shared;
  }

  private userLock(id: number): SharedLock {
    const lock = this.services('lock').locks[id];
    if (!lock) {
      throw new UwsgiError(
        'ERR_API_BAD_ARGUMENT',
        `lock ${id} does not exist: this instance has ${this.parts.shared?.locks.length ?? 0} user lock(s) (locks = N)`,
      );
    }
    return lock;
  }

  setUserHarakiri(seconds: number, request: unknown): void {
    const res = request === undefined ? this.latest(seconds) : this.responseOf(request);
    if (res) this.parts.harakiri().setUser(res, seconds);
  }

  /**
   * uWSGI's websocket_handshake(): the 101 written on the request's own connection, which
   * becomes a WebSocket (src/worker/raw-connection.ts, websocket-session.ts). Without a key,
   * origin or protocol, the request's Sec-WebSocket-Key, Origin and first Sec-WebSocket-Protocol.
   */
  websocketHandshake(
    request: unknown,
    key: string,
    origin: string,
    protocol: string,
    endRequest: boolean,
  ): RuntimeWebSocket {
    const res = this.requestResponse(request, 'websocketHandshake');
    const req = res.req;
    const header = (name: string) => {
      const v = req.headers[name];
      return (Array.isArray(v) ? v[0] : v) ?? '';
    };
    const wsKey = key || header('sec-websocket-key');
    const why = wsKey === '' ? 'the request has no Sec-WebSocket-Key' : whyNotRaw(req, res);
    if (why !== undefined) {
      throw new UwsgiError('ERR_WEBSOCKET_HANDSHAKE', `unable to complete websocket handshake: ${why}`);
    }
    // the first protocol offered: echoing the whole list (as uWSGI does) fails strict clients
    const proto = protocol || (header('sec-websocket-protocol').split(',')[0] ?? '').trim();
    const head = handshakeHead(wsKey, origin || header('origin'), proto);
    const raw = takeOver(req, res, head, 101);
    if (raw === undefined) {
      throw new UwsgiError(
        'ERR_WEBSOCKET_HANDSHAKE',
        'unable to complete websocket handshake: the connection is gone',
      );
    }
    return new WebSocketSession(
      raw.socket,
      raw.head,
      this.parts.plan.websockets,
      (bytes) => countRawBytes(res, bytes),
      () => {
        if (endRequest && !res.writableEnded) res.end();
      },
    );
  }

  chunkedRead(request: unknown, timeout: number | undefined): Promise<Buffer> {
    const { limit, timeoutMs } = this.parts.plan.chunkedInput;
    const req = this.requestResponse(request, 'chunkedRead').req;
    return chunkedRead(req, limit, timeout === undefined ? timeoutMs : timeout * 1000);
  }

  chunkedReadNb(request: unknown): Buffer | undefined {
    return chunkedReadNb(
      this.requestResponse(request, 'chunkedReadNb').req,
      this.parts.plan.chunkedInput.limit,
    );
  }

  /** The response of a request the app passed, for the per-request API functions. */
  private requestResponse(request: unknown, what: string): Response {
    const res = request === undefined ? this.parts.dispatcher()?.latest : this.responseOf(request, what);
    if (res === undefined) {
      throw new UwsgiError(
        'ERR_API_NO_REQUEST',
        `${what}(): ${request === undefined ? 'no request has started yet' : 'that request has already been answered'}`,
      );
    }
    return res;
  }

  /** The request that started last (exact when the worker serves one at a time). */
  private latest(seconds: number): Response | undefined {
    const latest = this.parts.dispatcher()?.latest;
    if (latest === undefined && seconds > 0) {
      throw new UwsgiError(
        'ERR_API_NO_REQUEST',
        `setUserHarakiri(${seconds}): no request has started in worker ${this.parts.plan.id} yet (called at import time?)`,
      );
    }
    return latest;
  }

  /**
   * The response of what the app passed: the Node `res`, the Node `req`, or the fetch `Request`
   * it was given. undefined when that request has already been answered (nothing left to limit).
   */
  private responseOf(request: unknown, what = 'setUserHarakiri'): Response | undefined {
    if (request instanceof ServerResponse) return request as Response;
    const req = request instanceof IncomingMessage ? request : nodeRequestOf(request);
    if (req === undefined) {
      throw new UwsgiError(
        'ERR_API_BAD_ARGUMENT',
        `${what}(): the request must be the req, res or Request this worker gave the app`,
      );
    }
    const latest = this.parts.dispatcher()?.latest;
    if (latest?.req === req) return latest;
    // Node keeps the response being written on its socket (the request's own one unless the
    // client pipelines); it is detached once the response is done
    const current = (req.socket as { _httpMessage?: unknown } | null)?._httpMessage;
    return current instanceof ServerResponse && current.req === req ? (current as Response) : undefined;
  }
}
