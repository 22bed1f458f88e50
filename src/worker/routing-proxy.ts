// The proxy offloads of the routing rules (reference §4.4 router_http, router_uwsgi): one
// connection to the backend per request, the request (head from the vars as the rules left them,
// then the body as it streams in) written to it, and whatever the backend answers written to
// the client as it comes, after which the client connection closes, as uWSGI's offloaded proxy
// does. Nothing blocks: connect, request body and response all stream on the event loop. A
// backend that cannot be reached is a 502 and a log line (STYLE.md rule 4).
//
// An upgrade request (`Upgrade: websocket`, the seed's authenticated WebSocket proxy) is relayed
// the same way, and once the backend accepts the connection the client's connection is taken
// over (src/worker/raw-connection.ts): the bytes after the 101 then flow both ways, for as long
// as either side keeps its connection open.

import net from 'node:net';
import { UwsgiError } from '../errors.js';
import { parseAddress } from '../net/address.js';
import { encodeUwsgiPacket, encodeUwsgiVars } from '../protocol/uwsgi.js';
import type { Offload } from '../routing/outcome.js';
import { countRawBytes, type RawConnection, setRawHead, takeOver } from './raw-connection.js';
import { passEnd, type UwsgiRequest, type UwsgiResponse } from './request.js';
import { closeConnection, connectionOf, textBytes, writeHeadExact } from './routing-output.js';

type HttpOffload = Extract<Offload, { kind: 'http' }>;
type UwsgiOffload = Extract<Offload, { kind: 'uwsgi' }>;

export interface ProxyContext {
  readonly log: (line: string) => void;
  /** socket-timeout in ms: how long the backend may take to accept the connection. */
  readonly connectTimeoutMs: number;
}

/** `host:port`, `[::1]:port`, a unix path or `@abstract`, as uWSGI's connect reads them. */
function connectOptions(address: string): net.NetConnectOpts {
  const a = parseAddress(address, 'routing proxy');
  switch (a.kind) {
    case 'tcp':
      return { host: a.host === '0.0.0.0' ? '127.0.0.1' : a.host, port: a.port };
    case 'unix':
      return { path: a.path };
    case 'abstract':
      return { path: `\0${a.name}` };
    default:
      throw new UwsgiError('ERR_SOCKET_BAD_ADDRESS', `"${address}" is not an address a proxy can connect to`);
  }
}

/** `HTTP_X_FORWARDED_FOR` -> `X-Forwarded-For` (the header name a CGI var stands for). */
function headerName(varName: string): string {
  return varName
    .slice(5)
    .split('_')
    .map((w) => (w === '' ? w : w[0] + w.slice(1).toLowerCase()))
    .join('-');
}

/** Connection-level headers: the proxied request is HTTP/1.0 and carries its own length. */
const HOP_BY_HOP = new Set([
  'HTTP_CONNECTION',
  'HTTP_KEEP_ALIVE',
  'HTTP_TRANSFER_ENCODING',
  'HTTP_CONTENT_LENGTH',
  'HTTP_CONTENT_TYPE',
  'HTTP_PROXY_CONNECTION',
  'HTTP_TE',
  'HTTP_UPGRADE',
]);

/**
 * `http`/`proxyhttp`: the request as HTTP/1.0 (observed on 2.0.21: the backend sees version
 * 1.0), Host and URI replaced when the rule gives them.
 */
export function httpRequestHead(vars: ReadonlyMap<string, string>, o: HttpOffload): string {
  const uri = o.uri ?? (vars.get('REQUEST_URI') || '/');
  // an upgrade needs HTTP/1.1 and its two headers (RFC 6455 §4.1): kept, and only then
  const upgrade = vars.get('HTTP_UPGRADE');
  let head = `${vars.get('REQUEST_METHOD') || 'GET'} ${uri} HTTP/1.${upgrade ? 1 : 0}\r\n`;
  if (upgrade) head += `Connection: Upgrade\r\nUpgrade: ${upgrade}\r\n`;
  if (o.host !== undefined) head += `Host: ${o.host}\r\n`;
  for (const [key, value] of vars) {
    if (!key.startsWith('HTTP_') || HOP_BY_HOP.has(key)) continue;
    if (key === 'HTTP_HOST' && o.host !== undefined) continue;
    head += `${headerName(key)}: ${value}\r\n`;
  }
  const type = vars.get('CONTENT_TYPE');
  if (type) head += `Content-Type: ${type}\r\n`;
  const length = vars.get('CONTENT_LENGTH');
  if (length && length !== '0') head += `Content-Length: ${length}\r\n`;
  return `${head}\r\n`;
}

/** `httpdumb`: the request as the client sent it (its own protocol and headers). */
export function dumbRequestHead(req: UwsgiRequest, vars: ReadonlyMap<string, string>): string {
  const uri = vars.get('REQUEST_URI') || req.url || '/';
  let head = `${vars.get('REQUEST_METHOD') || req.method || 'GET'} ${uri} ${vars.get('SERVER_PROTOCOL') || `HTTP/${req.httpVersion}`}\r\n`;
  if (req.bridgedHead !== undefined) {
    // over uwsgi (nginx) the headers are the HTTP_ vars, Upgrade and Connection included (the
    // request's own headers leave those out)
    for (const [key, value] of vars) if (key.startsWith('HTTP_')) head += `${headerName(key)}: ${value}\r\n`;
    const type = vars.get('CONTENT_TYPE');
    if (type) head += `Content-Type: ${type}\r\n`;
    const length = vars.get('CONTENT_LENGTH');
    if (length && length !== '0') head += `Content-Length: ${length}\r\n`;
    return `${head}\r\n`;
  }
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) head += `${raw[i]}: ${raw[i + 1]}\r\n`;
  return `${head}\r\n`;
}

/** `uwsgi`/`proxyuwsgi`: the vars as a uwsgi packet with the rule's modifiers (and UWSGI_APPID). */
export function uwsgiRequestPacket(vars: ReadonlyMap<string, string>, o: UwsgiOffload): Buffer {
  const pairs = [...vars];
  if (o.appId !== undefined) pairs.push(['UWSGI_APPID', o.appId]);
  return encodeUwsgiPacket(o.modifier1, o.modifier2, encodeUwsgiVars(pairs));
}

/** A 502 when nothing reached the client yet, else the connection closed. */
function badGateway(
  req: UwsgiRequest,
  res: UwsgiResponse,
  ctx: ProxyContext,
  why: string,
  started: boolean,
): void {
  ctx.log(`[uwsgi-route] proxy for ${req.method} ${req.url}: ${why}\n`);
  if (started || res.headersSent) {
    connectionOf(req).destroy();
    return;
  }
  res.shouldKeepAlive = false;
  const body = textBytes('Bad Gateway\n');
  if (
    writeHeadExact(
      res,
      502,
      'Bad Gateway',
      ['Content-Type', 'text/plain', 'Content-Length', String(body.length)],
      ctx.log,
    )
  )
    passEnd(res, body);
}

/**
 * Sends `head` then the request body to the backend at `address` and the backend's answer, byte
 * for byte, to the client; the client connection closes with the backend's.
 */
function relay(
  req: UwsgiRequest,
  res: UwsgiResponse,
  address: string,
  head: Buffer,
  ctx: ProxyContext,
  withBody: boolean,
): void {
  let options: net.NetConnectOpts;
  try {
    options = connectOptions(address);
  } catch (err) {
    badGateway(req, res, ctx, err instanceof Error ? err.message : String(err), false);
    return;
  }
  const client = connectionOf(req);
  const backend = net.connect(options);
  let started = false;
  let connected = false;
  if (ctx.connectTimeoutMs > 0) {
    backend.setTimeout(ctx.connectTimeoutMs, () => {
      if (!connected)
        backend.destroy(new Error(`no connection to ${address} within ${ctx.connectTimeoutMs / 1000} s`));
    });
  }
  let raw: RawConnection | undefined;
  backend.on('connect', () => {
    connected = true;
    backend.setTimeout(0);
    backend.write(head);
    if (isUpgrade(req)) {
      raw = takeOver(req, res, '', 101);
      if (raw !== undefined) {
        tunnel(raw, backend, res);
        return;
      }
    }
    if (withBody) req.pipe(backend, { end: false });
  });
  backend.on('data', (chunk: Buffer) => {
    if (raw !== undefined) {
      // the backend's head names the status of the request log line
      if (!started)
        setRawHead(res, chunk.toString('latin1', 0, Math.min(chunk.length, 4096)).split('\r\n\r\n')[0] ?? '');
      countRawBytes(res, chunk.length);
    }
    started = true;
    const to = raw?.socket ?? client;
    if (!to.write(chunk)) {
      backend.pause();
      to.once('drain', () => backend.resume());
    }
  });
  backend.on('end', () => {
    if (raw !== undefined) {
      if (!res.writableEnded) res.end();
      raw.socket.end();
    } else closeConnection(req);
  });
  backend.on('error', (err: NodeJS.ErrnoException) =>
    badGateway(req, res, ctx, `${address}: ${err.code ?? err.message}`, started),
  );
  // the client went away: nobody reads the backend's answer any more
  client.once('close', () => backend.destroy());
}

/** An upgrade request whose connection can leave HTTP (an HTTP socket's, or uwsgi's behind nginx). */
function isUpgrade(req: UwsgiRequest): boolean {
  return req.upgradeHead !== undefined || (req.bridgedHead?.vars.get('HTTP_UPGRADE') ?? '') !== '';
}

/** After the head: the client's bytes (those that came with its head first) to the backend. */
function tunnel(raw: RawConnection, backend: net.Socket, res: UwsgiResponse): void {
  const client = raw.socket;
  if (raw.head.length > 0) backend.write(raw.head);
  client.setTimeout(0);
  client.on('data', (chunk: Buffer) => {
    if (!backend.write(chunk)) {
      client.pause();
      backend.once('drain', () => client.resume());
    }
  });
  client.on('end', () => backend.end());
  client.on('error', () => {});
  client.on('close', () => {
    backend.destroy();
    if (!res.writableEnded) res.end();
  });
}

/** `http`, `proxyhttp`, `httpdumb` (and `httpconnect`, which only tunnels a CONNECT: see below). */
export function proxyHttp(
  req: UwsgiRequest,
  res: UwsgiResponse,
  vars: ReadonlyMap<string, string>,
  o: HttpOffload,
  ctx: ProxyContext,
): void {
  // httpconnect: a tunnel, nothing of the request is sent, the two sides then talk (2.0.21 does
  // it for any method: recorded proxy-httpconnect, where the backend and the client wait on each
  // other). Node's http.Server hands a real CONNECT to its 'connect' event, never to routing.
  const head =
    o.mode === 'connect' ? '' : o.mode === 'dumb' ? dumbRequestHead(req, vars) : httpRequestHead(vars, o);
  relay(req, res, o.address, textBytes(head), ctx, true);
}

/** `uwsgi`, `proxyuwsgi`: the request as a uwsgi packet, the answer relayed as it comes. */
export function proxyUwsgi(
  req: UwsgiRequest,
  res: UwsgiResponse,
  vars: ReadonlyMap<string, string>,
  o: UwsgiOffload,
  ctx: ProxyContext,
): void {
  let packet: Buffer;
  try {
    packet = uwsgiRequestPacket(vars, o);
  } catch (err) {
    badGateway(req, res, ctx, err instanceof Error ? err.message : String(err), false);
    return;
  }
  relay(req, res, o.address, packet, ctx, true);
}
