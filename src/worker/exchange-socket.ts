// The socket Node's IncomingMessage and ServerResponse see for a request that came over uwsgi,
// SCGI or FastCGI: not a stream, only the part of net.Socket those two classes use (write, cork,
// destroy, 'close'), with the connection's real socket behind it. The response goes out framed
// for the protocol by a row of FRAMINGS, so nothing of Node's output is parsed again.

import { EventEmitter } from 'node:events';
import type net from 'node:net';
import { encodeEndRequest, encodeStdout, encodeStdoutEnd, FCGI_STATUS } from '../protocol/fastcgi.js';
import type { RequestHead } from '../protocol/request-head.js';

export type BridgeProtocol = 'uwsgi' | 'scgi' | 'fastcgi';

type Callback = (err?: Error | null) => void;
type Chunk = Buffer | Uint8Array | string;

/** What the connection is told by its exchange. */
export interface ExchangeOwner {
  /** The app read again after the body filled the request's buffer: resume the socket. */
  wantMore(): void;
  /** The response is complete and framed: the connection decides what comes next. */
  answered(exchange: ExchangeSocket): void;
  /** The exchange was destroyed before its response was complete (app error, client gone). */
  aborted(exchange: ExchangeSocket): void;
  /**
   * The request leaves the protocol (a WebSocket's 101, a proxied upgrade): the codec reads no
   * more, and the connection's socket is the caller's, raw, both ways. undefined when the
   * protocol cannot carry it (FastCGI frames every byte in records).
   */
  detach(exchange: ExchangeSocket): net.Socket | undefined;
}

/** The first bytes of every head Node writes (ServerResponse.writeHead builds `HTTP/1.1 ...`). */
const HTTP_PREFIX = 'HTTP/1.1 ';

/**
 * A CGI response head for SCGI and FastCGI peers: Node's status line with `HTTP/1.1 ` swapped for
 * `Status: ` (CGI/1.1 §6.3.3). Node writes the head as one latin1 string, so this is a prefix
 * swap, not a parse; raw bytes a routing rule sends (Buffers) pass as they are, except a whole
 * status line of its own (`send` of a response with an odd status), swapped the same way.
 */
function cgiHead(chunk: Chunk): Chunk {
  if (typeof chunk === 'string') return chunk.startsWith(HTTP_PREFIX) ? `Status: ${chunk.slice(9)}` : chunk;
  const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (bytes.length < 9 || bytes.toString('latin1', 0, 9) !== HTTP_PREFIX) return chunk;
  return Buffer.concat([Buffer.from('Status: ', 'latin1'), bytes.subarray(9)]);
}

function bytesOf(chunk: Chunk, encoding: BufferEncoding | undefined): Buffer {
  if (typeof chunk === 'string') return Buffer.from(chunk, encoding ?? 'utf8');
  return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

interface Framing {
  /** Response bytes; false when the socket's buffer is full (wait for 'drain'). */
  write(
    x: ExchangeSocket,
    chunk: Chunk,
    encoding: BufferEncoding | undefined,
    done: Callback | undefined,
  ): boolean;
  /** The response is complete. */
  end(x: ExchangeSocket): void;
}

/** How each protocol frames a response (reference §1.1 for uwsgi; the SCGI and FastCGI specs). */
const FRAMINGS: { readonly [P in BridgeProtocol]: Framing } = {
  // nginx's uwsgi_pass reads a raw HTTP response, delimited by the connection's close
  uwsgi: {
    write: (x, chunk, encoding, done) => x.socket.write(chunk, encoding as BufferEncoding, done),
    end: (x) => x.socket.end(),
  },
  // a CGI response (Status: instead of a status line), delimited by the connection's close
  scgi: {
    write(x, chunk, encoding, done) {
      if (x.headPending) {
        x.headPending = false;
        chunk = cgiHead(chunk);
      }
      return x.socket.write(chunk, encoding as BufferEncoding, done);
    },
    end: (x) => x.socket.end(),
  },
  // the CGI response in STDOUT records, then an empty STDOUT and END_REQUEST (FastCGI 1.0 §5.3)
  fastcgi: {
    write(x, chunk, encoding, done) {
      if (x.headPending) {
        x.headPending = false;
        chunk = cgiHead(chunk);
      }
      const data = bytesOf(chunk, encoding);
      if (data.length === 0) {
        if (done) process.nextTick(done);
        return true;
      }
      const records = encodeStdout(x.requestId, data);
      const socket = x.socket;
      const last = records.length - 1;
      for (let i = 0; i < last; i++) socket.write(records[i] as Buffer);
      return socket.write(records[last] as Buffer, done);
    },
    end(x) {
      const socket = x.socket;
      socket.write(encodeStdoutEnd(x.requestId));
      socket.write(encodeEndRequest(x.requestId, 0, FCGI_STATUS.REQUEST_COMPLETE));
      if (!x.keepConn) socket.end();
    },
  },
};

/** The response as this socket sees it: told when the socket drains. */
interface Drainable {
  emit(event: 'drain'): boolean;
}

/** The request as this socket feeds it (IncomingMessage, with the fields http.Server uses). */
export interface FedRequest {
  complete: boolean;
  readonly destroyed: boolean;
  readonly readableEnded: boolean;
  _consuming: boolean;
  _dump(): void;
  push(chunk: Buffer | null): boolean;
  destroy(err?: Error): unknown;
}

/** The error an unfinished request is destroyed with when its peer goes (as http.Server's). */
function connectionReset(): Error {
  return Object.assign(new Error('aborted'), { code: 'ECONNRESET' });
}

export class ExchangeSocket extends EventEmitter {
  /** Set by ServerResponse.assignSocket(). */
  _httpMessage: Drainable | null = null;
  /** OutgoingMessage.end() forces a full uncork through it. */
  readonly _writableState = { corked: 0 };
  destroyed = false;
  /** The response is complete (framed and handed to the socket). */
  finished = false;
  /** The head has not been written yet (SCGI and FastCGI rewrite its first line). */
  headPending = true;
  readonly readable = true;
  readonly _paused = false;
  readonly readableHighWaterMark = 16384;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localPort: number;
  readonly encrypted: boolean;
  /** The request built on this socket (exchange.ts). */
  request: FedRequest | undefined = undefined;
  private needDrain = false;
  private readonly framing: Framing;

  constructor(
    readonly socket: net.Socket,
    readonly protocol: BridgeProtocol,
    readonly head: RequestHead,
    private readonly owner: ExchangeOwner,
    /** FastCGI: the request id its records carry, and whether the connection stays open. */
    readonly requestId = 0,
    readonly keepConn = false,
  ) {
    super();
    this.framing = FRAMINGS[protocol];
    const vars = head.vars;
    this.remoteAddress = vars.get('REMOTE_ADDR') ?? '';
    this.remotePort = Number(vars.get('REMOTE_PORT') ?? 0);
    this.localPort = Number(vars.get('SERVER_PORT') ?? 0);
    this.encrypted = (vars.get('HTTPS') ?? '').toLowerCase() === 'on';
  }

  get writable(): boolean {
    return !this.destroyed && !this.finished && !this.socket.destroyed;
  }

  get writableLength(): number {
    return this.socket.writableLength;
  }

  get writableCorked(): number {
    return this._writableState.corked;
  }

  write(chunk: Chunk, encoding?: BufferEncoding | Callback, done?: Callback): boolean {
    if (typeof encoding === 'function') {
      done = encoding;
      encoding = undefined;
    }
    if (!this.writable) {
      if (done) process.nextTick(done);
      return true;
    }
    const ok = this.framing.write(this, chunk, encoding, done);
    if (!ok) this.needDrain = true;
    return ok;
  }

  /** Body bytes from the codec; false when the connection should pause its socket. */
  feed(chunk: Buffer): boolean {
    const req = this.request;
    if (req === undefined || req.destroyed) return true;
    return req.push(chunk);
  }

  /** The body is complete. */
  feedEnd(): void {
    const req = this.request;
    if (req === undefined || req.destroyed) return;
    req.complete = true;
    req.push(null);
  }

  /** The connection is gone: an unfinished request is aborted, an unfinished response dropped. */
  lost(): void {
    const req = this.request;
    if (!this.finished) this.destroy();
    if (req !== undefined && !req.complete && !req.destroyed) req.destroy(connectionReset());
  }

  /** The connection's socket drained: the response may write again. */
  drained(): void {
    if (!this.needDrain) return;
    this.needDrain = false;
    this._httpMessage?.emit('drain');
  }

  cork(): void {
    this._writableState.corked++;
    this.socket.cork();
  }

  uncork(): void {
    const state = this._writableState;
    if (state.corked > 0) state.corked--;
    // OutgoingMessage.end() sets corked to 1 and uncorks once: everything goes out then
    if (state.corked === 0) while (this.socket.writableCorked > 0) this.socket.uncork();
  }

  /**
   * The response is complete (ServerResponse 'finish'), or a routing rule closes the connection
   * after raw bytes (`end(last)`): frame the end and tell the connection.
   */
  end(last?: Chunk, encoding?: BufferEncoding | Callback, done?: Callback): this {
    if (last !== undefined && typeof last !== 'function') this.write(last, encoding, done);
    this.finish();
    return this;
  }

  finish(): void {
    if (this.finished || this.destroyed) return;
    this.uncork();
    this.finished = true;
    if (!this.socket.destroyed) this.framing.end(this);
    this.owner.answered(this);
    process.nextTick(emitClose, this);
  }

  /** The app or Node gave up on the response: the connection goes (the peer sees it cut short). */
  destroy(_err?: Error): this {
    if (this.destroyed) return this;
    this.destroyed = true;
    if (!this.finished) this.owner.aborted(this);
    // after the caller's own bookkeeping: IncomingMessage._destroy waits for it with finished()
    process.nextTick(emitClose, this);
    return this;
  }

  /** The connection's socket, raw, for a request that leaves the protocol (ExchangeOwner.detach). */
  detach(): net.Socket | undefined {
    return this.writable ? this.owner.detach(this) : undefined;
  }

  /** The app reads again after the request's buffer filled up. */
  resume(): this {
    this.owner.wantMore();
    return this;
  }

  pause(): this {
    return this;
  }

  // what Node's http classes call on a socket; the real socket's settings are the connection's
  setTimeout(): this {
    return this;
  }
  setNoDelay(): this {
    return this;
  }
  setKeepAlive(): this {
    return this;
  }
  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }
  destroySoon(): void {
    this.finish();
  }
  address(): object {
    return this.socket.address();
  }
}

function emitClose(x: ExchangeSocket): void {
  x.emit('close', x.destroyed && !x.finished);
}
