// uWSGI's WebSocket API for JS apps (seed manual "WebSocket support"; reference: the Python names
// in README "uWSGI's WebSocket API"). The request becomes a WebSocket on its own connection, on an
// HTTP socket, through the HTTP router (`http-websockets`) or behind nginx's `uwsgi_pass`; the
// frames, pings and close are the worker's (src/worker/websocket-session.ts).

import { UwsgiError } from '../errors.js';
import { callRuntime, type RuntimeWebSocket } from './runtime.js';

/**
 * A WebSocket made by websocketHandshake(). uWSGI's `websocket_recv()` is `recv()`,
 * `websocket_recv_nb()` is `recvNb()`, `websocket_send()` is `send()`, `websocket_send_binary()`
 * is `sendBinary()`. Pings, pongs and the peer's close are answered in the background.
 */
export class UwsgiWebSocket {
  /** @internal */
  constructor(private readonly session: RuntimeWebSocket) {}

  /** The peer's next message, as bytes; rejects with ERR_WEBSOCKET_CLOSED once the WebSocket is closed. */
  recv(): Promise<Buffer> {
    return this.session.recv();
  }

  /** A message already received, or undefined (uWSGI: an empty string); throws ERR_WEBSOCKET_CLOSED when closed. */
  recvNb(): Buffer | undefined {
    return this.session.recvNb();
  }

  /** Whether the message recv()/recvNb() returned last came as binary (uWSGI does not say). */
  get binary(): boolean {
    return this.session.binary;
  }

  get closed(): boolean {
    return this.session.closed;
  }

  /** A text message (a string is sent as UTF-8; bytes as they are). Resolves once written. */
  send(data: string | Uint8Array): Promise<void> {
    return this.session.send(checkData('send', data), false);
  }

  /** A binary message. Resolves once written. */
  sendBinary(data: string | Uint8Array): Promise<void> {
    return this.session.send(checkData('sendBinary', data), true);
  }

  /** Sends a close frame (1000 unless given) and ends the connection; the request ends with it. */
  close(code = 1000, reason = ''): void {
    this.session.close(code, reason);
  }
}

export interface WebSocketOptions {
  /**
   * Whether the request ends as the WebSocket closes (default true). false: it stays open until
   * the app ends its response, as a uWSGI worker's request lasts until the app returns (the
   * Python calls use this: their app ends the request when websocket_recv() raises).
   */
  readonly endRequest?: boolean;
}

function checkData(what: string, data: unknown): string | Uint8Array {
  if (typeof data === 'string' || data instanceof Uint8Array) return data;
  throw new UwsgiError('ERR_API_BAD_ARGUMENT', `${what}(): the message must be a string or bytes`);
}

function checkText(what: string, value: unknown): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value;
  throw new UwsgiError('ERR_API_BAD_ARGUMENT', `websocketHandshake(): ${what} must be a string`);
}

/**
 * uWSGI's `websocket_handshake([key, origin, proto])`: answers the request `101` and returns its
 * WebSocket. `request` is the Node `req` or `res`, or the fetch `Request` the app was given. Key,
 * origin and protocol default to the request's Sec-WebSocket-Key, Origin and first
 * Sec-WebSocket-Protocol. When the WebSocket closes, the request ends (its log line says 101);
 * a node-style app must not write its response after the handshake (res.end() closes the
 * WebSocket), and a fetch handler's returned Response is not sent.
 *
 * Throws ERR_WEBSOCKET_HANDSHAKE when the request cannot become a WebSocket (no key, a response
 * already started, a FastCGI request, a request without an Upgrade header on an HTTP socket).
 *
 * @example
 * ```ts
 * import { websocketHandshake } from 'uwsgi-ts';
 * export default async function echo(req, res) {
 *   const ws = websocketHandshake(req);
 *   for (;;) {
 *     const msg = await ws.recv(); // rejects when the client goes
 *     await (ws.binary ? ws.sendBinary(msg) : ws.send(msg));
 *   }
 * }
 * ```
 */
export function websocketHandshake(
  request: unknown,
  key?: string,
  origin?: string,
  protocol?: string,
  options: WebSocketOptions = {},
): UwsgiWebSocket {
  const session = callRuntime(
    'websocketHandshake',
    request,
    checkText('key', key),
    checkText('origin', origin),
    checkText('protocol', protocol),
    options.endRequest !== false,
  );
  return new UwsgiWebSocket(session);
}
