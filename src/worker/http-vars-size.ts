// uWSGI's "{N vars in B bytes}" of an HTTP request without building its CGI vars: the request log
// needs only their count and uwsgi-packet size, and building the Map (src/worker/cgi-env.ts
// httpRequestVars) cost ~4% of a worker's time on a hello app. Gives exactly
// varsSize(httpRequestVars(req, ctx)) (test/unit/worker/http-vars-size.test.ts checks it).

import type { IncomingMessage } from 'node:http';
import { decodePath, type HttpEnvContext } from './cgi-env.js';

/** UTF-8 length of s[from, to); a JS loop beats Buffer.byteLength on a request head's strings. */
function utf8Length(s: string, from = 0, to = s.length): number {
  let n = to - from;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < to) {
      // a surrogate pair: 2 UTF-16 units, 4 bytes
      n += 2;
      i++;
    } else n += 2;
  }
  return n;
}

/** Digits of a port number as String() prints it ('' when there is none). */
const portLength = (port: number | undefined) =>
  port === undefined ? 0 : port < 10 ? 1 : port < 100 ? 2 : port < 1000 ? 3 : port < 10000 ? 4 : 5;

/** Two header names give the same HTTP_* var (case-insensitive, `-` and `_` alike). */
function sameVar(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 97 && x <= 122) x -= 32;
    else if (x === 45) x = 95;
    if (y >= 97 && y <= 122) y -= 32;
    else if (y === 45) y = 95;
    if (x !== y) return false;
  }
  return true;
}

const lowerIs = (name: string, lower: string) => name.length === lower.length && name.toLowerCase() === lower;

/** 4 bytes of lengths, then key and value: one var of a uwsgi packet. */
const entry = (keyBytes: number, value: string) => 4 + keyBytes + utf8Length(value);

/**
 * `localPort`: the socket's, read while it is open (a destroyed socket forgets it; the request log
 * formats its lines at the end of the event-loop turn).
 */
export function httpVarsSize(
  req: IncomingMessage,
  ctx: HttpEnvContext,
  localPort = req.socket.localPort,
): { count: number; bytes: number } {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const end = q < 0 ? url.length : q;
  const socket = req.socket;
  // PATH_INFO is the decoded path: only an escape changes its length
  const pathBytes =
    url.lastIndexOf('%', end - 1) < 0 ? utf8Length(url, 0, end) : utf8Length(decodePath(url.slice(0, end)));
  const uriBytes = utf8Length(url);
  let vars = 11;
  // REQUEST_METHOD PATH_INFO REQUEST_URI QUERY_STRING SERVER_PROTOCOL (HTTP/x.y) SCRIPT_NAME ('')
  // SERVER_NAME SERVER_PORT REMOTE_ADDR REMOTE_PORT, and UWSGI_SCHEME last: 4 + key bytes + value
  let bytes =
    entry(14, req.method ?? 'GET') +
    (4 + 9 + pathBytes) +
    (4 + 11 + uriBytes) +
    (4 + 12 + (q < 0 ? 0 : uriBytes - utf8Length(url, 0, q + 1))) +
    (4 + 15 + 5 + req.httpVersion.length) +
    (4 + 11) +
    entry(11, ctx.serverName) +
    (4 + 11 + portLength(localPort)) +
    entry(11, socket.remoteAddress ?? '') +
    (4 + 11 + portLength(socket.remotePort)) +
    (4 + 12 + (ctx.https ? 5 : 4));
  if (ctx.https) {
    vars++;
    bytes += 4 + 5 + 2;
  }
  const raw = req.rawHeaders;
  // CONTENT_TYPE and CONTENT_LENGTH: the last one wins (a Map set)
  let contentType: string | undefined;
  let contentLength: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] ?? '';
    const value = raw[i + 1] ?? '';
    if (lowerIs(name, 'content-type')) contentType = value;
    else if (lowerIs(name, 'content-length')) contentLength = value;
    // a name seen before: its value was joined to the first one's, with ", " ("; " for cookies)
    let seen = false;
    for (let j = 0; j < i && !seen; j += 2) seen = sameVar(raw[j] ?? '', name);
    if (seen) bytes += 2 + utf8Length(value);
    else {
      vars++;
      bytes += entry(5 + utf8Length(name), value);
    }
  }
  if (contentType !== undefined) {
    vars++;
    bytes += entry(12, contentType);
  }
  if (contentLength !== undefined) {
    vars++;
    bytes += entry(14, contentLength);
  }
  return { count: vars * 2, bytes };
}
