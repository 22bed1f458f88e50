// socket-timeout on the HTTP sockets (reference §2.1; uWSGI 2.0.21 drops a stalled head or body
// after it, observed): Node's own timers do not do it (no body timeout at all; the head's is
// checked every 30 s), so the server's idle timer is set to socket-timeout and its 'timeout'
// decides by what the connection is doing. The app's own time is not bounded here (harakiri is).

import type http from 'node:http';
import type net from 'node:net';

type Log = (line: string) => void;

/** What a timed-out connection was doing, and whether that deserves a log line. */
const STALLS = {
  /** The request's body stopped before its length: dropped, logged. */
  body: { log: true, what: 'body incomplete' },
  /** Part of a head came, then nothing: dropped, logged. */
  head: { log: true, what: 'head incomplete' },
  /** The client stopped reading the response: dropped, logged. */
  write: { log: true, what: 'response not read' },
  /** A keep-alive connection between requests, or one that never sent a byte: closed quietly. */
  idle: { log: false, what: 'idle' },
  /** The request is read and the app is working: not ours to bound. */
  app: { log: false, what: 'app' },
} as const;

type Stall = keyof typeof STALLS;

interface ServedSocket extends net.Socket {
  _httpMessage?: http.ServerResponse | null;
}

function stallOf(server: http.Server, socket: ServedSocket): Stall {
  const res = socket._httpMessage;
  if (res) {
    if (!res.req.complete) return 'body';
    return socket.writableLength > 0 ? 'write' : 'app';
  }
  // Node arms keepAliveTimeout + 1 s on a keep-alive connection after each response
  // (_http_server.js resOnFinish), server.timeout again when the next request's bytes come
  if (socket.timeout !== server.timeout || socket.bytesRead === 0) return 'idle';
  return 'head';
}

/**
 * Bounds every read (and write) of an HTTP connection by socket-timeout seconds.
 *
 * @example
 * watchHttpReads(server, plan.socketTimeout, (line) => log(line));
 */
export function watchHttpReads(server: http.Server, socketTimeout: number, log: Log): void {
  if (socketTimeout <= 0) return;
  server.timeout = socketTimeout * 1000;
  server.on('timeout', (socket: ServedSocket) => {
    // decided after this turn's I/O: a worker whose loop was blocked runs its timers before it
    // reads what arrived meanwhile, and that connection has not stalled (bytes refresh the timer)
    setImmediate(decide, server, socket, socket.bytesRead + socket.bytesWritten, socketTimeout, log);
  });
}

function decide(
  server: http.Server,
  socket: ServedSocket,
  moved: number,
  socketTimeout: number,
  log: Log,
): void {
  if (socket.destroyed || socket.bytesRead + socket.bytesWritten !== moved) return;
  const stall = stallOf(server, socket);
  if (stall === 'app') return;
  const row = STALLS[stall];
  if (row.log) {
    log(
      `[uwsgi-ts] HTTP request from ${socket.remoteAddress ?? '?'} (${row.what}) timed out after ${socketTimeout} s (socket-timeout) [ERR_PROTOCOL_TRUNCATED]\n`,
    );
  }
  socket.destroy();
}
