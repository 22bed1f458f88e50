// What the routing engine asks of the world (STYLE.md rule 7): the worker builds one RoutingHost
// at start and hands it to every run. Facts are synchronous; the I/O methods may answer now or
// with a Promise (a run then finishes asynchronously). The engine itself never touches a file, a
// socket, a timer or a clock: this interface is its whole world, and tests give it a fake.

/** What a stat(2) or lstat(2) tells the conditions and actions. */
export interface FileFacts {
  readonly isFile: boolean;
  readonly isDirectory: boolean;
  readonly isSymbolicLink: boolean;
  readonly mtimeMs: number;
  readonly size: number;
}

export type MaybeAsync<T> = T | Promise<T>;

/** A cache operation of the router_cache actions and the `incache` condition (reference §7). */
export type CacheRequest =
  | { readonly op: 'get'; readonly cache: string | undefined; readonly key: string }
  | { readonly op: 'exists'; readonly cache: string | undefined; readonly key: string }
  | {
      readonly op: 'set';
      readonly cache: string | undefined;
      readonly key: string;
      readonly value: Uint8Array;
      readonly expires: number;
    }
  | {
      readonly op: 'inc' | 'dec' | 'mul' | 'div';
      readonly cache: string | undefined;
      readonly key: string;
      readonly by: number;
      readonly expires: number;
    };

/** A `get` hit with the item's absolute expiry (epoch seconds, 0 = none): the `cache` action sends it as Expires. */
export interface CacheHit {
  readonly value: Uint8Array;
  readonly expires: number;
}

/**
 * The answer to a CacheRequest: for `get` the value, or the value with its expiry (undefined on a
 * miss); a boolean otherwise.
 */
export type CacheAnswer = Uint8Array | CacheHit | boolean | undefined;

/** A metric update of the router_metrics actions (reference §2.12 metrics). */
export interface MetricRequest {
  readonly op: 'inc' | 'dec' | 'mul' | 'div' | 'set';
  readonly name: string;
  readonly value: number;
}

/** An RPC call of the rpc actions: `func` on `node` (undefined = this instance). */
export interface RpcRequest {
  readonly func: string;
  readonly node: string | undefined;
  readonly args: readonly string[];
}

export interface RoutingHost {
  /** ${uwsgi[wid]} */
  readonly workerId: number;
  /** ${uwsgi[pid]} */
  readonly pid: number;
  /** Wall clock in µs (${time[..]}, ${httptime[..]}, ${uwsgi[rtime]}). */
  nowMicros(): number;
  /** ${uwsgi[uuid]}: a random UUID. */
  uuid(): string;
  /** ${uwsgi[lq]}: the listen queue length. */
  listenQueue(): number;
  /** The mime type for a path's extension; undefined when unknown or when no mime dictionary was built. */
  mimeType(path: string): string | undefined;
  /** ${metric[name]}; undefined when there is no such metric. */
  metricValue(name: string): string | undefined;
  /** The `lord` condition: this instance is the lord of the legion. */
  isLord(legion: string): boolean;

  /** stat(2) (follow = true) or lstat(2); undefined when the path does not exist. */
  stat(path: string, follow: boolean): MaybeAsync<FileFacts | undefined>;
  /** access(path, X_OK) */
  isExecutable(path: string): MaybeAsync<boolean>;
  /** A small text file (an htpasswd file); undefined when it cannot be read. */
  readText(path: string): MaybeAsync<string | undefined>;
  /** chdir(2) for the `chdir` action; false when it failed. */
  chdir(dir: string): MaybeAsync<boolean>;
  /** The cache subsystem; only called when the program was compiled with `cache` available. */
  cache(request: CacheRequest): MaybeAsync<CacheAnswer>;
  /** The metrics subsystem: applied at once, so a later ${metric[..]} of the same chain sees it. */
  metric(request: MetricRequest): MaybeAsync<void>;
  /** The RPC subsystem; undefined when the function does not exist (or failed). */
  rpc(request: RpcRequest): MaybeAsync<Uint8Array | undefined>;
}
