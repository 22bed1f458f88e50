// What the request log knows about one finished request: built by the worker's dispatcher only
// when the request is logged, read by the default line and by compiled `log-format` templates.

import { readFileSync } from 'node:fs';

export interface RequestFacts {
  readonly pid: number;
  /** Worker id (1-based). */
  readonly wid: number;
  /** -1 when no app served it. */
  readonly appId: number;
  /** Requests served by that app in this worker. */
  readonly appRequests: number;
  /** Requests served by this worker. */
  readonly workerRequests: number;
  /** The request's CGI vars. */
  readonly vars: ReadonlyMap<string, string>;
  /** REMOTE_ADDR, or X-Forwarded-For with `log-x-forwarded-for`. */
  readonly remoteAddr: string;
  readonly method: string;
  readonly uri: string;
  readonly protocol: string;
  readonly status: number;
  /** Response body bytes. */
  readonly bodyBytes: number;
  /** Response head: lines (status line and blank line excluded) and bytes. */
  readonly headerCount: number;
  readonly headerBytes: number;
  /** uWSGI's "N vars in B bytes": keys and values counted, uwsgi-packet size. */
  readonly varCount: number;
  readonly varBytes: number;
  /** Start of the request, epoch ms and epoch µs. */
  readonly startMs: number;
  readonly startMicros: number;
  readonly elapsedMicros: number;
  readonly core: number;
  readonly readErrors: number;
  readonly writeErrors: number;
  readonly modifier1: number;
  readonly modifier2: number;
  /** Values set for this request by `logvar` routes or the app; undefined when none. */
  readonly logvars: ReadonlyMap<string, string> | undefined;
}

/** Counts the header lines of a serialized response head (`HTTP/1.1 200 OK\r\n...\r\n\r\n`). */
export function headerLines(head: string): number {
  if (head === '') return 0;
  let lines = 0;
  let at = head.indexOf('\r\n');
  while (at >= 0) {
    lines++;
    at = head.indexOf('\r\n', at + 2);
  }
  // the status line and the blank line that ends the head are not headers
  return Math.max(0, lines - 2);
}

const PAGE_SIZE = 4096;

/** Address space and resident size of this process, in bytes (uWSGI's vsz/rss). */
export function memoryUsage(): { vsz: number; rss: number } {
  const rss = process.memoryUsage.rss();
  let vsz = 0;
  try {
    // Linux: the first field of statm is the total program size in pages
    vsz = Number(readFileSync('/proc/self/statm', 'latin1').split(' ')[0]) * PAGE_SIZE || 0;
  } catch {
    vsz = 0;
  }
  return { vsz, rss };
}
