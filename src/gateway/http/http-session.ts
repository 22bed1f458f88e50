// One client request through the router: the uwsgi packet to a backend, the body streamed after
// it, the backend's answer relayed with the router's own framing (a length, or chunks on a
// keep-alive connection: Node's ServerResponse does that). Each side's backpressure pauses the
// other, so a slow client holds only its own backend connection.

import type http from 'node:http';
import type net from 'node:net';
import { encodeUwsgiPacket, encodeUwsgiVars } from '../../protocol/uwsgi.js';
import type { BackendList } from '../backends.js';
import { Dechunker } from './dechunk.js';
import { requestVars, type VarsContext } from './request-vars.js';
import { ResponseHeadParser } from './response-head.js';

export interface SessionContext {
  readonly backends: BackendList;
  readonly vars: VarsContext;
  readonly modifier1: number;
  readonly modifier2: number;
  readonly keepAlive: boolean;
  readonly timeoutMs: number;
  readonly chunkedLimit: number;
  /** The client's address as the PROXY header gave it, else the socket's. */
  peerOf(socket: net.Socket): { address: string; port: number };
  log(line: string): void;
  readonly counters: { sessions: number; requests: number; errors: number };
}

const RESPONSE_HEAD_LIMIT = 64 * 1024;

function answer(res: http.ServerResponse, status: number, text: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.shouldKeepAlive = false;
  res.writeHead(status, {
    'Content-Type': 'text/plain',
    'Content-Length': Buffer.byteLength(text),
    Connection: 'close',
  });
  res.end(text);
}

/** A chunked request body, gathered: the uwsgi protocol needs CONTENT_LENGTH up front. */
function gather(req: http.IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        resolve(undefined);
        return;
      }
      parts.push(chunk);
    });
    req.once('end', () => resolve(Buffer.concat(parts, size)));
    req.once('error', reject);
  });
}

export async function proxySession(
  ctx: SessionContext,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<void> {
  ctx.counters.requests++;
  if (!ctx.keepAlive) res.shouldKeepAlive = false;
  res.sendDate = false;
  const client = req.socket;
  const peer = ctx.peerOf(client);
  const chunkedBody = req.headers['transfer-encoding'] !== undefined;
  let body: Buffer | undefined;
  if (chunkedBody) {
    body = await gather(req, ctx.chunkedLimit).catch(() => undefined);
    if (body === undefined) {
      ctx.log(`[uwsgi-http] chunked body from ${peer.address} over ${ctx.chunkedLimit} bytes -> 413\n`);
      answer(res, 413, 'Request Entity Too Large');
      return;
    }
  }
  const vars = requestVars(
    {
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      httpVersion: req.httpVersion,
      rawHeaders: req.rawHeaders,
      remoteAddress: peer.address,
      remotePort: peer.port,
    },
    ctx.vars,
    body?.length,
  );
  let packet: Buffer;
  try {
    packet = encodeUwsgiPacket(ctx.modifier1, ctx.modifier2, encodeUwsgiVars(vars));
  } catch (err) {
    ctx.log(
      `[uwsgi-http] request from ${peer.address} too large for a uwsgi packet: ${(err as Error).message} -> 431\n`,
    );
    answer(res, 431, 'Request Header Fields Too Large');
    return;
  }
  if (res.destroyed || client.destroyed) return;
  const connected = await ctx.backends.connect();
  if (!connected) {
    ctx.counters.errors++;
    ctx.log(`[uwsgi-http] no backend answered for ${req.method} ${req.url} from ${peer.address} -> 502\n`);
    answer(res, 502, 'Bad Gateway');
    req.resume();
    return;
  }
  const { socket: backend, backend: node } = connected;
  relay(ctx, req, res, backend, node.name, packet, body);
}

function relay(
  ctx: SessionContext,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  backend: net.Socket,
  nodeName: string,
  packet: Buffer,
  body: Buffer | undefined,
): void {
  let finished = false;
  backend.setTimeout(ctx.timeoutMs, () => {
    ctx.log(
      `[uwsgi-http] backend ${nodeName} timed out after ${ctx.timeoutMs / 1000} s on ${req.method} ${req.url}\n`,
    );
    fail('timeout');
  });
  const fail = (why: string) => {
    if (finished) return;
    finished = true;
    ctx.counters.errors++;
    backend.destroy();
    if (!res.headersSent) {
      ctx.log(
        `[uwsgi-http] backend ${nodeName} failed before answering ${req.method} ${req.url}: ${why} -> 502\n`,
      );
      answer(res, 502, 'Bad Gateway');
    } else {
      ctx.log(`[uwsgi-http] backend ${nodeName} failed mid-response on ${req.method} ${req.url}: ${why}\n`);
      res.destroy();
    }
  };
  // the client went away: nothing to relay to
  res.once('close', () => {
    if (!finished) {
      finished = true;
      backend.destroy();
    }
  });
  backend.write(packet);
  if (body !== undefined) {
    if (body.length > 0) backend.write(body);
  } else {
    // streamed with backpressure both ways; the backend reads CONTENT_LENGTH bytes
    req.on('data', (chunk: Buffer) => {
      if (!backend.write(chunk)) {
        req.pause();
        backend.once('drain', () => req.resume());
      }
    });
  }
  const head = new ResponseHeadParser(RESPONSE_HEAD_LIMIT);
  let dechunk: Dechunker | undefined;
  let gotHead = false;
  const write = (chunk: Buffer) => {
    if (chunk.length === 0) return;
    if (!res.write(chunk)) {
      backend.pause();
      res.once('drain', () => backend.resume());
    }
  };
  const deliver = (chunk: Buffer) => {
    if (!dechunk) return write(chunk);
    let parts: Buffer[];
    try {
      parts = dechunk.push(chunk);
    } catch (err) {
      fail((err as Error).message);
      return;
    }
    for (const p of parts) write(p);
  };
  backend.on('data', (chunk: Buffer) => {
    if (finished) return;
    if (gotHead) {
      deliver(chunk);
      return;
    }
    const h = head.push(chunk);
    if (h.kind === 'more') return;
    if (h.kind === 'bad') {
      fail(h.why);
      return;
    }
    gotHead = true;
    if (h.chunked) dechunk = new Dechunker();
    try {
      res.writeHead(h.status, h.reason, h.headers);
    } catch (err) {
      fail(`bad response head: ${(err as Error).message}`);
      return;
    }
    // the whole answer in the first read (the common small one): head and body in one write
    if (!dechunk && h.contentLength !== undefined && h.rest.length === h.contentLength) {
      finished = true;
      res.end(h.rest);
      backend.destroy();
      return;
    }
    deliver(h.rest);
  });
  backend.once('end', () => {
    if (finished) return;
    if (!gotHead) {
      fail('closed without an answer');
      return;
    }
    finished = true;
    res.end();
    // a body the backend did not read (it answered early): drop the rest
    req.resume();
  });
  backend.once('error', (err: NodeJS.ErrnoException) =>
    fail(`${err.message}${err.code ? ` [${err.code}]` : ''}`),
  );
  backend.once('close', () => {
    if (!finished) fail('connection closed');
  });
}
