// An HTTP router process (`http = ADDR`, reference §2.11; seed manual "The uWSGI HTTP/HTTPS
// router"): it gets its plan and the router sockets the master bound, accepts HTTP/1.x clients
// and forwards each request to a backend over the uwsgi protocol (http-session.ts). Node's HTTP
// parser reads the clients; every client is an event, so a slow one never holds another.
// A stop drains: no new connections, in-flight requests finish, then exit.

import { readFileSync } from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import { Duplex } from 'node:stream';
import tls from 'node:tls';
import { ownLogWriter } from '../../logging/worker-output.js';
import type { NativeHandle } from '../../net/native-handle.js';
import { BackendList } from '../backends.js';
import { looksLikeProxyHeader, type ProxiedPeer, parseProxyHeader } from '../proxy-protocol.js';
import { routerStatsJson } from '../router-stats.js';
import { openSubscriptionServers } from '../subscription-server.js';
import type { SubscriptionTable } from '../subscriptions.js';
import { ConnectionPool } from './fastcgi-client.js';
import { proxySession, type SessionContext } from './http-session.js';
import type { HttpRouterPlan, RouterListener, RouterTls } from './router-plan.js';
import { SniTable } from './sni.js';
import { relayUpgrade } from './upgrade-relay.js';
import { relayUwsgiUpgrade } from './uwsgi-upgrade.js';

type RouterMessage =
  | { t: 'router-plan'; plan: HttpRouterPlan }
  | { t: 'router-socket'; index: number }
  | { t: 'router-stats-socket' }
  | { t: 'start' }
  | { t: 'tls-reload' }
  | { t: 'stop' };

const id = Number(process.env['UWSGI_TS_ROUTER_ID'] ?? 1);
const log = ownLogWriter();
const handles = new Map<number, NativeHandle>();
let statsHandle: NativeHandle | undefined;
let plan: HttpRouterPlan | undefined;
const servers: net.Server[] = [];
const httpServers: http.Server[] = [];
let stopping = false;
const peers = new WeakMap<net.Socket, ProxiedPeer>();
/** `handed`: connections passed to the own workers (not counted in `sessions`, which are the router's own). */
const counters = { sessions: 0, requests: 0, errors: 0, handed: 0 };
/** The static backends, shared by every router socket of the process (one round, one hit count). */
let backends = new BackendList([], 0, log);
/** Subscribed nodes (process 1 runs the subscription server). */
let subscriptions: SubscriptionTable | undefined;
/** The TLS fronts and their files, re-read on a graceful reload (`tls-reload`). */
const tlsFronts: Array<{ server: tls.Server; files: RouterTls }> = [];
const ALPN = ['h2', 'http/1.1'];
/** The SNI contexts (`sni`, `sni-regexp`, `sni-dir`), shared by every https socket; rebuilt on a reload. */
let sni: SniTable | undefined;

/** Bad bytes before any request: one log line, and a 400 when the socket still takes it. */
function refuse(socket: net.Socket, status: number, why: string): void {
  log(`[uwsgi-http] ${why} from ${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0} -> ${status}\n`);
  if (socket.writable && !socket.destroyed) {
    socket.end(
      `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? 'Bad Request'}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`,
    );
  } else socket.destroy();
}

const CLIENT_ERRORS: Readonly<Record<string, number>> = {
  HPE_HEADER_OVERFLOW: 431,
  ERR_HTTP_REQUEST_TIMEOUT: 408,
  HPE_INVALID_METHOD: 400,
};
const GONE = new Set(['ECONNRESET', 'EPIPE', 'ERR_STREAM_DESTROYED']);

/** HTTP/2's connection preface (RFC 9113 §3.4): an h2c client with prior knowledge starts with it. */
const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

/**
 * Reads the first bytes of a connection: a PROXY header when enabled (the peer it names becomes
 * REMOTE_ADDR), refused when not (a proxy configured against a router that does not expect it
 * would otherwise have its header read as a request). With `http-h2c` (ours), a connection that
 * starts with HTTP/2's preface goes to the h2 server, any other to the HTTP/1 one.
 */
function admit(socket: net.Socket, server: net.Server, p: HttpRouterPlan, h2c?: http2.Http2Server): void {
  let seen: Buffer = Buffer.alloc(0);
  let proxyDone = false;
  const onData = (chunk: Buffer) => {
    seen = seen.length === 0 ? chunk : Buffer.concat([seen, chunk]);
    if (!proxyDone && p.proxyProtocol) {
      const h = parseProxyHeader(seen);
      if (h.kind === 'more') return;
      if (h.kind === 'bad') {
        socket.off('data', onData);
        return refuse(socket, 400, h.why);
      }
      if (h.kind === 'header') {
        if (h.peer) peers.set(socket, h.peer);
        seen = seen.subarray(h.length);
      }
    } else if (!proxyDone) {
      if (looksLikeProxyHeader(seen) && seen.length < 12 && seen.indexOf(10) < 0) return;
      if (looksLikeProxyHeader(seen)) {
        socket.off('data', onData);
        return refuse(socket, 400, 'PROXY protocol header but http-enable-proxy-protocol is off');
      }
    }
    proxyDone = true;
    // a beginning of the preface: wait for the rest before choosing the protocol
    const n = Math.min(seen.length, H2_PREFACE.length);
    const maybeH2 = h2c !== undefined && seen.subarray(0, n).equals(H2_PREFACE.subarray(0, n));
    if (maybeH2 && seen.length < H2_PREFACE.length) return;
    socket.off('data', onData);
    socket.setTimeout(0);
    socket.pause();
    if (maybeH2 && h2c) {
      socket.removeAllListeners('error');
      h2c.emit('connection', prefixed(socket, seen));
      return;
    }
    if (seen.length > 0) socket.unshift(seen);
    server.emit('connection', socket);
    socket.resume();
  };
  socket.on('data', onData);
  socket.on('error', () => socket.destroy());
  // a client that never sends its first bytes is dropped like one that never ends its head
  socket.setTimeout(p.headersTimeoutMs, () => socket.destroy());
}

/**
 * The socket as a Duplex that first yields the bytes already read. An HTTP/2 session reads a
 * net.Socket's kernel handle itself (bytes unshifted back would be lost to it, as for TLS); given
 * a plain Duplex, Node wraps it (JSStreamSocket) and reads it as a stream.
 */
function prefixed(socket: net.Socket, first: Buffer): Duplex {
  const d = new Duplex({
    read: () => {
      socket.resume();
    },
    write: (chunk: Buffer, _enc, cb) => {
      socket.write(chunk, (err) => cb(err ?? null));
    },
    final: (cb) => {
      socket.end();
      cb();
    },
    destroy: (err, cb) => {
      socket.destroy();
      cb(err);
    },
  });
  peers.set(d as unknown as net.Socket, peerOf(socket));
  if (first.length > 0) d.push(first);
  socket.on('data', (chunk: Buffer) => {
    if (!d.push(chunk)) socket.pause();
  });
  socket.on('end', () => d.push(null));
  socket.on('error', () => d.destroy());
  socket.on('close', () => d.destroy());
  socket.resume();
  return d;
}

/**
 * Hands a client connection to the own workers (router-plan.ts `handoff`): its kernel handle goes
 * to the master, which passes it to a worker (handoff-relay.ts); this process's copy is closed
 * once sent. The worker serves the connection for its whole keep-alive life.
 */
function handOff(socket: net.Socket): void {
  const handle = (socket as unknown as { _handle?: unknown })._handle;
  socket.on('error', () => socket.destroy());
  if (!handle || !process.send || stopping) {
    socket.destroy();
    return;
  }
  counters.handed++;
  try {
    process.send({ t: 'handoff' }, handle as net.Server, {}, () => socket.destroy());
  } catch {
    socket.destroy();
  }
}

/** The certificate files read now (at start and on each reload: a renewed certificate is served). */
function secureOptions(files: RouterTls): tls.SecureContextOptions {
  return {
    cert: readFileSync(files.cert),
    key: readFileSync(files.key),
    ...(files.ciphers ? { ciphers: files.ciphers } : {}),
    ...(files.ca ? { ca: readFileSync(files.ca) } : {}),
  };
}

/** The client's address as admitted: a TLS socket's is its parent's (PROXY header on the raw one). */
function peerOf(socket: net.Socket): ProxiedPeer {
  // an h2c session's socket wraps the Duplex of prefixed() (JSStreamSocket's `stream`)
  const wrapped = socket as { _parent?: net.Socket; stream?: net.Socket };
  const known =
    peers.get(socket) ??
    peers.get(wrapped._parent as net.Socket) ??
    (wrapped.stream ? peers.get(wrapped.stream) : undefined);
  return known ?? { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 };
}

/**
 * An HTTPS router socket (seed manual "HTTPS support"): TLS with ALPN `h2` and `http/1.1`; an h2
 * session goes to an HTTP/2 server (each stream one request, http-session.ts), everything else to
 * the same HTTP/1.1 server as plain sockets. Both servers only get connections, never listen.
 */
function tlsFront(p: HttpRouterPlan, files: RouterTls, h1: http.Server, h2: http2.Http2Server): tls.Server {
  const ownCa = files.ca !== undefined;
  // a client CA of an SNI context: every handshake asks for a certificate (Node sets that per
  // server), and the context chosen decides after the handshake whether one was required
  const sniCa = sni?.anyClientCa ?? false;
  const front = tls.createServer({
    ...secureOptions(files),
    ALPNProtocols: ALPN,
    // a CA asks for the client's certificate and checks it (uWSGI's 5th https field)
    requestCert: ownCa || sniCa,
    rejectUnauthorized: ownCa && !sniCa,
    handshakeTimeout: p.headersTimeoutMs,
    ...(sni ? { SNICallback: chooseContext } : {}),
  });
  front.on('secureConnection', (socket: tls.TLSSocket) => {
    if (sniCa) {
      const name = (socket as unknown as { servername?: string | false }).servername;
      const chosen = typeof name === 'string' ? sni?.lookup(name) : undefined;
      if ((chosen ? chosen.clientCa : ownCa) && !socket.authorized) {
        log(
          `[uwsgi-https] client certificate refused from ${socket.remoteAddress ?? '?'} for ${name || 'no servername'}: ${String(socket.authorizationError ?? 'none sent')}\n`,
        );
        socket.destroy();
        return;
      }
    }
    if (socket.alpnProtocol === 'h2') h2.emit('connection', socket);
    else h1.emit('connection', socket);
  });
  front.on('tlsClientError', (err: NodeJS.ErrnoException, socket: tls.TLSSocket) => {
    log(
      `[uwsgi-https] TLS handshake failed from ${socket.remoteAddress ?? '?'}: ${err.code ?? err.message}\n`,
    );
    socket.destroy();
  });
  tlsFronts.push({ server: front, files });
  return front;
}

/** Node's SNICallback: the servername's context, or the socket's own (a falsy context). */
function chooseContext(servername: string, cb: (err: Error | null, ctx?: tls.SecureContext) => void): void {
  cb(null, sni?.lookup(servername)?.context);
}

/** The SNI table of the plan, files read now; undefined when the config has none. */
function buildSni(p: HttpRouterPlan): SniTable | undefined {
  if (p.sni.entries.length === 0 && p.sni.dir === undefined) return undefined;
  return new SniTable(p.sni, ALPN, log);
}

/** `http-to-https = ADDR`: every request answered with a redirect to the first https socket. */
function redirector(p: HttpRouterPlan): http.Server {
  const target = p.listeners.find((l) => l.kind === 'https');
  return http.createServer({ maxHeaderSize: p.bufferSize }, (req, res) => {
    const host = (req.headers.host ?? p.serverName).replace(/:\d+$/, '');
    const port = target && target.port !== 443 ? `:${target.port}` : '';
    res.writeHead(301, { Location: `https://${host}${port}${req.url ?? '/'}`, 'Content-Length': 0 });
    res.end();
  });
}

function routerServer(p: HttpRouterPlan, listener: RouterListener): http.Server {
  const port = listener.port;
  const ctx: SessionContext = {
    backends,
    subscriptions,
    pool: p.pooled && p.backends[0] ? new ConnectionPool(p.backends[0], p.poolIdleMs) : undefined,
    vars: {
      serverName: p.serverName,
      serverPort: String(port),
      serverNameFromHost: p.serverNameFromHost,
      extra: p.vars,
      https: listener.kind === 'https',
    },
    exportCert: p.exportCert,
    modifier1: p.modifier1,
    modifier2: p.modifier2,
    keepAlive: p.keepAlive,
    timeoutMs: p.timeoutMs,
    chunkedLimit: p.chunkedLimit,
    autoGzip: p.autoGzip,
    rawBody: p.rawBody,
    fallbacks: p.fallbacks,
    peerOf,
    log,
    draining: () => stopping,
    counters,
  };
  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => {
    proxySession(ctx, req, res).catch((err: unknown) => {
      log(`[uwsgi-http] ${req.method} ${req.url}: ${err instanceof Error ? err.message : String(err)}\n`);
      res.destroy();
    });
  };
  const server = http.createServer(
    {
      maxHeaderSize: p.bufferSize,
      headersTimeout: p.headersTimeoutMs,
      requestTimeout: 0,
      keepAliveTimeout: Math.min(p.timeoutMs, 60_000),
      connectionsCheckingInterval: Math.min(1000, p.headersTimeoutMs),
    },
    onRequest,
  );
  const upgradeTo = p.upgradeTo;
  if (upgradeTo) {
    const up = {
      to: upgradeTo,
      connectTimeoutMs: p.connectTimeoutMs,
      peerOf,
      https: listener.kind === 'https',
      log,
    };
    server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) =>
      relayUpgrade(up, req, socket, head),
    );
  } else if (p.websockets && !ctx.pool) {
    // towards http-to backends or subscribed nodes: over uwsgi, raw after the packet
    server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
      relayUwsgiUpgrade(ctx, req, socket, head).catch((err: unknown) => {
        log(
          `[uwsgi-http] upgrade ${req.method} ${req.url}: ${err instanceof Error ? err.message : String(err)}\n`,
        );
        socket.destroy();
      });
    });
  }
  if (listener.tls || (p.h2c && listener.kind === 'http')) {
    // HTTP/2 streams take the same path: the compat request/response have the calls it makes
    const h2 = http2.createServer(
      {
        maxHeaderListPairs: 1000,
        maxSessionMemory: 16,
        settings: { maxConcurrentStreams: 128, maxHeaderListSize: p.bufferSize },
      },
      onRequest as unknown as (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void,
    );
    h2.on('sessionError', (err: NodeJS.ErrnoException) => {
      if (!GONE.has(err.code ?? ''))
        log(`[uwsgi-${listener.tls ? 'https' : 'http'}] h2 session error: ${err.message}\n`);
    });
    h2.setTimeout(Math.min(p.timeoutMs, 60_000));
    if (listener.tls)
      (server as unknown as { tlsFront: tls.Server }).tlsFront = tlsFront(p, listener.tls, server, h2);
    else (server as unknown as { h2c: http2.Http2Server }).h2c = h2;
  }
  server.on('checkContinue', (req, res) => {
    const limit = p.manageExpect;
    const length = Number(req.headers['content-length'] ?? 0);
    if (limit !== undefined && limit > 0 && length > limit) {
      log(`[uwsgi-http] Expect: 100-continue with ${length} bytes over http-manage-expect ${limit} -> 417\n`);
      res.shouldKeepAlive = false;
      res.writeHead(417, { 'Content-Length': 0, Connection: 'close' });
      res.end();
      return;
    }
    res.writeContinue();
    server.emit('request', req, res);
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: net.Socket) => {
    const code = err.code ?? 'HPE_UNKNOWN';
    if (GONE.has(code)) return socket.destroy();
    refuse(socket, CLIENT_ERRORS[code] ?? 400, `bad HTTP request: ${err.message} (${code})`);
  });
  server.on('connection', (socket: net.Socket) => {
    counters.sessions++;
    socket.setNoDelay(true);
    socket.once('close', () => counters.sessions--);
  });
  return server;
}

async function start(): Promise<void> {
  const p = plan;
  if (!p) throw new Error('router started without a plan');
  backends = new BackendList(p.backends, p.connectTimeoutMs, log);
  if (p.listeners.some((l) => l.tls)) sni = buildSni(p);
  if (p.subscriptionServers.length > 0 && id === 1) await subscriptionServers(p);
  for (const [index, listener] of p.listeners.entries()) {
    const handle = handles.get(index);
    if (!handle) throw new Error(`router socket ${index} was not passed`);
    const server = listener.kind === 'redirect' ? redirector(p) : routerServer(p, listener);
    httpServers.push(server);
    const front: net.Server = (server as unknown as { tlsFront?: tls.Server }).tlsFront ?? server;
    // accept with a plain net.Server: the first bytes are checked (PROXY) before HTTP parsing
    // A TLS socket reads the kernel handle itself, so bytes peeked here would be lost to it: an
    // https socket gets its connections as they come (no PROXY header there: README)
    const handing = p.handoff && listener.kind === 'http' && !listener.tls;
    // handing: nothing is read here, the worker's parser gets the connection's first byte
    const acceptor = net.createServer({ pauseOnConnect: handing, noDelay: true }, (socket) => {
      if (handing) handOff(socket);
      else if (front === server) admit(socket, front, p, (server as { h2c?: http2.Http2Server }).h2c);
      else {
        socket.on('error', () => socket.destroy());
        front.emit('connection', socket);
      }
    });
    await new Promise<void>((resolve, reject) => {
      acceptor.once('error', reject);
      acceptor.listen(handle as unknown as net.Server, 1024, () => resolve());
    });
    servers.push(acceptor);
    // the http.Server never listens itself: 'listening' starts its connection checks (headersTimeout)
    server.emit('listening');
  }
  if (statsHandle && p.stats) {
    const stats = net.createServer((socket) => {
      socket.on('error', () => socket.destroy());
      socket.end(
        routerStatsJson(
          'http',
          [...p.listeners.map((l) => l.raw), ...p.subscriptionServers],
          counters.sessions,
          p.pooled ? [] : p.backends.map((b) => ({ name: b.name, hits: backends.hits.get(b.name) ?? 0 })),
        ),
      );
    });
    await new Promise<void>((resolve) =>
      stats.listen(statsHandle as unknown as net.Server, 128, () => resolve()),
    );
    servers.push(stats);
  }
  process.title = `uWSGI http ${id}`;
  process.send?.({ t: 'ready' });
}

/** The subscription servers (UDP) of this process and their table (subscription-server.ts). */
async function subscriptionServers(p: HttpRouterPlan): Promise<void> {
  subscriptions = await openSubscriptionServers(
    {
      gateway: 'http',
      addresses: p.subscriptionServers,
      toleranceMs: p.subscriptionToleranceMs,
      algo: p.subscriptionAlgo,
      ...p.subscriptionSign,
    },
    log,
  );
}

function stop(): void {
  if (stopping) return;
  stopping = true;
  for (const s of servers) s.close();
  // in-flight requests finish (their answers say Connection: close); an idle keep-alive client
  // has nothing to wait for: its connection is closed now, and any that turns idle later
  const exit = () => {
    for (const h of httpServers) h.closeIdleConnections();
    if (counters.sessions <= 0) process.exit(0);
    else setTimeout(exit, 100);
  };
  exit();
}

process.on('message', (message: RouterMessage, handle?: unknown) => {
  switch (message.t) {
    case 'router-plan':
      plan = message.plan;
      break;
    case 'router-socket':
      handles.set(message.index, handle as NativeHandle);
      break;
    case 'router-stats-socket':
      statsHandle = handle as NativeHandle;
      break;
    case 'start':
      start().catch((err: unknown) => {
        log(`http router ${id} failed: ${err instanceof Error ? err.message : String(err)}\n`);
        process.exit(1);
      });
      break;
    case 'tls-reload':
      for (const f of tlsFronts) {
        try {
          f.server.setSecureContext({
            ...secureOptions(f.files),
            ALPNProtocols: ALPN,
          } as tls.SecureContextOptions);
          log(`[uwsgi-https] certificate ${f.files.cert} re-read\n`);
        } catch (err) {
          log(
            `[uwsgi-https] certificate ${f.files.cert} not re-read (the old one stays): ${(err as Error).message}\n`,
          );
        }
      }
      if (plan && sni) {
        // a new table: every SNI file read again, sni-dir contexts loaded afresh on first use
        try {
          sni = buildSni(plan);
          log('[uwsgi-https] SNI contexts re-read\n');
        } catch (err) {
          log(`[uwsgi-https] SNI contexts not re-read (the old ones stay): ${(err as Error).message}\n`);
        }
      }
      break;
    case 'stop':
      stop();
      break;
  }
});
// the master's death ends the router (its IPC channel closes)
process.on('disconnect', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
process.on('SIGTERM', () => stop());
