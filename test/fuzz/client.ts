// Sends one fuzz case over a real socket and watches what comes back: how many app answers (the
// fuzz app's `fz-call ` marker), whether the server closed, and whether it did so in time.
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FuzzCase } from './cases.js';
import { encode, type Protocol } from './requests.js';

export const CALL_MARKER = Buffer.from('fz-call ');

export interface Target {
  readonly port: number;
  readonly host: string;
}

export interface Bounds {
  /** A half-closed connection must be answered and closed within this (ms after the last write). */
  readonly hangMs: number;
  /** A stalled connection with no answer must be dropped within this (socket-timeout + slack). */
  readonly stallMs: number;
}

export interface CaseOutcome {
  readonly index: number;
  readonly kind: string;
  /** App answers seen on this connection. */
  readonly calls: number;
  /** The server closed or reset the connection (not our timer). */
  readonly closedByServer: boolean;
  /** Neither answered nor closed within the bound: a hang (half-closed) or an undropped stall. */
  readonly timedOut: boolean;
  readonly ms: number;
  readonly bytesIn: number;
  /** When the case started and ended (performance.now()), to tell whether the client itself stalled. */
  readonly startedAt: number;
  readonly endedAt: number;
  /** The first bytes back, for a failure message. */
  readonly head: string;
}

/** Counts a marker across chunk borders. */
class MarkerCounter {
  count = 0;
  private tail = Buffer.alloc(0);

  push(chunk: Buffer): void {
    const data = this.tail.length > 0 ? Buffer.concat([this.tail, chunk]) : chunk;
    let at = data.indexOf(CALL_MARKER);
    while (at >= 0) {
      this.count++;
      at = data.indexOf(CALL_MARKER, at + CALL_MARKER.length);
    }
    this.tail = Buffer.from(data.subarray(Math.max(0, data.length - (CALL_MARKER.length - 1))));
  }
}

export function runCase(target: Target, c: FuzzCase, bounds: Bounds): Promise<CaseOutcome> {
  return new Promise((resolve) => {
    const started = performance.now();
    const socket = net.connect(target.port, target.host);
    const markers = new MarkerCounter();
    let bytesIn = 0;
    let head = '';
    let closed = false;
    let ourClose = false;
    let timedOut = false;
    let timer: NodeJS.Timeout | undefined;
    let grace: NodeJS.Timeout | undefined;

    socket.on('error', () => {});
    socket.on('data', (d: Buffer) => {
      if (head.length < 160) head += d.toString('latin1', 0, 160 - head.length);
      bytesIn += d.length;
      markers.push(d);
      // a held connection that got its answer: watch briefly for extra answers, then hang up
      if (c.hold && markers.count > 0 && grace === undefined) {
        grace = setTimeout(() => {
          ourClose = true;
          socket.destroy();
        }, 200);
      }
    });
    socket.on('close', () => {
      closed = true;
      clearTimeout(timer);
      clearTimeout(grace);
      const endedAt = performance.now();
      resolve({
        startedAt: started,
        endedAt,
        index: c.index,
        kind: c.kind,
        calls: markers.count,
        closedByServer: !ourClose,
        timedOut,
        ms: endedAt - started,
        bytesIn,
        head,
      });
    });
    socket.once('connect', async () => {
      for (const [i, chunk] of c.chunks.entries()) {
        if (closed || socket.destroyed) break;
        if (i > 0) await (c.delayMs > 0 ? sleep(c.delayMs) : new Promise((r) => setImmediate(r)));
        if (closed || socket.destroyed) break;
        socket.write(chunk);
      }
      if (closed) return;
      if (!c.hold) socket.end();
      // the verdict waits for the poll phase: after a stall of this process, a timer runs before
      // the I/O that arrived meanwhile, and the server's answer or close must count first
      timer = setTimeout(
        () =>
          setImmediate(() => {
            if (closed || socket.destroyed) return;
            timedOut = true;
            ourClose = true;
            socket.destroy();
          }),
        c.hold ? bounds.stallMs : bounds.hangMs,
      );
    });
  });
}

/**
 * Watches this process's own event loop: a gap between ticks means the client stalled (a busy
 * machine), and a server that dropped a connection whose bytes we were late to send was right.
 */
export class LoopWatch {
  private readonly gaps: [number, number][] = [];
  private last = performance.now();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly minGapMs: number) {
    this.timer = setInterval(() => {
      const now = performance.now();
      if (now - this.last >= this.minGapMs) this.gaps.push([this.last, now]);
      this.last = now;
    }, 20);
  }

  /** The client stalled during [from, to]. */
  stalledDuring(from: number, to: number): boolean {
    return this.gaps.some(([a, b]) => a < to && b > from);
  }

  get count(): number {
    return this.gaps.length;
  }

  get longestMs(): number {
    return this.gaps.reduce((m, [a, b]) => Math.max(m, b - a), 0);
  }

  close(): void {
    clearInterval(this.timer);
  }
}

export interface Reply {
  /** The answer as the client sees it: HTTP or CGI-style text (FastCGI STDOUT records unwrapped). */
  readonly text: string;
  readonly ms: number;
  readonly startedAt: number;
}

/** A valid GET of `uri`, answered and closed by the server (rejects after `timeoutMs`). */
export function request(target: Target, protocol: Protocol, uri: string, timeoutMs: number): Promise<Reply> {
  const [path = '/', query = ''] = uri.split('?');
  const bytes = encode(protocol, {
    method: 'GET',
    path,
    query,
    headers: protocol === 'http' ? [['connection', 'close']] : [],
    body: Buffer.alloc(0),
    chunked: false,
    keepConn: false,
  }).bytes;
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = net.connect(target.port, target.host);
    const parts: Buffer[] = [];
    const timer = setTimeout(
      () =>
        setImmediate(() => {
          socket.destroy();
          reject(new Error(`${protocol} ${uri}: no answer within ${timeoutMs} ms`));
        }),
      timeoutMs,
    );
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.on('data', (d: Buffer) => parts.push(d));
    socket.on('end', () => {
      clearTimeout(timer);
      const raw = Buffer.concat(parts);
      resolve({
        text: protocol === 'fastcgi' ? fastCgiStdout(raw) : raw.toString('latin1'),
        ms: performance.now() - started,
        startedAt: started,
      });
      socket.destroy();
    });
    // as nginx does: the request, then wait for the server to answer and close
    socket.write(bytes);
  });
}

/** The STDOUT stream of a FastCGI answer. */
export function fastCgiStdout(bytes: Buffer): string {
  let out = '';
  for (let at = 0; at + 8 <= bytes.length; ) {
    const length = bytes.readUInt16BE(at + 4);
    if (bytes[at + 1] === 6) out += bytes.toString('latin1', at + 8, at + 8 + length);
    at += 8 + length + (bytes[at + 6] ?? 0);
  }
  return out;
}

/** The status of an HTTP answer or of a CGI-style one (`Status: 200 OK`). */
export function statusOf(text: string): number | undefined {
  const m = /^(?:HTTP\/1\.[01] |Status: )(\d{3})/.exec(text);
  return m ? Number(m[1]) : undefined;
}

export function bodyOf(text: string): string {
  const at = text.indexOf('\r\n\r\n');
  return at < 0 ? '' : text.slice(at + 4);
}
