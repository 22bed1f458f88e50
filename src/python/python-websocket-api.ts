// The `uwsgi.websocket_*` calls of a Python app (python/uwsgi_ts/websocket.py), on the same
// WebSocket machinery as a JS app's websocketHandshake() (src/api/websocket.ts): the request the
// calling process serves becomes a WebSocket, kept here until its response is gone. Answers are
// python-api.ts's tagged values (N None, B bytes, E error).

import { type UwsgiWebSocket, websocketHandshake } from '../api/websocket.js';

type Answer = Buffer | Promise<Buffer>;
type Call = (args: readonly Buffer[], api: unknown, proc: { readonly res: unknown }) => Answer;

const NONE = Buffer.from('N');
const bytes = (value: Buffer): Buffer => Buffer.concat([Buffer.from('B'), value]);
const text = (arg: Buffer | undefined): string | undefined =>
  arg === undefined || arg.length === 0 ? undefined : arg.toString('latin1');

/** The WebSocket of each request (its response object), while it lives. */
const sockets = new WeakMap<object, UwsgiWebSocket>();

function socketOf(proc: { readonly res: unknown }): UwsgiWebSocket {
  const ws = typeof proc.res === 'object' && proc.res !== null ? sockets.get(proc.res) : undefined;
  if (ws === undefined) throw new Error('you need to call uwsgi.websocket_handshake() first');
  return ws;
}

export const WEBSOCKET_CALLS: Readonly<Record<string, Call>> = {
  websocket_handshake: ([key, origin, proto], _api, proc) => {
    // the Python app ends the request itself (when websocket_recv() raises, as in uWSGI)
    const ws = websocketHandshake(proc.res, text(key), text(origin), text(proto), { endRequest: false });
    sockets.set(proc.res as object, ws);
    return NONE;
  },
  websocket_recv: (_args, _api, proc) => socketOf(proc).recv().then(bytes),
  // uWSGI's recv_nb answers an empty string when no message is there
  websocket_recv_nb: (_args, _api, proc) => bytes(socketOf(proc).recvNb() ?? Buffer.alloc(0)),
  websocket_send: ([msg], _api, proc) =>
    socketOf(proc)
      .send(msg ?? Buffer.alloc(0))
      .then(() => NONE),
  websocket_send_binary: ([msg], _api, proc) =>
    socketOf(proc)
      .sendBinary(msg ?? Buffer.alloc(0))
      .then(() => NONE),
};
