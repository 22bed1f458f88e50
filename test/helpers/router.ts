// Talking to the HTTP router (`--http`) from a test: its port from the master's log line
// ("uWSGI http bound on 127.0.0.1:PORT fd N": the real port, also for :0), requests over a
// keep-alive agent or a fresh connection, and raw bytes for what a client library never sends.
import { createHash } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import type { RunningServer } from './server.js';

export function routerPort(server: RunningServer): number {
  const m = server.log().match(/uWSGI http bound on \S*:(\d+) fd/);
  if (!m) throw new Error(`no router address in the log:\n${server.log()}`);
  return Number(m[1]);
}

/** The port of a router's subscription server, from its log line (the real port, also for :0). */
export function subscriptionPort(server: RunningServer, router: 'http' | 'fastrouter' = 'http'): number {
  const m = server.log().match(new RegExp(`uWSGI ${router} subscription server bound on \\S*:(\\d+) fd`));
  if (!m) throw new Error(`no ${router} subscription server address in the log:\n${server.log()}`);
  return Number(m[1]);
}

export interface RouterReply {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
  /** The client's socket was reused from an earlier request on the agent. */
  readonly reused: boolean;
}

export interface RouterRequest {
  readonly method?: string;
  readonly path?: string;
  readonly headers?: http.OutgoingHttpHeaders;
  /** A whole body (sent with its length), or chunks sent with Transfer-Encoding: chunked. */
  readonly body?: Buffer | readonly Buffer[];
  readonly agent?: http.Agent | false;
  readonly timeoutMs?: number;
  /** The client's own address (127.0.0.N: another client for iphash). */
  readonly localAddress?: string;
}

export function request(port: number, r: RouterRequest = {}): Promise<RouterReply> {
  return new Promise((resolve, reject) => {
    const chunked = Array.isArray(r.body);
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: r.method ?? (r.body ? 'POST' : 'GET'),
        path: r.path ?? '/',
        headers: {
          ...(r.body && !chunked ? { 'Content-Length': (r.body as Buffer).length } : {}),
          ...r.headers,
        },
        agent: r.agent ?? false,
        ...(r.localAddress ? { localAddress: r.localAddress } : {}),
        signal: AbortSignal.timeout(r.timeoutMs ?? 20_000),
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (d: Buffer) => parts.push(d));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(parts),
            reused: req.reusedSocket,
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (chunked) {
      (async () => {
        for (const chunk of r.body as readonly Buffer[]) {
          if (!req.write(chunk)) await new Promise((ok) => req.once('drain', ok));
        }
        req.end();
      })().catch(reject);
    } else req.end(r.body as Buffer | undefined);
  });
}

/** Raw bytes to the router; what came back before it closed or `waitMs` passed. */
export function raw(port: number, bytes: Buffer | string, waitMs = 3000): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(bytes));
    let out = '';
    socket.on('data', (d) => {
      out += d.toString('latin1');
    });
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(out);
    };
    const timer = setTimeout(done, waitMs);
    socket.on('close', done);
    socket.on('error', done);
  });
}

export const sha256 = (data: Buffer | readonly Buffer[]): string => {
  const h = createHash('sha256');
  for (const part of Array.isArray(data) ? data : [data]) h.update(part);
  return h.digest('hex');
};
