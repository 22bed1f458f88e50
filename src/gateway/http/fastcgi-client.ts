// The router's way to its own workers (design 2, bench/RESULTS.md): FastCGI with keep-conn over a
// pool of open connections to the hidden socket the master binds for the workers. The uwsgi
// protocol has no connection reuse (one connect per request: ~4 k req/s from one Node router on
// this machine, most of it in connect()); FastCGI keep-conn, which the workers already serve,
// ran ~16 k req/s from one Node client. Here: the answer's record parser and the pool.

import net from 'node:net';
import { encodeFastCgiRequest, encodeRecord, FCGI_RECORD } from '../../protocol/fastcgi.js';
import type { Backend } from '../backends.js';

export type RecordEvent = { kind: 'stdout'; data: Buffer } | { kind: 'end' };

/** The records of one answer: STDOUT data, then END_REQUEST. STDERR is dropped (the worker logs). */
export class FastCgiAnswerParser {
  private pending: Buffer | undefined;

  push(chunk: Buffer, out: (e: RecordEvent) => void): void {
    let data = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = undefined;
    let at = 0;
    while (data.length - at >= 8) {
      const type = data[at + 1] as number;
      const length = data.readUInt16BE(at + 4);
      const padding = data[at + 6] as number;
      if (data.length - at < 8 + length + padding) break;
      if (type === FCGI_RECORD.STDOUT && length > 0)
        out({ kind: 'stdout', data: data.subarray(at + 8, at + 8 + length) });
      else if (type === FCGI_RECORD.END_REQUEST) out({ kind: 'end' });
      at += 8 + length + padding;
    }
    if (at < data.length) this.pending = Buffer.from(data.subarray(at));
    data = Buffer.alloc(0);
  }
}

/** The request's head records; with `body`, STDIN stays open for body records (stdinRecords). */
export function fastCgiHead(
  vars: ReadonlyArray<readonly [string, string]>,
  keepConn: boolean,
  body: boolean,
): Buffer {
  const whole = encodeFastCgiRequest(1, vars, Buffer.alloc(0), keepConn);
  // the last 8 bytes are the empty STDIN that ends a bodyless request
  return body ? whole.subarray(0, whole.length - 8) : whole;
}

export function stdinRecords(chunk: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < chunk.length; at += 0xffff)
    out.push(encodeRecord(FCGI_RECORD.STDIN, 1, chunk.subarray(at, at + 0xffff)));
  return out;
}

export const STDIN_END = encodeRecord(FCGI_RECORD.STDIN, 1, Buffer.alloc(0));

/**
 * Open connections to one backend, kept between requests. An idle one is closed by the router
 * before the worker's socket-timeout would (so a request never races the worker's close), and
 * dropped from the pool when the worker closes it (a reload drains the old workers).
 */
export class ConnectionPool {
  private readonly idle: net.Socket[] = [];

  constructor(
    private readonly backend: Backend,
    private readonly idleMs: number,
  ) {}

  /** An idle connection (reused: true) or a new one (always, with `fresh`). */
  acquire(fresh = false): { socket: net.Socket; reused: boolean } {
    for (let s = fresh ? undefined : this.idle.pop(); s; s = this.idle.pop()) {
      if (!s.destroyed && s.writable) {
        s.setTimeout(0);
        s.removeAllListeners('data');
        return { socket: s, reused: true };
      }
    }
    const a = this.backend.address;
    const socket =
      a.kind === 'tcp'
        ? net.connect({ host: a.host, port: a.port, noDelay: true })
        : net.connect({ path: a.kind === 'unix' ? a.path : `\0${a.name}` });
    return { socket, reused: false };
  }

  release(socket: net.Socket): void {
    socket.removeAllListeners('data');
    socket.removeAllListeners('end');
    socket.removeAllListeners('error');
    socket.removeAllListeners('close');
    socket.removeAllListeners('timeout');
    socket.removeAllListeners('drain');
    const drop = () => {
      const i = this.idle.indexOf(socket);
      if (i >= 0) this.idle.splice(i, 1);
      socket.destroy();
    };
    socket.on('error', drop);
    socket.on('end', drop);
    socket.on('close', drop);
    socket.setTimeout(this.idleMs, drop);
    this.idle.push(socket);
  }
}
