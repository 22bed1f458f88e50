// Client connections the HTTP router handed to this worker (README "How requests reach the
// workers"): each is served by an http.Server of the worker's own, exactly as a connection accepted
// on an http-socket, for its whole keep-alive life. The server never listens: it only gets these.
// A graceful stop answers the next request of each with `Connection: close` (the dispatcher is
// draining) and waits until every connection is gone: an idle one ends at the server's keep-alive
// timeout, so a client never sees its connection closed under a request it just sent.

import type http from 'node:http';
import net from 'node:net';

/** How often a stop looks whether the handed connections are gone. */
const POLL_MS = 100;

export class HandedConnections {
  private readonly open = new Set<net.Socket>();

  constructor(private readonly server: http.Server) {
    // no listen(): 'listening' starts the server's checks (headersTimeout, keep-alive timeout)
    server.emit('listening');
  }

  get count(): number {
    return this.open.size;
  }

  /** Serves the connection whose kernel handle the master passed. */
  take(handle: unknown): void {
    const socket = new net.Socket({
      handle,
      readable: true,
      writable: true,
    } as net.SocketConstructorOpts);
    socket.setNoDelay(true);
    this.open.add(socket);
    socket.once('close', () => this.open.delete(socket));
    socket.on('error', () => socket.destroy());
    // one that comes while stopping is served one request, then closed (the dispatcher drains)
    this.server.emit('connection', socket);
  }

  /** Calls back once every handed connection is gone; `forceAfterMs` later the rest are cut. */
  close(done: () => void, forceAfterMs: number): void {
    const started = Date.now();
    const check = () => {
      if (this.open.size === 0) return done();
      if (Date.now() - started >= forceAfterMs) for (const s of this.open) s.destroy();
      setTimeout(check, POLL_MS);
    };
    check();
  }
}
