// A uwsgi socket served without a net.Socket per connection (README "Request path", issue 12).
// nginx's uwsgi_pass opens one upstream connection per request, and Node's per-connection
// machinery cost a worker more than the request: native/conn.c accepts, reads and writes in C as
// uWSGI's core does, and calls here once per request with the bytes it read. A request whose head
// and body came whole (nginx's GETs and small POSTs) is opened as an exchange right here, its
// answer handed back in one call; anything else (a body still on the wire, a packet that is not a
// request, bad bytes, a quiet peer) is handed over: the fd becomes a net.Socket and the codec path
// of bridge-server.ts goes on with the bytes already read, exactly as before.

import { createRequire } from 'node:module';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { parseWholeRequest } from '../protocol/uwsgi.js';
import { adoptConnection, type BridgeOptions, servedOptions } from './bridge-server.js';
import { openExchange } from './exchange.js';
import type { ExchangeOwner, ExchangeSocket } from './exchange-socket.js';
import { isRawPacket } from './packet-handlers.js';

const ADDON_PATH = fileURLToPath(new URL('../../build/Release/uwsgi_ts_conn.node', import.meta.url));

type Listener = object;

interface ConnAddon {
  accept(
    fd: number,
    onRequest: (id: number, bytes: Buffer) => void,
    onEvent: (id: number, event: number, bytes?: Buffer, fd?: number) => void,
    timeoutMs: number,
    handoverMs: number,
    maxHead: number,
  ): Listener;
  stopAccepting(listener: Listener): void;
  live(listener: Listener): number;
  /** Bytes still held in C after this write; -1 when the connection is gone. */
  write(id: number, chunks: Buffer[], end: 0 | 1 | 2): number;
  destroy(id: number): void;
  take(id: number): number;
}

/** native/conn.c's events. */
const EV_HANDOVER = 1;
const EV_DRAIN = 2;
const EV_LOST = 3;

/** A response holding more than this (here and in C) asks its writer to wait for 'drain'. */
const HIGH_WATER = 65536;
/** A connection that sent nothing for this long is handed to the codec path (and its socket-timeout). */
const HANDOVER_MS = 500;

let loaded: ConnAddon | null | undefined;

/** The addon, loaded once; null when it was not built or UWSGI_TS_NATIVE_CONN=0 turns it off. */
export function connAddon(): ConnAddon | null {
  if (loaded !== undefined) return loaded;
  loaded = null;
  if (process.env['UWSGI_TS_NATIVE_CONN'] === '0') return loaded;
  try {
    const value = createRequire(import.meta.url)(ADDON_PATH) as Partial<ConnAddon>;
    if (typeof value.accept === 'function') loaded = value as ConnAddon;
  } catch {}
  return loaded;
}

type Callback = (err?: Error | null) => void;
type Chunk = Buffer | Uint8Array | string;

/**
 * The socket an exchange writes its answer to: the part of net.Socket that ExchangeSocket uses.
 * Bytes gather until the end of the turn (a head and its body leave in one writev, the answer
 * and its end in one call when the app answers at once).
 */
class NativeConn implements ExchangeOwner {
  destroyed = false;
  exchange: ExchangeSocket | undefined = undefined;
  private out: Buffer[] = [];
  private outBytes = 0;
  private held = 0;
  private callbacks: Callback[] = [];
  private scheduled = false;
  private ended = false;
  private corked = 0;
  private waitingDrain = false;
  /** After detach(): the net.Socket everything goes to from then on. */
  private socket: net.Socket | undefined = undefined;

  constructor(
    private readonly bridge: NativeBridge,
    readonly id: number,
    /** The peer sent bytes behind its request: C reads them away before closing. */
    private readonly junk: boolean,
  ) {}

  get writableLength(): number {
    return this.socket ? this.socket.writableLength : this.outBytes + this.held;
  }

  get writableCorked(): number {
    return this.corked;
  }

  /**
   * The connection as a net.Socket (ExchangeSocket.detach(): an upgrade, a proxied stream):
   * C lets go of the fd, the bytes not written yet go first, and every later call of this object
   * goes to the socket. Undefined when C cannot let go (gone, answered, answer bytes held there).
   */
  detach(): net.Socket | undefined {
    if (this.socket) return this.socket;
    if (this.destroyed || this.ended || this.held > 0) return undefined;
    const fd = this.bridge.addon.take(this.id);
    if (fd < 0) return undefined;
    this.bridge.forget(this.id);
    const socket = this.bridge.socketOf(fd);
    this.socket = socket;
    const pending = this.take();
    for (const bytes of pending) socket.write(bytes);
    socket.on('drain', () => this.exchange?.drained());
    socket.on('close', () => {
      if (!this.ended) this.gone();
    });
    return socket;
  }

  write(chunk: Chunk, encoding?: BufferEncoding | Callback, done?: Callback): boolean {
    if (typeof encoding === 'function') {
      done = encoding;
      encoding = undefined;
    }
    if (this.socket) return this.socket.write(chunk, encoding as BufferEncoding, done);
    if (this.destroyed || this.ended) {
      if (done) process.nextTick(done);
      return true;
    }
    const bytes =
      typeof chunk === 'string'
        ? Buffer.from(chunk, encoding ?? 'utf8')
        : Buffer.isBuffer(chunk)
          ? chunk
          : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (bytes.length > 0) {
      this.out.push(bytes);
      this.outBytes += bytes.length;
    }
    if (done) this.callbacks.push(done);
    if (!this.scheduled) {
      this.scheduled = true;
      process.nextTick(flushTurn, this);
    }
    const ok = this.outBytes + this.held < HIGH_WATER;
    if (!ok) this.waitingDrain = true;
    return ok;
  }

  cork(): void {
    this.corked++;
  }

  uncork(): void {
    if (this.corked > 0) this.corked--;
  }

  end(): void {
    if (this.ended || this.destroyed) return;
    if (this.socket) {
      this.ended = true;
      this.socket.end();
      return;
    }
    this.ended = true;
    this.bridge.forget(this.id);
    const r = this.bridge.addon.write(this.id, this.take(), this.junk ? 2 : 1);
    if (r < 0) this.gone();
  }

  /** The turn ended: the write callbacks run (a 'finish' may end the answer), then the bytes go. */
  turn(): void {
    this.scheduled = false;
    if (this.socket) return;
    const callbacks = this.callbacks;
    if (callbacks.length > 0) {
      this.callbacks = [];
      for (const cb of callbacks) cb();
    }
    if (this.ended || this.destroyed || this.outBytes === 0) return;
    const r = this.bridge.addon.write(this.id, this.take(), 0);
    if (r < 0) {
      this.gone();
      return;
    }
    this.held = r;
    if (this.waitingDrain && r < HIGH_WATER) this.drained();
  }

  /** C wrote what it held. */
  drained(): void {
    this.held = 0;
    if (!this.waitingDrain) return;
    this.waitingDrain = false;
    this.exchange?.drained();
  }

  /** The peer went before the answer was complete (C closed the connection). */
  gone(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.bridge.forget(this.id);
    this.exchange?.lost();
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    if (this.socket) {
      this.socket.destroy();
      return;
    }
    this.bridge.forget(this.id);
    this.bridge.addon.destroy(this.id);
  }

  address(): object {
    return {};
  }

  // ExchangeOwner: the body came whole, and the end is told to C by end()
  wantMore(): void {}
  answered(): void {}
  aborted(): void {
    this.destroy();
  }

  private take(): Buffer[] {
    const out = this.out;
    this.out = [];
    this.outBytes = 0;
    return out;
  }
}

function flushTurn(conn: NativeConn): void {
  conn.turn();
}

/** One uwsgi socket of a worker, accepted in C. */
export class NativeBridge {
  private listener: Listener | undefined = undefined;
  private readonly conns = new Map<number, NativeConn>();
  private readonly adopted = new Set<net.Socket>();
  private readonly served: BridgeOptions;

  constructor(
    readonly addon: ConnAddon,
    private readonly fd: number,
    options: BridgeOptions,
  ) {
    this.served = servedOptions(options);
  }

  start(): void {
    const plan = this.served.plan;
    this.listener = this.addon.accept(
      this.fd,
      (id, bytes) => this.request(id, bytes),
      (id, event, bytes, fd) => this.event(id, event, bytes, fd),
      plan.socketTimeout * 1000,
      HANDOVER_MS,
      // the largest head the codec accepts, plus what may come with it in the same reads
      4 + plan.bufferSize + 65536,
    );
  }

  /** Connections still open: those held in C, the exchanges answering, the handed-over sockets. */
  get connections(): number {
    return (this.listener ? this.addon.live(this.listener) : 0) + this.conns.size + this.adopted.size;
  }

  /** Graceful: stop accepting, call back once every connection is gone. */
  close(done: () => void): void {
    if (this.listener) this.addon.stopAccepting(this.listener);
    const check = () => {
      if (this.connections === 0) done();
      else setTimeout(check, 20).unref();
    };
    check();
  }

  forget(id: number): void {
    this.conns.delete(id);
  }

  private request(id: number, bytes: Buffer): void {
    const served = this.served;
    const plan = served.plan;
    const modifier1 = bytes[0] as number;
    const dataSize = (bytes[1] as number) | ((bytes[2] as number) << 8);
    // packets (RPC, cache, signals), modifiers not served, empty packets: the codec path's
    // answers and log lines
    if (dataSize === 0 || isRawPacket(modifier1, bytes[3] as number) || !served.modifiers?.has(modifier1)) {
      this.handOver(id, bytes);
      return;
    }
    const whole = parseWholeRequest(bytes, plan.bufferSize, plan.maxVars);
    if (whole === undefined) {
      this.handOver(id, bytes);
      return;
    }
    const { head, body } = whole;
    const length = body.length;
    if (length > 0 && plan.postBuffering > 0) {
      // post-buffering spools the body first: the codec path's BodyRouter does that
      this.handOver(id, bytes);
      return;
    }
    const conn = new NativeConn(this, id, bytes.length > 4 + dataSize + length);
    this.conns.set(id, conn);
    const x = openExchange(
      conn as unknown as net.Socket,
      'uwsgi',
      head,
      conn,
      served.handle,
      served.Response,
    );
    conn.exchange = x;
    if (length > 0) x.feed(body);
    x.feedEnd();
  }

  private event(id: number, event: number, bytes: Buffer | undefined, fd: number | undefined): void {
    if (event === EV_HANDOVER) {
      if (fd !== undefined && fd >= 0) this.adopt(fd, bytes ?? Buffer.alloc(0));
      return;
    }
    const conn = this.conns.get(id);
    if (conn === undefined) return;
    if (event === EV_DRAIN) conn.drained();
    else if (event === EV_LOST) conn.gone();
  }

  private handOver(id: number, bytes: Buffer): void {
    const fd = this.addon.take(id);
    if (fd >= 0) this.adopt(fd, bytes);
  }

  /** A net.Socket on a connection's fd, counted until it closes (a graceful stop waits for it). */
  socketOf(fd: number): net.Socket {
    // allowHalfOpen as createBridgeServer's: a peer that shuts down its side still gets the answer
    const socket = new net.Socket({ fd, readable: true, writable: true, allowHalfOpen: true });
    socket.setNoDelay(true);
    socket.on('error', () => {});
    this.adopted.add(socket);
    socket.once('close', () => this.adopted.delete(socket));
    return socket;
  }

  /** The fd becomes a net.Socket on the codec path, the bytes already read first. */
  private adopt(fd: number, bytes: Buffer): void {
    adoptConnection(this.socketOf(fd), this.served, bytes);
  }
}
