// A logger over a stream connection (TCP or a unix stream socket): the redislog, zeromq and
// systemd loggers. What goes on the wire is the protocol's (sans-I/O, see StreamProtocol); this
// file connects, handshakes, reconnects, and keeps lines while the peer is away, within a bound.

import net from 'node:net';
import type { LogTarget, LogText } from './log-targets.js';

export interface StreamProtocol {
  /** Written first on every connection (a greeting, `auth`/`select`, a header). */
  readonly hello: Buffer;
  /**
   * Everything the peer sent on this connection so far: `wait` for more, `ready` to start
   * sending lines, or why the peer is refused (the connection is dropped and tried again).
   */
  handshake(received: Buffer): 'wait' | 'ready' | { readonly refused: string };
  /** One message as it goes on the wire. */
  frame(text: LogText): Buffer;
}

export type StreamAddress = { readonly host: string; readonly port: number } | { readonly path: string };

export interface StreamTargetOptions {
  /** Names the logger in the one line written to stderr when its peer goes away. */
  readonly describe: string;
  readonly retryMs?: number;
  /** Bytes kept while the peer is away or slow; lines beyond are dropped (and counted). */
  readonly maxQueued?: number;
  /** Where the notices go (stderr). */
  readonly notice?: (line: string) => void;
}

const RETRY_MS = 1000;
const MAX_QUEUED = 1 << 20;

export class StreamTarget implements LogTarget {
  readonly perLine = true;
  private socket: net.Socket | undefined;
  private ready = false;
  private received: Buffer = Buffer.alloc(0);
  private queue: Buffer[] = [];
  private queued = 0;
  private dropped = 0;
  private failing = false;
  private closed = false;
  private retry: NodeJS.Timeout | undefined;
  private readonly retryMs: number;
  private readonly maxQueued: number;
  private readonly notice: (line: string) => void;

  constructor(
    private readonly address: StreamAddress,
    private readonly protocol: StreamProtocol,
    private readonly options: StreamTargetOptions,
  ) {
    this.retryMs = options.retryMs ?? RETRY_MS;
    this.maxQueued = options.maxQueued ?? MAX_QUEUED;
    this.notice = options.notice ?? ((line) => process.stderr.write(`${line}\n`));
    this.connect();
  }

  write(text: LogText): void {
    const bytes = this.protocol.frame(text);
    const socket = this.socket;
    if (this.ready && socket && socket.writableLength < this.maxQueued) {
      socket.write(bytes);
      return;
    }
    if (this.queued + bytes.length > this.maxQueued) {
      this.dropped++;
      return;
    }
    this.queue.push(bytes);
    this.queued += bytes.length;
  }

  close(): void {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    // what is written is flushed before the socket closes
    this.socket?.end();
  }

  private connect(): void {
    this.retry = undefined;
    this.ready = false;
    this.received = Buffer.alloc(0);
    const socket =
      'path' in this.address
        ? net.connect(this.address.path)
        : net.connect(this.address.port, this.address.host);
    this.socket = socket;
    socket.unref();
    socket.setNoDelay(true);
    socket.on('connect', () => {
      socket.write(this.protocol.hello);
      this.advance(socket, Buffer.alloc(0));
    });
    socket.on('data', (chunk: Buffer) => {
      // after the handshake the peer's answers (redis replies) are not needed
      if (!this.ready) this.advance(socket, chunk);
    });
    socket.on('error', (err) => this.fail(err.message));
    socket.on('close', () => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      this.ready = false;
      if (this.closed) return;
      this.retry = setTimeout(() => this.connect(), this.retryMs);
      this.retry.unref();
    });
  }

  private advance(socket: net.Socket, chunk: Buffer): void {
    this.received = chunk.length === 0 ? this.received : Buffer.concat([this.received, chunk]);
    const state = this.protocol.handshake(this.received);
    if (state === 'wait') return;
    if (state !== 'ready') {
      this.fail(state.refused);
      socket.destroy();
      return;
    }
    this.ready = true;
    if (this.failing || this.dropped > 0) {
      const n = this.dropped;
      const lost = n === 0 ? '' : `, ${n} ${n === 1 ? 'line was' : 'lines were'} dropped`;
      this.notice(`${this.options.describe}: connected again${lost}`);
    }
    this.failing = false;
    this.dropped = 0;
    for (const bytes of this.queue) socket.write(bytes);
    this.queue = [];
    this.queued = 0;
  }

  /** One notice per outage: a peer that stays away does not flood stderr. */
  private fail(why: string): void {
    if (this.failing || this.closed) return;
    this.failing = true;
    this.notice(
      `${this.options.describe}: ${why}; retrying every ${this.retryMs / 1000} s, lines are kept meanwhile (up to ${this.maxQueued} bytes)`,
    );
  }
}
