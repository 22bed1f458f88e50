// `http-websockets` (reference §2.11; seed manual "WebSocket support"): a request with `Upgrade:`
// is relayed as HTTP to an HTTP socket of the own workers, whose upgrade path answers it (the
// app's `ws` handshake, src/worker/upgrades.ts); after that the router copies bytes both ways
// until either side closes. FastCGI and uwsgi packets end with the answer, so they cannot carry
// the frames that follow a 101: HTTP to the worker is the one transport that can.

import type http from 'node:http';
import type net from 'node:net';
import { type BackendAddress, connectOnce } from '../backends.js';

export interface UpgradeContext {
  readonly to: BackendAddress;
  readonly connectTimeoutMs: number;
  /** The client's address (PROXY header or socket), appended to X-Forwarded-For. */
  peerOf(socket: net.Socket): { address: string; port: number };
  readonly https: boolean;
  log(line: string): void;
}

/** The request head as the client sent it, plus X-Forwarded-For/-Proto naming the client. */
function requestHead(req: http.IncomingMessage, client: string, https: boolean): string {
  const lines = [`${req.method} ${req.url} HTTP/${req.httpVersion}`];
  const raw = req.rawHeaders;
  let forwarded = '';
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string;
    const lower = name.toLowerCase();
    if (lower === 'x-forwarded-for') forwarded = `${raw[i + 1]}, `;
    else if (lower !== 'x-forwarded-proto') lines.push(`${name}: ${raw[i + 1]}`);
  }
  lines.push(`X-Forwarded-For: ${forwarded}${client}`);
  lines.push(`X-Forwarded-Proto: ${https ? 'https' : 'http'}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/**
 * The client and the backend joined raw after what goes first to the backend (the request): each
 * side's backpressure pauses the other (pipe), either end closing ends both.
 */
export function joinRaw(
  client: net.Socket,
  backend: net.Socket,
  first: readonly Buffer[],
  onBackendError: (err: Error) => void,
): void {
  for (const bytes of first) if (bytes.length > 0) backend.write(bytes);
  backend.pipe(client);
  client.pipe(backend);
  const end = () => {
    backend.destroy();
    client.destroy();
  };
  backend.on('error', (err) => {
    onBackendError(err);
    end();
  });
  backend.once('close', end);
  client.once('close', end);
}

export function relayUpgrade(
  ctx: UpgradeContext,
  req: http.IncomingMessage,
  client: net.Socket,
  head: Buffer,
): void {
  const peer = ctx.peerOf(client);
  const what = `${req.method} ${req.url} from ${peer.address}`;
  client.on('error', () => client.destroy());
  connectOnce({ name: 'the workers (http)', address: ctx.to }, ctx.connectTimeoutMs).then(
    (backend) => {
      if (client.destroyed) {
        backend.destroy();
        return;
      }
      joinRaw(
        client,
        backend,
        [Buffer.from(requestHead(req, peer.address, ctx.https), 'latin1'), head],
        (err) => ctx.log(`[uwsgi-http] upgrade ${what}: backend ${err.message}\n`),
      );
    },
    (err: Error) => {
      ctx.log(`[uwsgi-http] upgrade ${what}: no worker answered (${err.message}) -> 502\n`);
      client.end('HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    },
  );
}
