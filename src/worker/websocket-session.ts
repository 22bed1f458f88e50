// One WebSocket of uWSGI's API (websocket_handshake/recv/recv_nb/send/send_binary, seed manual
// "WebSocket support") on a taken-over connection (raw-connection.ts). The frames are read and
// written by the `ws` package's Receiver and Sender, not by hand. As in uWSGI, the background
// work is the session's: a client's ping is answered with a pong, a ping goes out every
// websockets-ping-freq seconds and a pong must come back within websockets-pong-tolerance, a
// close frame is answered and ends the session; recv() only ever returns the peer's messages.

import { createRequire } from 'node:module';
import type net from 'node:net';
import type { Duplex } from 'node:stream';
import { UwsgiError } from '../errors.js';

/** The part of ws's Receiver used here (ws ships no types for it). */
interface WsReceiver {
  write(chunk: Buffer): boolean;
  on(event: 'message', fn: (data: Buffer, binary: boolean) => void): this;
  on(event: 'ping' | 'pong', fn: (data: Buffer) => void): this;
  on(event: 'conclude', fn: (code: number, reason: Buffer) => void): this;
  on(event: 'error', fn: (err: Error & { code?: string }) => void): this;
  once(event: 'drain', fn: () => void): this;
}

/** The part of ws's Sender used here. */
interface WsSender {
  send(
    data: Buffer | string,
    options: { binary: boolean; fin: boolean; mask: boolean },
    cb?: (err?: Error) => void,
  ): void;
  ping(data: Buffer, mask: boolean, cb?: (err?: Error) => void): void;
  pong(data: Buffer, mask: boolean, cb?: (err?: Error) => void): void;
  close(code: number | undefined, reason: string | Buffer, mask: boolean, cb?: (err?: Error) => void): void;
}

interface WsClasses {
  Receiver: new (options: {
    isServer: boolean;
    maxPayload: number;
    binaryType: 'nodebuffer';
    skipUTF8Validation: boolean;
  }) => WsReceiver;
  Sender: new (socket: Duplex) => WsSender;
}

/**
 * ws loads with the first session (its CommonJS entry hangs Receiver and Sender on WebSocket): a
 * worker that never upgrades does not pay its ~15 ms at start-up (issue 17, 50 vassals).
 */
let wsClasses: WsClasses | undefined;
function ws(): WsClasses {
  wsClasses ??= createRequire(import.meta.url)('ws') as WsClasses;
  return wsClasses;
}

export interface WebSocketSettings {
  /** websockets-ping-freq in ms (uWSGI's default 30 s). */
  readonly pingFreqMs: number;
  /** websockets-pong-tolerance in ms (uWSGI's default 3 s). */
  readonly pongToleranceMs: number;
  /** websockets-max-size in bytes (uWSGI's default 1024 KB). */
  readonly maxSize: number;
}

/** Messages held for a recv() that has not come yet before the socket stops being read. */
const QUEUE_PAUSE = 64;
const EMPTY = Buffer.alloc(0);

/** Every open session of this worker: a graceful stop closes them with 1001 (going away). */
const open = new Set<WebSocketSession>();

export function closeAllWebSockets(): number {
  for (const session of open) session.close(1001, 'going away');
  return open.size;
}

interface Waiter {
  resolve(data: Buffer): void;
  reject(err: Error): void;
}

export class WebSocketSession {
  /** Whether the message recv()/recvNb() returned last was binary (uWSGI's recv does not say). */
  binary = false;
  private readonly queue: Array<[Buffer, boolean]> = [];
  private readonly waiters: Waiter[] = [];
  private readonly sender: WsSender;
  private closedBy: UwsgiError | undefined;
  private pingTimer: NodeJS.Timeout | undefined;
  private pongTimer: NodeJS.Timeout | undefined;
  private closeSent = false;

  constructor(
    private readonly socket: net.Socket,
    head: Buffer,
    private readonly settings: WebSocketSettings,
    /** Bytes written (the request log's "generated N bytes"). */
    private readonly written: (bytes: number) => void,
    /** Called once when the session is over (the request's response ends then). */
    private readonly ended: () => void,
  ) {
    const { Receiver, Sender } = ws();
    const receiver = new Receiver({
      isServer: true,
      maxPayload: settings.maxSize,
      binaryType: 'nodebuffer',
      skipUTF8Validation: false,
    });
    this.sender = new Sender(socket);
    receiver.on('message', (data, binary) => this.message(data, binary));
    receiver.on('ping', (data) => {
      if (!this.closeSent) this.sender.pong(data, false);
      this.written(2 + data.length);
    });
    receiver.on('pong', () => this.ponged());
    receiver.on('conclude', (code) => {
      // the peer's close is answered with its code, then the connection ends
      this.sendClose(code === 1005 ? undefined : code);
      this.finish(`the peer closed the WebSocket (${code})`);
      socket.end();
    });
    receiver.on('error', (err) => {
      // 1009: a message over websockets-max-size; 1002 (protocol error) for anything else
      this.sendClose(err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' ? 1009 : 1002);
      this.finish(`WebSocket protocol error: ${err.message}`);
      socket.end();
    });
    socket.setNoDelay(true);
    socket.setTimeout(0);
    socket.on('data', (chunk: Buffer) => {
      if (!receiver.write(chunk)) {
        socket.pause();
        receiver.once('drain', () => this.resumeIfWanted());
      }
    });
    socket.on('error', () => {});
    socket.on('end', () => this.finish('the peer closed the connection'));
    socket.on('close', () => {
      this.finish('the connection closed');
      open.delete(this);
    });
    open.add(this);
    if (head.length > 0) receiver.write(head);
    this.schedulePing();
  }

  get closed(): boolean {
    return this.closedBy !== undefined;
  }

  /** The next message of the peer; rejects with ERR_WEBSOCKET_CLOSED once the session is over. */
  recv(): Promise<Buffer> {
    const next = this.take();
    if (next !== undefined) return Promise.resolve(next);
    if (this.closedBy) return Promise.reject(this.closedBy);
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** A message already received, else undefined (uWSGI's recv_nb gives an empty string). */
  recvNb(): Buffer | undefined {
    const next = this.take();
    if (next !== undefined) return next;
    if (this.closedBy) throw this.closedBy;
    return undefined;
  }

  send(data: string | Uint8Array, binary: boolean): Promise<void> {
    if (this.closedBy || this.closeSent) {
      return Promise.reject(this.closedBy ?? closedError('the WebSocket is closing'));
    }
    const payload =
      typeof data === 'string'
        ? Buffer.from(data, 'utf8')
        : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    this.written(frameBytes(payload.length));
    return new Promise((resolve, reject) => {
      this.sender.send(payload, { binary, fin: true, mask: false }, (err) => {
        if (err) reject(closedError(`send failed: ${err.message}`));
        else resolve();
      });
    });
  }

  /** A close frame (1000 unless given); the connection ends when the peer answers or soon after. */
  close(code = 1000, reason = ''): void {
    if (this.socket.destroyed) return;
    this.sendClose(code, reason);
    this.finish('closed by the app');
    this.socket.end();
    // a peer that never answers the close is not waited for
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }

  private take(): Buffer | undefined {
    const next = this.queue.shift();
    if (next === undefined) return undefined;
    this.binary = next[1];
    if (this.queue.length < QUEUE_PAUSE) this.resumeIfWanted();
    return next[0];
  }

  private message(data: Buffer, binary: boolean): void {
    this.schedulePing();
    const waiter = this.waiters.shift();
    if (waiter) {
      this.binary = binary;
      waiter.resolve(data);
      return;
    }
    this.queue.push([data, binary]);
    // nobody reads: stop reading the socket rather than hold an unbounded queue
    if (this.queue.length >= QUEUE_PAUSE) this.socket.pause();
  }

  private resumeIfWanted(): void {
    if (this.queue.length < QUEUE_PAUSE && !this.socket.destroyed) this.socket.resume();
  }

  private sendClose(code: number | undefined, reason = ''): void {
    if (this.closeSent || this.socket.destroyed || !this.socket.writable) return;
    this.closeSent = true;
    this.sender.close(code, reason, false);
    this.written(2 + (code === undefined ? 0 : 2 + Buffer.byteLength(reason)));
  }

  /** The session is over: every waiting recv() rejects, later ones too (queued messages first). */
  private finish(why: string): void {
    if (this.closedBy) return;
    this.closedBy = closedError(why);
    this.stopTimers();
    for (const waiter of this.waiters.splice(0)) waiter.reject(this.closedBy);
    // before the socket's 'close': the response ends cleanly (no write error in the log line)
    this.ended();
  }

  /** uWSGI's keepalive: a ping after ping-freq without traffic, a pong due within pong-tolerance. */
  private schedulePing(): void {
    if (this.closedBy || this.settings.pingFreqMs <= 0) return;
    clearTimeout(this.pingTimer);
    this.pingTimer = setTimeout(() => this.ping(), this.settings.pingFreqMs);
    this.pingTimer.unref();
  }

  private ping(): void {
    if (this.closedBy || this.closeSent) return;
    this.sender.ping(EMPTY, false);
    this.written(2);
    if (this.pongTimer === undefined) {
      this.pongTimer = setTimeout(() => {
        this.finish(`no pong within ${this.settings.pongToleranceMs / 1000} s (websockets-pong-tolerance)`);
        this.socket.destroy();
      }, this.settings.pongToleranceMs);
      this.pongTimer.unref();
    }
    this.schedulePing();
  }

  private ponged(): void {
    clearTimeout(this.pongTimer);
    this.pongTimer = undefined;
  }

  private stopTimers(): void {
    clearTimeout(this.pingTimer);
    clearTimeout(this.pongTimer);
    this.pongTimer = undefined;
  }
}

function closedError(why: string): UwsgiError {
  return new UwsgiError('ERR_WEBSOCKET_CLOSED', `unable to receive websocket message: ${why}`);
}

/** A server frame's size: 2 bytes of header, 2 or 8 more for a long payload (RFC 6455 §5.2). */
function frameBytes(length: number): number {
  return length + (length < 126 ? 2 : length < 65536 ? 4 : 10);
}
