// One request of a uwsgi, SCGI or FastCGI connection handed to the app: the head the codec parsed
// becomes Node's own IncomingMessage and ServerResponse (the worker's subclasses), built directly
// as light-my-request builds them for fastify.inject, with an ExchangeSocket standing in for their
// socket. Nothing is written out as HTTP text and parsed again (issue 12).

import type { IncomingMessage, ServerResponse } from 'node:http';
import type net from 'node:net';
import type { RequestHead } from '../protocol/request-head.js';
import {
  type BridgeProtocol,
  type ExchangeOwner,
  ExchangeSocket,
  type FedRequest,
} from './exchange-socket.js';
import { UwsgiRequest, type UwsgiResponse } from './request.js';

/** What the worker does with a request (the dispatcher, through http.Server's request handler). */
export type RequestHandler = (req: UwsgiRequest, res: UwsgiResponse) => void;

/** CGI vars that describe the original connection, not the request: never made headers. */
const HOP_BY_HOP = new Set([
  'HTTP_CONNECTION',
  'HTTP_KEEP_ALIVE',
  'HTTP_TRANSFER_ENCODING',
  'HTTP_CONTENT_LENGTH',
  'HTTP_CONTENT_TYPE',
  'HTTP_UPGRADE',
  'HTTP_PROXY_CONNECTION',
  'HTTP_TE',
]);

/** `HTTP_USER_AGENT` -> `user-agent` (the lower case Node gives every request header). */
function headerName(varName: string): string {
  let out = '';
  for (let i = 5; i < varName.length; i++) {
    const c = varName.charCodeAt(i);
    out += c === 95 ? '-' : c >= 65 && c <= 90 ? String.fromCharCode(c + 32) : varName[i];
  }
  return out;
}

/** The request target: REQUEST_URI as sent, else rebuilt from SCRIPT_NAME, PATH_INFO and QUERY_STRING. */
export function requestTarget(vars: ReadonlyMap<string, string>): string {
  let uri = vars.get('REQUEST_URI');
  if (!uri) {
    const qs = vars.get('QUERY_STRING');
    uri = `${vars.get('SCRIPT_NAME') ?? ''}${vars.get('PATH_INFO') ?? '/'}${qs ? `?${qs}` : ''}`;
  }
  if (!uri.startsWith('/') && !uri.startsWith('http')) uri = `/${uri}`;
  return uri;
}

/**
 * Node's `headers` and `rawHeaders` from the CGI vars: HTTP_* as lower-case names, then
 * content-type and content-length (always present, 0 without a body, as the request's length).
 * Values are latin1 strings (every byte kept), as Node's own parser gives them.
 */
function fillHeaders(req: IncomingMessage, vars: ReadonlyMap<string, string>): void {
  const headers: Record<string, string> = {};
  const raw: string[] = [];
  for (const [key, value] of vars) {
    if (!key.startsWith('HTTP_') || HOP_BY_HOP.has(key)) continue;
    const name = headerName(key);
    headers[name] = value;
    raw.push(name, value);
  }
  const type = vars.get('CONTENT_TYPE');
  if (type) {
    headers['content-type'] = type;
    raw.push('content-type', type);
  }
  const length = vars.get('CONTENT_LENGTH') || '0';
  headers['content-length'] = length;
  raw.push('content-length', length);
  req.headers = headers;
  req.rawHeaders = raw;
}

/**
 * Opens the exchange of one parsed request and hands it to the app. The body follows through
 * feed()/feedEnd() on the returned socket's request.
 */
export function openExchange(
  socket: net.Socket,
  protocol: BridgeProtocol,
  head: RequestHead,
  owner: ExchangeOwner,
  handle: RequestHandler,
  Response: typeof UwsgiResponse | typeof ServerResponse,
  requestId = 0,
  keepConn = false,
): ExchangeSocket {
  const x = new ExchangeSocket(socket, protocol, head, owner, requestId, keepConn);
  const req = new UwsgiRequest(x as unknown as net.Socket);
  req.bridgedHead = head;
  const vars = head.vars;
  req.method = vars.get('REQUEST_METHOD') || 'GET';
  req.url = requestTarget(vars);
  // HTTP/1.0 to Node: no chunked framing, the response ends with the connection (what
  // uwsgi_pass, scgi_pass and a FastCGI STDOUT stream expect)
  req.httpVersionMajor = 1;
  req.httpVersionMinor = 0;
  req.httpVersion = '1.0';
  fillHeaders(req, vars);
  x.request = req as unknown as FedRequest;
  const res = new Response(req) as UwsgiResponse;
  res.shouldKeepAlive = false;
  res.assignSocket(x as unknown as net.Socket);
  res.on('finish', onResponseFinish);
  handle(req, res);
  return x;
}

/** A module-level listener (no closure per request): `this` is the response. */
function onResponseFinish(this: ServerResponse): void {
  const x = this.socket as unknown as ExchangeSocket | null;
  if (x === null) return;
  const req = x.request;
  // as http.Server does: a body the app never read is read and dropped, so the peer can finish
  // sending it and read the answer (closing now would reset the connection under it)
  if (req !== undefined && !req._consuming && !req.readableEnded) req._dump();
  x.finish();
}
