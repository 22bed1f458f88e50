// The worker's side of harakiri (reference §2.4), for an event loop where one worker serves many
// requests at once: a request that runs past the limit is ended alone (504, or its connection
// closed when the response has started) and the other requests go on. A blocked event loop cannot
// do that: the worker pings the master every BEAT_MS and the master kills a worker whose pings
// stop (src/master/worker-pool.ts); which request blocks it, the master hears from the worker's
// watchdog thread only then (src/worker/harakiri-watchdog.ts), not from a message per request.
// Two timers per request, as in uWSGI 2.0: the global `harakiri` (from the request's start) and
// the app's setUserHarakiri() (from the call); the first to expire ends the request.

import type { ServerResponse } from 'node:http';
import type { WorkerMessage } from '../ipc/messages.js';
import { BEAT_MS, type HarakiriWatchdog } from './harakiri-watchdog.js';
import type { UwsgiRequest } from './request.js';

type Response = ServerResponse<UwsgiRequest>;

/** A setUserHarakiri() limit: when it expires, what it was, when it was set. */
interface UserLimit {
  readonly deadline: number;
  readonly seconds: number;
  readonly setAt: number;
}

export class WorkerHarakiri {
  /** Requests under the global limit (only with `harakiri` > 0). */
  private readonly active = new Set<Response>();
  /** Requests with a setUserHarakiri() limit. */
  private readonly user = new Map<Response, UserLimit>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    /** The global `harakiri`; 0 when only setUserHarakiri() made this (then nothing per request). */
    private readonly seconds: number,
    private readonly send: (message: WorkerMessage) => void,
    private readonly log: (line: string) => void,
    /** harakiri-verbose: the log line also gives the elapsed time and the worker's memory. */
    private readonly verbose = false,
    private readonly now: () => number = Date.now,
    /**
     * Names the request of a blocked loop to the master; without one (no watchdog channel) each
     * request start is sent over IPC instead, as a slower fallback.
     */
    private readonly watchdog?: HarakiriWatchdog,
  ) {
    // one coarse timer for every request, as undici does: no timer per request
    this.timer = setInterval(() => this.sweep(), BEAT_MS);
    this.timer.unref();
  }

  /** A request under the global limit starts; `finished` must follow when its response closes. */
  started(req: UwsgiRequest, res: Response): void {
    this.active.add(res);
    const method = req.method ?? '';
    const uri = req.url ?? '';
    const addr = req.socket.remoteAddress ?? '';
    if (this.watchdog) this.watchdog.request(method, uri, addr, req.startMs);
    else this.send({ t: 'req', method, uri, addr, since: Math.floor(req.startMs / 1000), blockedMs: 0 });
  }

  /** Its response closed (the dispatcher's end-of-request hook: no listener per request here). */
  finished(res: Response): void {
    this.active.delete(res);
  }

  /**
   * setUserHarakiri(): `seconds` from now for this request's response, 0 to clear. A response
   * already ended is left alone (its limit ended with it). The master hears of every change of
   * the worker's earliest limit, so that it can kill a blocked loop at that time.
   */
  setUser(res: Response, seconds: number): void {
    if (res.writableEnded || res.destroyed) return;
    if (seconds === 0) {
      this.forget(res);
      return;
    }
    if (!this.user.has(res)) res.once('close', () => this.forget(res));
    const now = this.now();
    this.user.set(res, { deadline: now + seconds * 1000, seconds, setAt: now });
    this.notify();
  }

  /** The per-request limits in force (tests, stats). */
  get userLimits(): number {
    return this.user.size;
  }

  private forget(res: Response): void {
    if (this.user.delete(res)) this.notify();
  }

  /** Tells the master the earliest per-request limit left (0 ms: none). */
  private notify(): void {
    let first: [Response, UserLimit] | undefined;
    for (const entry of this.user) if (!first || entry[1].deadline < first[1].deadline) first = entry;
    const now = this.now();
    if (!first) {
      this.send({ t: 'user-harakiri', ms: 0, method: '', uri: '', addr: '', since: 0 });
      return;
    }
    const [res, limit] = first;
    const req = res.req;
    this.send({
      t: 'user-harakiri',
      // 0 means "none": an expired limit is still at least 1 ms
      ms: Math.max(1, limit.deadline - now),
      method: req.method ?? '',
      uri: req.url ?? '',
      addr: req.socket?.remoteAddress ?? '',
      // an untracked request (no request log, no global harakiri) has no start time: the call's
      since: Math.floor((req.startMs > 0 ? req.startMs : limit.setAt) / 1000),
    });
  }

  private sweep(): void {
    this.send({ t: 'ping' });
    this.watchdog?.beat();
    const now = this.now();
    if (this.seconds > 0) {
      const limit = now - this.seconds * 1000;
      for (const res of this.active) {
        if (res.req.startMs > limit) continue;
        this.expire(res, `ran past ${this.seconds} seconds`, res.req.startMs);
      }
    }
    if (this.user.size === 0) return;
    for (const [res, limit] of this.user) {
      if (limit.deadline > now) continue;
      this.expire(res, `ran past its user harakiri of ${limit.seconds} seconds`, limit.setAt);
    }
  }

  /** Ends one request (504, or its connection closed) with the HARAKIRI line. */
  private expire(res: Response, what: string, since: number): void {
    this.active.delete(res);
    if (this.user.delete(res)) this.notify();
    const req = res.req;
    const extra = this.verbose
      ? ` after ${this.now() - (req.startMs > 0 ? req.startMs : since)} ms, rss ${Math.round(process.memoryUsage.rss() / 1048576)} MB, ${this.active.size} other requests in flight`
      : '';
    this.log(
      `HARAKIRI: ${req.method} ${req.url} from ${req.socket?.remoteAddress ?? '?'} ${what}: ${res.headersSent ? 'connection closed' : 'answered 504'} (pid: ${process.pid})${extra}\n`,
    );
    if (res.headersSent) res.destroy();
    else {
      res.statusCode = 504;
      res.shouldKeepAlive = false;
      res.setHeader('content-type', 'text/plain');
      res.end('Gateway Timeout (harakiri)\n');
    }
  }

  close(): void {
    clearInterval(this.timer);
    this.watchdog?.close();
  }
}
