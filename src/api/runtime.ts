// How the functions an app imports from 'uwsgi-ts' reach the worker that loaded the app. The
// worker puts its runtime in a globalThis slot keyed by Symbol.for(), so an app that resolved
// another copy of the package (its own node_modules, a bundle) still reaches the running worker,
// as every Python app's `import uwsgi` reaches the one embedded interpreter.

import { UwsgiError } from '../errors.js';
import type { RpcFunction } from '../rpc/registry.js';
import type { SpoolTaskFunction } from '../spooler/spool-tasks.js';

/** What the app API needs of a cache (src/cache/cache.ts `Cache`). */
export interface CacheAccess {
  get(key: string | Uint8Array): Buffer | undefined;
  set(key: string | Uint8Array, value: string | Uint8Array, expires?: number): boolean;
  update(key: string | Uint8Array, value: string | Uint8Array, expires?: number): boolean;
  del(key: string | Uint8Array): boolean;
  exists(key: string | Uint8Array): boolean;
  clear(): void;
  keys(): string[];
  inc(key: string | Uint8Array, amount?: number | bigint, expires?: number): bigint | undefined;
  dec(key: string | Uint8Array, amount?: number | bigint, expires?: number): bigint | undefined;
  mul(key: string | Uint8Array, amount?: number | bigint, expires?: number): bigint | undefined;
  div(key: string | Uint8Array, amount?: number | bigint, expires?: number): bigint | undefined;
  num(key: string | Uint8Array): bigint;
}

/** What the app API needs of a sharedarea (src/sharedarea/sharedarea.ts `Sharedarea`). */
export interface SharedareaAccess {
  readonly size: number;
  read(pos?: number, length?: number): Buffer;
  write(pos: number, data: Uint8Array | string): number;
  readInt(bits: 8 | 16 | 32 | 64, pos: number): number | bigint;
  writeInt(bits: 8 | 16 | 32 | 64, pos: number, value: number | bigint): void;
  add(bits: 8 | 16 | 32 | 64, pos: number, amount: number | bigint): number | bigint;
  updates(): number;
  readonly lock: { lock(): void; unlock(): void };
  /** Where its bytes sit in the region's memfd (src/sharedarea/sharedarea.ts `mapping`). */
  mapping?(): { readonly fd: number; readonly offset: number; readonly size: number } | undefined;
}

/** The globalThis slot; Symbol.for() gives every copy of the package the same key. */
export const RUNTIME_KEY: symbol = Symbol.for('uwsgi-ts.runtime');

/**
 * What a worker provides to the app API. Members are only ever added (cache, rpc, signals and
 * locks come next), so an app whose copy of the package is newer than the server finds a missing
 * member and gets ERR_API_UNAVAILABLE instead of a TypeError.
 */
export interface WorkerRuntime {
  /** The package version of the server that runs the worker (for error messages). */
  readonly version: string;
  workerId(): number;
  masterPid(): number;
  requestsServed(): number;
  /** `seconds` already validated; `request` as the app passed it (undefined: the latest request). */
  setUserHarakiri(seconds: number, request: unknown): void;
  /** User lock `id` (0..locks-1), shared by every process of the instance. */
  lock(id: number): void;
  unlock(id: number): void;
  /** Adds (or replaces) RPC function `name` in this worker; name and fn already type-checked. */
  registerRpc(name: string, fn: RpcFunction): void;
  /** Calls `name` in this worker (node undefined) or on `node`; args as given (text or bytes). */
  rpc(node: string | undefined, name: string, args: readonly (string | Uint8Array)[]): Promise<Buffer>;
  /** Names registered in this worker. */
  rpcList(): string[];
  /** SharedArea `id` of the instance (`sharedarea` option). */
  sharedarea(id: number): SharedareaAccess;
  /** The cache called `name` ('' = the default cache). */
  cache(name: string): CacheAccess;
  /** The value of metric `name` (name already type-checked). */
  metricGet(name: string): bigint;
  /** Applies `op` with `value` to manual metric `name`; returns the new value. */
  metricUpdate(
    name: string,
    op: 'set' | 'inc' | 'dec' | 'mul' | 'div' | 'max' | 'min',
    value: bigint,
  ): bigint;
  /** Raises alarm `name` in the master (name and message already type-checked). */
  alarm(name: string, message: string): void;
  /** uwsgi signals (src/signal/; arguments already checked): a handler for `num` in this worker. */
  registerSignal(num: number, target: string, handler: (num: number) => unknown): void;
  /** Raises `num` through the master, which routes it to its target. */
  raiseSignal(num: number): void;
  /** Whether this worker has a handler for `num`. */
  signalRegistered(num: number): boolean;
  /** A timer, rb timer, cron entry or file monitor run by the master. */
  addSignalSource(num: number, what: 'timer' | 'rbtimer' | 'cron' | 'filemon', args: object): void;
  /** The next signal routed to this worker (`num`: that one only). */
  signalWait(num: number | undefined): Promise<number>;
  /** The last signal routed to this worker, 0 before any. */
  signalReceived(): number;
  /** This mule's id (1..n); 0 in a worker. */
  muleId(): number;
  /** Sends a message (already bytes) to mule `id` (0: the next programmed mule) through the master. */
  muleMsg(data: Buffer, id: number): boolean;
  /** The next message for this mule. */
  muleGetMsg(): Promise<Buffer>;
  /** Sends a message (already bytes) to the farm `farm` through the master. */
  farmMsg(farm: string, data: Buffer): boolean;
  /** The next message of one of this mule's farms. */
  farmGetMsg(): Promise<Buffer>;
  /** Writes a spool file (vars already bytes, `body` apart); returns its path (src/spooler/). */
  spool(vars: ReadonlyMap<string, Buffer>, body: Buffer | undefined): string;
  /** Registers task `name` in this process (a spooler runs it). */
  registerSpoolTask(name: string, fn: SpoolTaskFunction): void;
  /** The function for spool files that name no registered task. */
  setSpooler(fn: SpoolTaskFunction): void;
  /**
   * uWSGI's websocket_handshake() on `request` (arguments already checked; '' = from the
   * request); `endRequest`: the request's response ends when the WebSocket closes.
   */
  websocketHandshake(
    request: unknown,
    key: string,
    origin: string,
    protocol: string,
    endRequest: boolean,
  ): RuntimeWebSocket;
  /** uWSGI's chunked_read(): the next body bytes, empty at the end (timeout in s, undefined: the default). */
  chunkedRead(request: unknown, timeout: number | undefined): Promise<Buffer>;
  /** uWSGI's chunked_read_nb(): body bytes already there, empty at the end, undefined when none yet. */
  chunkedReadNb(request: unknown): Buffer | undefined;
}

/** A WebSocket as the worker gives it to the app API (src/worker/websocket-session.ts). */
export interface RuntimeWebSocket {
  readonly binary: boolean;
  readonly closed: boolean;
  recv(): Promise<Buffer>;
  recvNb(): Buffer | undefined;
  send(data: string | Uint8Array, binary: boolean): Promise<void>;
  close(code?: number, reason?: string): void;
}

type Slot = Record<symbol, unknown>;

/** Called once by a worker before it loads its apps. */
export function installRuntime(runtime: WorkerRuntime): void {
  (globalThis as Slot)[RUNTIME_KEY] = runtime;
}

/** Test helper and shutdown path: the slot emptied again. */
export function uninstallRuntime(): void {
  delete (globalThis as Slot)[RUNTIME_KEY];
}

type Method = {
  [K in keyof WorkerRuntime]: WorkerRuntime[K] extends (...args: never[]) => unknown ? K : never;
}[keyof WorkerRuntime];

/** Calls runtime member `name`; a coded error outside a worker or when the server lacks it. */
export function callRuntime<K extends Method>(
  name: K,
  ...args: Parameters<WorkerRuntime[K]>
): ReturnType<WorkerRuntime[K]> {
  const runtime = (globalThis as Slot)[RUNTIME_KEY];
  if (typeof runtime !== 'object' || runtime === null) {
    throw new UwsgiError(
      'ERR_API_OUTSIDE_SERVER',
      `${name}() only works inside a uwsgi-ts worker (an app served by uwsgi-ts), not in this process`,
    );
  }
  const fn = (runtime as Record<string, unknown>)[name];
  if (typeof fn !== 'function') {
    const version = (runtime as { version?: unknown }).version;
    throw new UwsgiError(
      'ERR_API_UNAVAILABLE',
      `${name}() is not provided by the uwsgi-ts running this worker (version ${String(version ?? 'unknown')})`,
    );
  }
  return (fn as (...a: unknown[]) => ReturnType<WorkerRuntime[K]>).apply(runtime, args);
}
