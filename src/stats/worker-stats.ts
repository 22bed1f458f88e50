// What a worker counts for the stats document (reference §5 worker/app/core objects). Updated at
// the end of each request when the stats server is on; sent to the master when it asks.

import type { UwsgiRequest, UwsgiResponse } from '../worker/request.js';

export interface WorkerSnapshot {
  readonly requests: number;
  readonly exceptions: number;
  /** µs, all requests together. */
  readonly runningTime: number;
  /** µs, uWSGI's running average (avg + rt) / 2. */
  readonly avgRt: number;
  readonly tx: number;
  readonly busy: boolean;
  /** µs of wall time with at least one request in flight, the current stretch included (cheaper busyness). */
  readonly busyUs: number;
  readonly apps: ReadonlyArray<{
    readonly id: number;
    readonly mountpoint: string;
    readonly requests: number;
    readonly exceptions: number;
  }>;
  /** The request in flight the longest: its vars and start, for the core object. */
  readonly current: { readonly vars: readonly string[]; readonly start: number } | undefined;
  /**
   * One row per core (threads x async, as uWSGI lists a worker's cores): the requests each served
   * and the one it serves now. A request takes the lowest free core as it starts; past the last
   * one (no `threads` bound: Node serves more at once) it shares the last core.
   */
  readonly cores?: ReadonlyArray<{
    readonly requests: number;
    readonly current: { readonly vars: readonly string[]; readonly start: number } | undefined;
  }>;
}

interface Core {
  requests: number;
  current: UwsgiRequest | undefined;
}

function requestInfo(req: UwsgiRequest): { vars: string[]; start: number } {
  return { vars: [...[...req.vars].map(([k, v]) => `${k}=${v}`), ''], start: Math.floor(req.startMs / 1000) };
}

export class WorkerStats {
  private requests = 0;
  private exceptions = 0;
  private runningTime = 0;
  private avgRt = 0;
  private tx = 0;
  private readonly apps: Array<{ id: number; mountpoint: string; requests: number; exceptions: number }>;
  private readonly inFlight = new Set<UwsgiRequest>();
  private busyUs = 0;
  private busySince = 0;

  private readonly cores: Core[];
  private readonly coreOf = new Map<UwsgiRequest, Core>();

  /** `cores`: threads x async of the worker (1 without them). */
  constructor(mountpoints: readonly string[], cores = 1) {
    this.apps = mountpoints.map((mountpoint, id) => ({ id, mountpoint, requests: 0, exceptions: 0 }));
    this.cores = Array.from({ length: Math.max(1, cores) }, () => ({ requests: 0, current: undefined }));
  }

  /** Called as the dispatcher starts tracking `req` (its startPerf is set: no clock read here). */
  started(req: UwsgiRequest): void {
    if (this.inFlight.size === 0) this.busySince = req.startPerf;
    this.inFlight.add(req);
    const cores = this.cores;
    const core = cores.find((c) => c.current === undefined) ?? (cores[cores.length - 1] as Core);
    if (core.current === undefined) core.current = req;
    this.coreOf.set(req, core);
  }

  /** `now` is performance.now() at the end (the dispatcher reads the clock once for all). */
  finished(req: UwsgiRequest, res: UwsgiResponse, now = performance.now()): void {
    if (this.inFlight.delete(req) && this.inFlight.size === 0)
      this.busyUs += Math.round((now - this.busySince) * 1000);
    const core = this.coreOf.get(req);
    if (core) {
      this.coreOf.delete(req);
      core.requests++;
      if (core.current === req) core.current = undefined;
    }
    const rt = Math.round((now - req.startPerf) * 1000);
    this.requests++;
    this.runningTime += rt;
    this.avgRt = this.requests === 1 ? rt : Math.round((this.avgRt + rt) / 2);
    const header = (res as unknown as { _header?: string | null })._header ?? '';
    this.tx += header.length + (res.bodyBytes ?? 0);
    const app = this.apps[req.appId];
    if (app) app.requests++;
    if (req.failed) {
      this.exceptions++;
      if (app) app.exceptions++;
    }
  }

  snapshot(): WorkerSnapshot {
    const oldest = this.inFlight.values().next().value as UwsgiRequest | undefined;
    return {
      requests: this.requests,
      exceptions: this.exceptions,
      runningTime: this.runningTime,
      avgRt: this.avgRt,
      tx: this.tx,
      busy: this.inFlight.size > 0,
      busyUs:
        this.busyUs + (this.inFlight.size > 0 ? Math.round((performance.now() - this.busySince) * 1000) : 0),
      apps: this.apps.map((a) => ({ ...a })),
      current: oldest ? requestInfo(oldest) : undefined,
      cores: this.cores.map((c) => ({
        requests: c.requests,
        current: c.current ? requestInfo(c.current) : undefined,
      })),
    };
  }
}
