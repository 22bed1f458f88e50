// Requests that leave HTTP on an HTTP socket (`Upgrade: websocket`): http.Server's 'upgrade' event
// handed to the app's upgrade handler (app-loader.ts: an `upgrade(req, socket, head)` export, a
// WebSocketServer on a server the app listen()ed on, a Fastify server's own listener), so `ws`'s
// handleUpgrade code runs unchanged. The app is chosen by mountpoint as for any request. What the
// app writes first on the socket (ws's `HTTP/1.1 101 Switching Protocols`) is the status of the
// request log line, written when the socket closes, as uWSGI logs a WebSocket request at its end.
// A graceful stop closes the sockets still open with a WebSocket close frame 1001 (going away)
// before the mercy runs out (uWSGI kills the worker then, and the peer would see a reset).

import type http from 'node:http';
import type net from 'node:net';
import type { LoadedApp, UpgradeHandler } from './app-loader.js';
import type { HttpEnvContext } from './cgi-env.js';
import { decodePath } from './cgi-env.js';
import type { Dispatcher } from './dispatcher.js';
import { turnStartMs, turnStartPerf } from './loop-clock.js';
import { buildMountTable, type MountTable } from './mounts.js';
import type { WorkerPlan } from './plan.js';
import type { UwsgiRequest, UwsgiResponse } from './request.js';

/** A WebSocket close frame from a server (unmasked, FIN + opcode 8), code 1001: going away. */
const GOING_AWAY = Buffer.from([0x88, 0x02, 0x03, 0xe9]);
const HEAD_END = '\r\n\r\n';

/** What the request log reads of a response (LoggedRequestFacts), for a socket that left HTTP. */
interface DetachedResponse {
  statusCode: number;
  bodyBytes: number;
  _header: string;
  readonly writableFinished: true;
}

interface Slot {
  readonly id: number;
  readonly upgrade: UpgradeHandler | undefined;
}

export interface UpgradeOptions {
  readonly plan: WorkerPlan;
  readonly apps: readonly LoadedApp[];
  readonly dispatcher: Dispatcher;
  readonly log: (line: string) => void;
  /**
   * Serves an upgrade request no upgrade handler takes as a plain request on its socket, where
   * the app may take it over with uWSGI's API (websocketHandshake(), src/worker/raw-connection.ts).
   */
  readonly plain: (req: UwsgiRequest, socket: net.Socket, context: HttpEnvContext) => void;
}

export class Upgrades {
  private readonly open = new Set<net.Socket>();
  private readonly mounts: MountTable<Slot>;

  constructor(private readonly options: UpgradeOptions) {
    this.mounts = buildMountTable(
      options.apps.map((app, id) => ({ mountpoint: app.spec.mountpoint, app: { id, upgrade: app.upgrade } })),
      options.plan,
    );
  }

  get count(): number {
    return this.open.size;
  }

  serve(
    req: UwsgiRequest,
    socket: net.Socket,
    head: Buffer,
    context: HttpEnvContext,
    server: http.Server,
  ): void {
    req.envContext = context;
    // what followed the head: the app's websocketHandshake() or a proxy offload replays it
    req.upgradeHead = head;
    // an HTTP socket has no SCRIPT_NAME: the path picks the app under manage-script-name
    const pick = this.mounts.select(decodePath((req.url ?? '/').split('?')[0] ?? '/'), '');
    const handler = pick?.app.upgrade;
    if (!pick || !handler) {
      this.notTaken(req, socket, head, context, server);
      return;
    }
    const url = req.url;
    if (pick.mountpoint !== '') {
      req.mountpoint = pick.scriptName;
      const rest = (url ?? '/').slice(pick.mountpoint.length);
      req.url = rest === '' || rest.startsWith('?') ? `/${rest}` : rest;
    }
    req.appId = pick.app.id;
    req.startMs = turnStartMs();
    req.startPerf = turnStartPerf();
    // read now: Node forgets the peer once the socket is closed, when the line is written
    void req.socket.remoteAddress;
    const res = this.watch(socket);
    let taken = true;
    this.open.add(socket);
    socket.once('close', () => {
      this.open.delete(socket);
      if (!taken) return;
      // nothing written: the app dropped the socket without an answer
      if (res.statusCode === 0) res.statusCode = 499;
      this.options.dispatcher.countDetached(req);
      this.options.dispatcher.logDetached(req, res as unknown as UwsgiResponse);
    });
    try {
      if (handler(req, socket, head) === false) {
        // nobody took it (a listen()ed server without a WebSocket server): a plain request
        taken = false;
        this.open.delete(socket);
        req.url = url;
        req.mountpoint = '';
        this.notTaken(req, socket, head, context, server);
      }
    } catch (err) {
      const stack = err instanceof Error ? (err.stack ?? err.message) : String(err);
      this.options.log(
        `[uwsgi-ts] exception in the upgrade handler of app ${pick.app.id} for ${req.url}:\n${stack}\n`,
      );
      if (socket.writable && res.statusCode === 0) {
        socket.end('HTTP/1.1 500 Internal Server Error\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      } else socket.destroy();
    }
  }

  /**
   * An upgrade no handler takes. A WebSocket one is served as a plain request on its socket,
   * where the app may take it over (websocketHandshake(), a proxy offload). Any other (`h2c`...)
   * is what Node serves as a plain request when nobody listens for upgrades: its head, without
   * the upgrade headers, and the bytes after it are parsed again by the server, so a body
   * (which the 'upgrade' event leaves unread in `head`) and keep-alive work as before.
   */
  private notTaken(
    req: UwsgiRequest,
    socket: net.Socket,
    head: Buffer,
    context: HttpEnvContext,
    server: http.Server,
  ): void {
    if (isWebSocketUpgrade(req)) {
      this.options.plain(req, socket, context);
      return;
    }
    socket.unshift(Buffer.concat([headWithoutUpgrade(req), head]));
    // an https server's HTTP side listens on 'secureConnection' ('connection' would start TLS again)
    server.emit((socket as { encrypted?: boolean }).encrypted ? 'secureConnection' : 'connection', socket);
  }

  /** Reads the status and head of what the app writes first; counts the bytes after it. */
  private watch(socket: net.Socket): DetachedResponse {
    const res: DetachedResponse = { statusCode: 0, bodyBytes: 0, _header: '', writableFinished: true };
    const write = socket.write;
    let head = '';
    socket.write = function (this: net.Socket, chunk: unknown, ...rest: unknown[]): boolean {
      const bytes =
        typeof chunk === 'string'
          ? Buffer.byteLength(chunk)
          : ((chunk as Uint8Array | undefined)?.length ?? 0);
      if (res.statusCode === 0) {
        head += typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('latin1');
        const end = head.indexOf(HEAD_END);
        const status = /^HTTP\/1\.[01] (\d{3})/.exec(head);
        if (status && end >= 0) {
          res.statusCode = Number(status[1]);
          res._header = head.slice(0, end + HEAD_END.length);
          res.bodyBytes = head.length - res._header.length;
        }
      } else res.bodyBytes += bytes;
      return (write as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
    } as typeof socket.write;
    return res;
  }

  /** A graceful stop: every open WebSocket gets a close frame 1001, then its socket ends. */
  closeAll(): void {
    for (const socket of this.open) {
      if (socket.writable) socket.end(GOING_AWAY);
      else socket.destroy();
      // a peer that never answers the close is not waited for
      setTimeout(() => socket.destroy(), 1000).unref();
    }
  }
}

/** An upgrade request no app takes, answered as a plain request on its socket (Node's default). */
export function plainOnSocket(
  req: UwsgiRequest,
  socket: net.Socket,
  Response: new (req: UwsgiRequest) => http.ServerResponse,
): UwsgiResponse {
  const res = new Response(req) as UwsgiResponse;
  res.shouldKeepAlive = false;
  res.assignSocket(socket);
  res.on('finish', () => socket.end());
  return res;
}

function isWebSocketUpgrade(req: http.IncomingMessage): boolean {
  return /(^|,)\s*websocket\s*(,|$)/i.test(String(req.headers.upgrade ?? ''));
}

/** The request's head as the client sent it, without `Upgrade` and `Connection`. */
function headWithoutUpgrade(req: http.IncomingMessage): Buffer {
  let text = `${req.method} ${req.url} HTTP/${req.httpVersion}\r\n`;
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string;
    const lower = name.toLowerCase();
    if (lower === 'upgrade' || lower === 'connection') continue;
    text += `${name}: ${raw[i + 1]}\r\n`;
  }
  return Buffer.from(`${text}\r\n`, 'latin1');
}
