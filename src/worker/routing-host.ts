// The worker's RoutingHost (src/routing/host.ts): what the rules engine may ask of the world, from
// one worker. File facts come from fs.promises (a rule that stats a file suspends its chain, the
// loop goes on), RPC from this worker's registry (src/rpc/), metrics from the instance's store
// (src/metrics/routing-metrics.ts), caches from the shared region (src/cache/). A subsystem the
// plan does not grant (no cache defined, metrics off) makes its rules a start-up error
// (ERR_ROUTE_SUBSYSTEM_MISSING), so its methods here are never reached without it.

import { randomUUID } from 'node:crypto';
import { constants } from 'node:fs';
import { access, lstat, readFile, stat } from 'node:fs/promises';
import type { Caches } from '../cache/caches.js';
import { UwsgiError } from '../errors.js';
import type { RoutingMetrics } from '../metrics/routing-metrics.js';
import type {
  CacheAnswer,
  CacheRequest,
  FileFacts,
  MetricRequest,
  RoutingHost,
  RpcRequest,
} from '../routing/host.js';
import { RoutingProgram } from '../routing/program.js';
import type { RoutingPlan } from '../routing/routing-plan.js';
import { routingRpc } from '../rpc/rpc-call.js';
import { workerRpc } from '../rpc/worker-rpc.js';

/**
 * The plan's rules as a program, with the subsystems the plan grants them: the master calls it to
 * refuse a bad rule before any worker starts, each worker to run them.
 * @example compileRouting(plan.routing) // throws ERR_ROUTE_* naming the option and its origin
 */
export function compileRouting(plan: Pick<RoutingPlan, 'rules' | 'capabilities'>): RoutingProgram {
  return RoutingProgram.compile(plan.rules, { capabilities: new Set(plan.capabilities) });
}

function facts(s: import('node:fs').Stats): FileFacts {
  return {
    isFile: s.isFile(),
    isDirectory: s.isDirectory(),
    isSymbolicLink: s.isSymbolicLink(),
    mtimeMs: s.mtimeMs,
    size: s.size,
  };
}

const missing = (what: string) =>
  new UwsgiError(
    'ERR_ROUTE_SUBSYSTEM_MISSING',
    `${what} is not available in this uwsgi-ts worker (the rule should have been refused at start-up)`,
  );

export interface WorkerRoutingHostOptions {
  readonly workerId: number;
  /** The mime dictionary (the static file server's); undefined when uWSGI would have none. */
  readonly mime: (path: string) => string | undefined;
  /** socket-timeout, for RPC calls to other nodes. */
  readonly rpcTimeoutMs: number;
  readonly log: (line: string) => void;
  /** The instance's metrics; absent when they are off. */
  readonly metrics: RoutingMetrics | undefined;
  /** The instance's caches; absent without shared memory. */
  readonly caches: Caches | undefined;
}

export class WorkerRoutingHost implements RoutingHost {
  readonly workerId: number;
  readonly pid = process.pid;
  private readonly mime: (path: string) => string | undefined;
  private readonly rpcTimeoutMs: number;
  private readonly log: (line: string) => void;
  private readonly metrics: RoutingMetrics | undefined;
  private readonly caches: Caches | undefined;

  constructor(options: WorkerRoutingHostOptions) {
    this.workerId = options.workerId;
    this.mime = options.mime;
    this.rpcTimeoutMs = options.rpcTimeoutMs;
    this.log = options.log;
    this.metrics = options.metrics;
    this.caches = options.caches;
  }

  nowMicros(): number {
    return Math.floor((performance.timeOrigin + performance.now()) * 1000);
  }

  uuid(): string {
    return randomUUID();
  }

  /** A worker does not see the socket's backlog (the master does: stats). */
  listenQueue(): number {
    return 0;
  }

  mimeType(path: string): string | undefined {
    return this.mime(path);
  }

  /** ${metric[NAME]}; undefined without metrics or for an unknown name. */
  metricValue(name: string): string | undefined {
    return this.metrics?.metricValue(name);
  }

  /** No Legion subsystem: this instance is never a lord (as 2.0.21 without `legion`: recorded). */
  isLord(): boolean {
    return false;
  }

  async stat(path: string, follow: boolean): Promise<FileFacts | undefined> {
    try {
      return facts(follow ? await stat(path) : await lstat(path));
    } catch {
      return undefined;
    }
  }

  async isExecutable(path: string): Promise<boolean> {
    try {
      await access(path, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  }

  async readText(path: string): Promise<string | undefined> {
    try {
      return await readFile(path, 'utf8');
    } catch {
      return undefined;
    }
  }

  /** The whole worker changes directory, as uWSGI's worker process does. */
  chdir(dir: string): boolean {
    try {
      process.chdir(dir);
      return true;
    } catch (err) {
      this.log(`[uwsgi-route] chdir(${dir}): ${err instanceof Error ? err.message : String(err)}\n`);
      return false;
    }
  }

  /**
   * router_cache on the named cache ('' or none: the default one). An unknown cache is a miss
   * (a value) or a failure (an update), as 2.0.21 answers a rule naming a cache it lacks.
   */
  cache(request: CacheRequest): CacheAnswer {
    if (this.caches === undefined) throw missing('the cache subsystem (no shared memory)');
    const cache = this.caches.get(request.cache ?? '');
    if (cache === undefined) return request.op === 'get' ? undefined : false;
    switch (request.op) {
      // with the expiry: a hit of an item stored with expires= is sent with an Expires header
      case 'get':
        return cache.getEntry(request.key);
      case 'exists':
        return cache.exists(request.key);
      // cacheset/cachestore replace what is there (router_cache stores with the update flag)
      case 'set':
        return cache.update(request.key, request.value, request.expires);
      default:
        return cache.math(request.key, request.op, request.by, request.expires) !== undefined;
    }
  }

  metric(request: MetricRequest): void | Promise<void> {
    if (this.metrics === undefined) throw missing('the metrics subsystem');
    return this.metrics.metric(request);
  }

  rpc(request: RpcRequest): Promise<Uint8Array | undefined> {
    return routingRpc(workerRpc, request, this.rpcTimeoutMs, this.log);
  }
}
