// A request that leaves HTTP on its own connection: uWSGI's websocket_handshake() and a proxy
// offload of an upgrade (bytes after a 101 relayed both ways). The app's response object stays
// the request's handle for the dispatcher (its 'close' writes the request log line, its end()
// closes the connection), but nothing the app writes through it reaches the client any more:
// the connection carries the new protocol's bytes, written straight on its socket.
//
// Two kinds of connection can be taken over:
// - an HTTP socket's upgrade request, served as a plain request by src/worker/upgrades.ts: its
//   socket has left Node's HTTP parser, and `req.upgradeHead` holds what followed the head;
// - a uwsgi or SCGI request (nginx's uwsgi_pass tunnels the bytes after a 101 on the same
//   connection): the bridge's codec stands aside (ExchangeSocket.detach()).
// A FastCGI request or a request Node's parser still reads (no Upgrade header) cannot be.

import type { ServerResponse } from 'node:http';
import type net from 'node:net';
import type { ExchangeSocket } from './exchange-socket.js';
import type { UwsgiRequest } from './request.js';

export interface RawConnection {
  readonly socket: net.Socket;
  /** Bytes of the new protocol that arrived with the request's head (replay them first). */
  readonly head: Buffer;
}

/** Node's private head fields, set so that the response reads as sent (headersSent, the log). */
interface HeadFields {
  _header: string | null;
  _headerSent: boolean;
  bodyBytes?: number;
}

const EMPTY = Buffer.alloc(0);
const taken = new WeakSet<object>();

/** Whether the response's connection was taken over (the fetch adapter then writes nothing). */
export function isTakenOver(res: object): boolean {
  return taken.has(res);
}

/** Why the request's connection cannot be taken over, or undefined when it can. */
export function whyNotRaw(req: UwsgiRequest, res: ServerResponse): string | undefined {
  if (taken.has(res)) return 'the connection was already taken over';
  if (res.headersSent) return 'the response has already started';
  if (req.bridgedHead !== undefined) {
    return (res.socket as unknown as ExchangeSocket | null)?.protocol === 'fastcgi'
      ? 'a FastCGI request cannot leave the protocol (use uwsgi_pass or an HTTP socket)'
      : undefined;
  }
  if (req.upgradeHead === undefined) return 'not an upgrade request (no Upgrade header)';
  return undefined;
}

/**
 * Takes the connection over: `statusHead` (a whole HTTP head, or '' when a backend will send it)
 * goes out first, and from here the caller reads and writes the socket. undefined when it cannot
 * be taken (whyNotRaw() says why).
 */
export function takeOver(
  req: UwsgiRequest,
  res: ServerResponse,
  statusHead: string,
  status: number,
): RawConnection | undefined {
  if (whyNotRaw(req, res) !== undefined) return undefined;
  let socket: net.Socket | undefined;
  let head: Buffer = EMPTY;
  if (req.bridgedHead !== undefined) {
    socket = (res.socket as unknown as ExchangeSocket | null)?.detach();
  } else {
    socket = (res.socket as net.Socket | null) ?? undefined;
    head = req.upgradeHead ?? EMPTY;
    req.upgradeHead = undefined;
  }
  if (socket === undefined || socket.destroyed) return undefined;
  taken.add(res);
  const fields = res as unknown as HeadFields;
  res.statusCode = status;
  if (statusHead !== '') {
    socket.write(statusHead, 'latin1');
    // the request log reads the head it counts headers in from here
    fields._header = statusHead;
  } else fields._header = `HTTP/1.1 ${status} \r\n\r\n`;
  fields._headerSent = true;
  return { socket, head };
}

/** Counts bytes written on a taken-over connection into the request log's "generated N bytes". */
export function countRawBytes(res: ServerResponse, bytes: number): void {
  const fields = res as unknown as HeadFields;
  if (typeof fields.bodyBytes === 'number') fields.bodyBytes += bytes;
}

/** The status the backend's head gave a proxied upgrade (the log line's), once it is known. */
export function setRawHead(res: ServerResponse, head: string): void {
  const status = /^HTTP\/\d\.\d (\d{3})/.exec(head);
  if (status) res.statusCode = Number(status[1]);
  (res as unknown as HeadFields)._header = head;
}
