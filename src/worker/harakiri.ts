// The worker's side of harakiri (reference §2.4), for an event loop where one worker serves many
// requests at once: a request that runs past the limit is ended alone (504, or its connection
// closed when the response has started) and the other requests go on. A blocked event loop cannot
// do that: the worker pings the master every second and tells it which request started last, and
// the master kills a worker whose pings stop (src/master/worker-pool.ts).

import type { WorkerMessage } from '../ipc/messages.js';
import type { UwsgiRequest, UwsgiResponse } from './request.js';

export class WorkerHarakiri {
  private readonly active = new Set<UwsgiResponse>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly seconds: number,
    private readonly send: (message: WorkerMessage) => void,
    private readonly log: (line: string) => void,
    /** harakiri-verbose: the log line also gives the elapsed time and the worker's memory. */
    private readonly verbose = false,
  ) {
    // one coarse timer for every request, as undici does: no timer per request
    this.timer = setInterval(() => this.sweep(), 1000);
    this.timer.unref();
  }

  started(req: UwsgiRequest, res: UwsgiResponse): void {
    this.active.add(res);
    res.once('close', () => this.active.delete(res));
    this.send({
      t: 'req',
      method: req.method ?? '',
      uri: req.url ?? '',
      addr: req.socket.remoteAddress ?? '',
      since: Math.floor(req.startMs / 1000),
    });
  }

  private sweep(): void {
    this.send({ t: 'ping' });
    const limit = Date.now() - this.seconds * 1000;
    for (const res of this.active) {
      const req = res.req;
      if (req.startMs > limit) continue;
      this.active.delete(res);
      const extra = this.verbose
        ? ` after ${Date.now() - req.startMs} ms, rss ${Math.round(process.memoryUsage.rss() / 1048576)} MB, ${this.active.size} other requests in flight`
        : '';
      this.log(
        `HARAKIRI: ${req.method} ${req.url} from ${req.socket.remoteAddress ?? '?'} ran past ${this.seconds} seconds: ${res.headersSent ? 'connection closed' : 'answered 504'} (pid: ${process.pid})${extra}\n`,
      );
      if (res.headersSent) res.destroy();
      else {
        res.statusCode = 504;
        res.shouldKeepAlive = false;
        res.setHeader('content-type', 'text/plain');
        res.end('Gateway Timeout (harakiri)\n');
      }
    }
  }

  close(): void {
    clearInterval(this.timer);
  }
}
