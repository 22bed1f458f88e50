// How routing writes to a client: a response head with exactly the headers uWSGI would send, in
// its order (app headers, then added ones, duplicates where they fall), responses the rules
// produce themselves (return, redirect, break...), and raw bytes on the connection (send, a
// proxied response, a body without its head), after which the connection closes as uWSGI's does.

import { OutgoingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { RoutedResponse } from '../routing/outcome.js';
import { passEnd, passWriteHead, type UwsgiRequest, type UwsgiResponse } from './request.js';

/**
 * Node keeps the headers set with setHeader() in a map keyed by lower-cased name; writeHead()
 * with a list merges the list into it, which groups same-name headers together. With the map
 * emptied (null, as a fresh response has it), writeHead() sends the list as it is: the order
 * uWSGI sends (recorded: core-addheader-override). Found once, like undici's state in
 * fetch-adapter.ts; without it the headers are removed one by one (same headers, grouped order).
 */
const OUT_HEADERS = Object.getOwnPropertySymbols(new OutgoingMessage()).find(
  (s) => s.description === 'kOutHeaders',
);

/** A text as bytes: byte strings (vars, latin1) stay bytes, other text is UTF-8. */
export function textBytes(text: string): Buffer {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the whole latin1 range
  return Buffer.from(text, /^[\x00-\xff]*$/.test(text) ? 'latin1' : 'utf8');
}

/** The headers set on a response so far, in the order they were set, as a flat name/value list. */
export function setHeaders(res: UwsgiResponse): string[] {
  const flat: string[] = [];
  // Node >= 15.13 has it; @types/node 20 does not declare it
  const names = (res as unknown as { getRawHeaderNames(): string[] }).getRawHeaderNames();
  for (const name of names) {
    const value = res.getHeader(name);
    if (Array.isArray(value)) for (const v of value) flat.push(name, v);
    else if (value !== undefined) flat.push(name, String(value));
  }
  return flat;
}

/** Drops every header set so far (the app's, before a reset or a response that replaces it). */
export function clearHeaders(res: UwsgiResponse): void {
  if (OUT_HEADERS !== undefined) (res as unknown as Record<symbol, unknown>)[OUT_HEADERS] = null;
  else for (const name of res.getHeaderNames()) res.removeHeader(name);
}

/**
 * Writes the status line and exactly `flat` (name, value, name, value...). False, with the
 * connection destroyed and a log line, when Node refuses them (a CR/LF a route var put in a value,
 * a status out of range).
 */
export function writeHeadExact(
  res: UwsgiResponse,
  status: number,
  reason: string | undefined,
  flat: readonly string[],
  log: (line: string) => void,
): boolean {
  try {
    clearHeaders(res);
    passWriteHead(res, status, reason, flat);
    return true;
  } catch (err) {
    log(`[uwsgi-route] cannot send the response head: ${err instanceof Error ? err.message : String(err)}\n`);
    res.destroy();
    return false;
  }
}

/** Resolves when the response can take more (or is gone). */
export function drained(res: UwsgiResponse): Promise<void> {
  return new Promise((done) => {
    const finish = () => {
      res.off('drain', finish);
      res.off('close', finish);
      done();
    };
    res.on('drain', finish);
    res.on('close', finish);
  });
}

/** The client connection (the socket of an http-socket, the bridge of a uwsgi/FastCGI/SCGI one). */
export function connectionOf(req: UwsgiRequest): Duplex {
  return req.socket;
}

/** Raw bytes on the connection, before or instead of a response. */
export function writeRaw(req: UwsgiRequest, bytes: Buffer | string): void {
  const socket = connectionOf(req);
  if (socket.writable) socket.write(typeof bytes === 'string' ? textBytes(bytes) : bytes);
}

/** Ends the connection after what was written (nothing at all: the client sees an empty reply). */
export function closeConnection(req: UwsgiRequest, last?: Buffer | string): void {
  const socket = connectionOf(req);
  if (last !== undefined && socket.writable) socket.end(typeof last === 'string' ? textBytes(last) : last);
  else socket.end();
}

/** `404 Not Found` -> [404, 'Not Found']; a line without a reason leaves Node's default reason. */
export function parseStatusLine(line: string): [number, string | undefined] {
  const sp = line.indexOf(' ');
  const code = Number.parseInt(sp < 0 ? line : line.slice(0, sp), 10);
  return [Number.isFinite(code) ? code : 0, sp < 0 ? undefined : line.slice(sp + 1)];
}

/**
 * A response the rules produced (return, redirect, break:STATUS, basicauth, rpc...), instead of
 * the app's: its status line and headers as they are. A status Node cannot write (`break:abc`)
 * goes out as raw bytes.
 */
export function sendRouted(
  req: UwsgiRequest,
  res: UwsgiResponse,
  r: RoutedResponse,
  log: (line: string) => void,
): void {
  const body = typeof r.body === 'string' ? textBytes(r.body) : r.body;
  if (r.status < 100 || r.status > 999) {
    const head = r.headers.map(([k, v]) => `${k}: ${v}\r\n`).join('');
    closeConnection(req, Buffer.concat([textBytes(`HTTP/1.1 ${r.statusLine}\r\n${head}\r\n`), body]));
    return;
  }
  if (r.close) {
    // uWSGI's break: the body ends with the connection, no chunked framing
    res.shouldKeepAlive = false;
    res.useChunkedEncodingByDefault = false;
  }
  const line = r.statusLine;
  const sp = line.indexOf(' ');
  const reason = sp < 0 ? undefined : line.slice(sp + 1);
  // the request log's "generated N bytes" (a cache hit: the item's size, as uWSGI logs it)
  res.bodyBytes += body.length;
  const flat: string[] = [];
  for (const [name, value] of r.headers) flat.push(name, value);
  if (!writeHeadExact(res, r.status, reason, flat, log)) return;
  passEnd(res, body);
}
