// One client request through the router: the uwsgi packet to a backend, the body streamed after
// it, the backend's answer relayed with the router's own framing (a length, or chunks on a
// keep-alive connection: Node's ServerResponse does that). Each side's backpressure pauses the
// other, so a slow client holds only its own backend connection.

import type http from 'node:http';
import type net from 'node:net';
import zlib from 'node:zlib';
import { encodeUwsgiPacket, encodeUwsgiVars } from '../../protocol/uwsgi.js';
import type { Backend, BackendList } from '../backends.js';
import type { SubscriptionTable } from '../subscriptions.js';
import { shouldGzip } from './auto-gzip.js';
import { Dechunker } from './dechunk.js';
import {
  type ConnectionPool,
  FastCgiAnswerParser,
  fastCgiHead,
  STDIN_END,
  stdinRecords,
} from './fastcgi-client.js';
import { requestVars, type VarsContext } from './request-vars.js';
import { ResponseHeadParser } from './response-head.js';

export interface SessionContext {
  readonly backends: BackendList;
  /** Subscribed nodes by key (the Host header), instead of `backends` (subscriptions.ts). */
  readonly subscriptions: SubscriptionTable | undefined;
  /** The instance's own workers over FastCGI keep-conn (fastcgi-client.ts), instead of `backends`. */
  readonly pool: ConnectionPool | undefined;
  readonly vars: VarsContext;
  /** `https-export-cert`: the client's certificate (PEM) as HTTPS_CC, its subject as HTTPS_DN. */
  readonly exportCert?: boolean;
  readonly modifier1: number;
  readonly modifier2: number;
  readonly keepAlive: boolean;
  readonly timeoutMs: number;
  readonly chunkedLimit: number;
  /** `http-auto-gzip`: answers marked `uWSGI-Encoding: gzip` are gzipped by the router (auto-gzip.ts). */
  readonly autoGzip: boolean;
  /**
   * `http-raw-body`: a chunked request body goes to a uwsgi backend as it comes, in chunked framing
   * (HTTP_TRANSFER_ENCODING, no CONTENT_LENGTH), as uWSGI's router passes it; else it is gathered.
   */
  readonly rawBody: boolean;
  /** `http-fallback`: tried in order when every other backend of the request failed to connect. */
  readonly fallbacks: readonly Backend[];
  /** The client's address as the PROXY header gave it, else the socket's. */
  peerOf(socket: net.Socket): { address: string; port: number };
  log(line: string): void;
  /** The router is stopping: answers close their connection. */
  draining(): boolean;
  readonly counters: { sessions: number; requests: number; errors: number };
}

const RESPONSE_HEAD_LIMIT = 64 * 1024;

/** An HTTP/2 stream (the compat response has a `stream`): no connection headers, no reason. */
function isH2(res: http.ServerResponse): boolean {
  return 'stream' in res;
}

function answer(res: http.ServerResponse, status: number, text: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const headers: Record<string, string | number> = {
    'Content-Type': 'text/plain',
    'Content-Length': Buffer.byteLength(text),
  };
  if (!isH2(res)) {
    res.shouldKeepAlive = false;
    headers['Connection'] = 'close';
  }
  res.writeHead(status, headers);
  res.end(text);
}

/** An h2 request's headers as HTTP/1's: pseudo-headers out, `:authority` as Host when none. */
function h1Headers(raw: readonly string[]): string[] {
  const out: string[] = [];
  let authority: string | undefined;
  let host = false;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string;
    if (name === ':authority') authority = raw[i + 1];
    if (name.startsWith(':')) continue;
    if (name === 'host') host = true;
    out.push(name, raw[i + 1] as string);
  }
  if (!host && authority !== undefined) out.unshift('host', authority);
  return out;
}

/** The backend's head as h2 headers: repeated names (Set-Cookie) as arrays. */
function h2Headers(flat: readonly string[]): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const name = (flat[i] as string).toLowerCase();
    const value = flat[i + 1] as string;
    const had = out[name];
    out[name] = had === undefined ? value : Array.isArray(had) ? [...had, value] : [had, value];
  }
  return out;
}

/** HTTPS_DN and HTTPS_CC of a client certificate (`https-export-cert`), when the client sent one. */
function certVars(socket: net.Socket): Array<[string, string]> {
  const peer = (
    socket as unknown as { getPeerX509Certificate?: () => import('node:crypto').X509Certificate | undefined }
  ).getPeerX509Certificate?.();
  if (!peer) return [];
  return [
    ['HTTPS_DN', `/${peer.subject.split('\n').join('/')}`],
    ['HTTPS_CC', peer.toString()],
  ];
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
  if (!ctx.keepAlive || ctx.draining()) res.shouldKeepAlive = false;
  res.sendDate = false;
  const client = req.socket;
  const peer = ctx.peerOf(client);
  const h2 = isH2(res);
  // an h2 body without content-length is framed by the stream: gathered like a chunked one
  // http-raw-body: a chunked HTTP/1 body streamed to a uwsgi backend in its framing (not to the
  // own workers over FastCGI: they read CONTENT_LENGTH bytes)
  const rawChunked = ctx.rawBody && !ctx.pool && !h2 && req.headers['transfer-encoding'] !== undefined;
  const chunkedBody =
    (!rawChunked && req.headers['transfer-encoding'] !== undefined) ||
    (h2 &&
      req.headers['content-length'] === undefined &&
      !(req as unknown as { stream: { endAfterHeaders: boolean } }).stream.endAfterHeaders);
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
      rawHeaders: h2 ? h1Headers(req.rawHeaders) : req.rawHeaders,
      remoteAddress: peer.address,
      remotePort: peer.port,
    },
    ctx.vars,
    body?.length,
  );
  if (ctx.exportCert) vars.push(...certVars(client));
  if (res.destroyed || client.destroyed) return;
  if (ctx.pool) {
    viaPool(ctx, ctx.pool, req, res, vars, body, false);
    return;
  }
  // with a subscription server the Host header is the key: its nodes, the wrr pick first
  let order: Backend[] | undefined;
  let modifier1 = ctx.modifier1;
  let modifier2 = ctx.modifier2;
  if (ctx.subscriptions) {
    const key = req.headers.host ?? '';
    const nodes = ctx.subscriptions.order(key, peer.address);
    if (nodes.length === 0) {
      ctx.counters.errors++;
      ctx.log(
        `[uwsgi-http] no node subscribed for key "${key}" (${req.method} ${req.url} from ${peer.address}) -> 502\n`,
      );
      answer(res, 502, 'Bad Gateway');
      req.resume();
      return;
    }
    order = nodes.map((n) => n.backend);
    const picked = nodes[0];
    const table = ctx.subscriptions;
    if (picked) res.once('close', () => table.release(picked));
    modifier1 = nodes[0]?.modifier1 ?? modifier1;
    modifier2 = nodes[0]?.modifier2 ?? modifier2;
  }
  let packet: Buffer;
  try {
    packet = encodeUwsgiPacket(modifier1, modifier2, encodeUwsgiVars(vars));
  } catch (err) {
    ctx.log(
      `[uwsgi-http] request from ${peer.address} too large for a uwsgi packet: ${(err as Error).message} -> 431\n`,
    );
    answer(res, 431, 'Request Header Fields Too Large');
    return;
  }
  const tried = order ?? ctx.backends.order();
  const connected = await ctx.backends.connect(
    ctx.fallbacks.length > 0 ? [...tried, ...ctx.fallbacks.filter((f) => !tried.includes(f))] : tried,
  );
  if (!connected) {
    ctx.counters.errors++;
    ctx.log(`[uwsgi-http] no backend answered for ${req.method} ${req.url} from ${peer.address} -> 502\n`);
    answer(res, 502, 'Bad Gateway');
    req.resume();
    return;
  }
  const { socket: backend, backend: node } = connected;
  relay(ctx, req, res, backend, node.name, body, {
    head: [packet],
    bodyChunk: rawChunked ? chunkFrame : (chunk) => [chunk],
    bodyEnd: rawChunked ? LAST_CHUNK : undefined,
    decode: (chunk, emit) => emit(chunk),
    done: () => backend.destroy(),
    endsWithSocket: true,
    retry: undefined,
  });
}

/**
 * A request to the own workers through the pool: a bodyless one (or a gathered body) on an open
 * connection, retried once on a new one when a reused connection fails before any answer (the
 * worker closed it: a reload); a streamed body on a new connection, never retried.
 */
function viaPool(
  ctx: SessionContext,
  pool: ConnectionPool,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  vars: Array<[string, string]>,
  body: Buffer | undefined,
  retried: boolean,
): void {
  const streamed =
    body === undefined &&
    req.headers['content-length'] !== undefined &&
    req.headers['content-length'] !== '0';
  const { socket: conn, reused } = pool.acquire(streamed || retried);
  const keep = !streamed;
  let head: Buffer;
  try {
    head = fastCgiHead(vars, keep, streamed);
  } catch (err) {
    conn.destroy();
    ctx.log(`[uwsgi-http] request too large for the workers: ${(err as Error).message} -> 431\n`);
    answer(res, 431, 'Request Header Fields Too Large');
    return;
  }
  const parser = new FastCgiAnswerParser();
  relay(ctx, req, res, conn, 'the workers', streamed ? undefined : (body ?? Buffer.alloc(0)), {
    head:
      body && body.length > 0
        ? [head.subarray(0, head.length - 8), ...stdinRecords(body), STDIN_END]
        : [head],
    bodyChunk: stdinRecords,
    bodyEnd: STDIN_END,
    decode: (chunk, emit, end) => parser.push(chunk, (e) => (e.kind === 'stdout' ? emit(e.data) : end())),
    done: (clean) => (clean && keep ? pool.release(conn) : conn.destroy()),
    endsWithSocket: false,
    retry: reused ? () => viaPool(ctx, pool, req, res, vars, body, true) : undefined,
  });
}

const CRLF = Buffer.from('\r\n');
const LAST_CHUNK = Buffer.from('0\r\n\r\n');

/** One body chunk in HTTP/1.1 chunked framing (http-raw-body: the client's framing, re-applied). */
function chunkFrame(chunk: Buffer): Buffer[] {
  return chunk.length === 0 ? [] : [Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, CRLF];
}

interface Transport {
  /** What goes first: the request's head (and a gathered body). */
  readonly head: Buffer[];
  /** A streamed body chunk, framed. */
  bodyChunk(chunk: Buffer): Buffer[];
  /** What ends a streamed body (FastCGI's empty STDIN); nothing for uwsgi (CONTENT_LENGTH says). */
  readonly bodyEnd: Buffer | undefined;
  /** The answer's bytes out of the backend's framing; `end` when the framing says it is over. */
  decode(chunk: Buffer, emit: (data: Buffer) => void, end: () => void): void;
  /** The exchange is over: `clean` when the connection may carry another. */
  done(clean: boolean): void;
  /** The answer ends when the backend closes (uwsgi). */
  readonly endsWithSocket: boolean;
  /** Try again elsewhere: the connection failed before any answer byte (a reused one). */
  readonly retry: (() => void) | undefined;
}

function relay(
  ctx: SessionContext,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  backend: net.Socket,
  nodeName: string,
  body: Buffer | undefined,
  t: Transport,
): void {
  /** A byte of the answer arrived (no retry after that). */
  let answered = false;
  /** The exchange is over for the backend connection. */
  let finished = false;
  /** The client has the whole answer (it may come before the backend's framing ends). */
  let delivered = false;
  const close = (clean: boolean) => {
    finished = true;
    backend.removeAllListeners('drain');
    t.done(clean);
  };
  const fail = (why: string) => {
    if (finished) return;
    if (!answered && t.retry && !delivered) {
      close(false);
      t.retry();
      return;
    }
    close(false);
    if (delivered) return;
    ctx.counters.errors++;
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
  backend.setTimeout(ctx.timeoutMs, () => {
    ctx.log(
      `[uwsgi-http] backend ${nodeName} timed out after ${ctx.timeoutMs / 1000} s on ${req.method} ${req.url}\n`,
    );
    fail('timeout');
  });
  // the client went away: nothing to relay to
  res.once('close', () => {
    if (!finished && !delivered) close(false);
  });
  if (t.head.length === 1) backend.write(t.head[0] as Buffer);
  else {
    backend.cork();
    for (const b of t.head) backend.write(b);
    backend.uncork();
  }
  if (body === undefined) {
    // streamed with backpressure both ways
    req.on('data', (chunk: Buffer) => {
      let ok = true;
      for (const b of t.bodyChunk(chunk)) ok = backend.write(b);
      if (!ok) {
        req.pause();
        backend.once('drain', () => req.resume());
      }
    });
    req.once('end', () => {
      if (t.bodyEnd && !finished) backend.write(t.bodyEnd);
    });
  }
  const head = new ResponseHeadParser(RESPONSE_HEAD_LIMIT);
  let dechunk: Dechunker | undefined;
  let gotHead = false;
  /** Where the body goes: the client, or a gzip stream piped to it (http-auto-gzip). */
  let out: NodeJS.WritableStream = res;
  const write = (chunk: Buffer) => {
    if (chunk.length === 0 || delivered) return;
    if (!out.write(chunk)) {
      backend.pause();
      out.once('drain', () => backend.resume());
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
  const emit = (chunk: Buffer) => {
    answered = true;
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
    const gzip = ctx.autoGzip && req.method !== 'HEAD' && shouldGzip(h, req.headers['accept-encoding']);
    const headers = gzip ? [...h.headers, 'Content-Encoding', 'gzip'] : h.headers;
    try {
      if (isH2(res)) res.writeHead(h.status, h2Headers(headers));
      else res.writeHead(h.status, h.reason, headers);
    } catch (err) {
      fail(`bad response head: ${(err as Error).message}`);
      return;
    }
    if (gzip) {
      const z = zlib.createGzip();
      z.on('error', () => res.destroy());
      z.pipe(res);
      out = z;
    }
    // the whole answer in the first read (the common small one): head and body in one write
    if (!dechunk && h.contentLength !== undefined && h.rest.length === h.contentLength) {
      delivered = true;
      out.end(h.rest);
      if (t.endsWithSocket) close(false);
      return;
    }
    deliver(h.rest);
  };
  const ended = () => {
    if (finished) return;
    if (!gotHead) {
      fail('closed without an answer');
      return;
    }
    const clean = t.endsWithSocket ? false : body !== undefined || req.complete;
    close(clean);
    if (!delivered) {
      delivered = true;
      out.end();
    }
    // a body the backend did not read (it answered early): drop the rest
    req.resume();
  };
  backend.on('data', (chunk: Buffer) => {
    if (!finished) t.decode(chunk, emit, ended);
  });
  backend.once('end', () => {
    if (t.endsWithSocket) ended();
    else fail('connection closed');
  });
  backend.once('error', (err: NodeJS.ErrnoException) =>
    fail(`${err.message}${err.code ? ` [${err.code}]` : ''}`),
  );
  backend.once('close', () => {
    if (!finished) fail('connection closed');
  });
}
