// The accept side of the uwsgi, FastCGI and SCGI sockets: one codec per connection, each request
// it parses opened as an exchange (exchange.ts: Node's request/response built from the head, the
// response framed for the protocol). A connection is bounded as uWSGI bounds it: one request per
// uwsgi/SCGI connection (and per FastCGI connection unless it asks to keep it), socket-timeout on
// every read, and bad input is one log line and a closed connection; the worker lives on.

import type { ServerResponse } from 'node:http';
import net from 'node:net';
import {
  answerGetValues,
  encodeEndRequest,
  encodeGetValuesResult,
  encodeUnknownType,
  FastCgiConnectionParser,
  FCGI_STATUS,
} from '../protocol/fastcgi.js';
import type { ProtocolError, RequestHead } from '../protocol/request-head.js';
import { ScgiRequestParser } from '../protocol/scgi.js';
import { type RequestEvents, UwsgiRequestParser } from '../protocol/uwsgi.js';
import { BodySpool } from './body-spool.js';
import { openExchange, type RequestHandler } from './exchange.js';
import type { BridgeProtocol, ExchangeOwner, ExchangeSocket } from './exchange-socket.js';
import { servedModifiers } from './modifier-table.js';
import { isRawPacket, PACKET_HANDLERS } from './packet-handlers.js';
import type { WorkerPlan } from './plan.js';
import type { UwsgiResponse } from './request.js';

type Log = (line: string) => void;

export interface BridgeOptions {
  readonly protocol: BridgeProtocol;
  readonly plan: WorkerPlan;
  readonly log: Log;
  /** The worker's request handler (the dispatcher). */
  readonly handle: RequestHandler;
  /** The response class (the counting UwsgiResponse, or Node's own when nothing counts). */
  readonly Response: typeof UwsgiResponse | typeof ServerResponse;
  /** modifier1 values served as requests (src/worker/modifier-table.ts: 0, 30, 9 with CGI...). */
  readonly modifiers?: ReadonlySet<number>;
}

/** The names log lines give the protocols. */
const PROTOCOL_NAMES: { readonly [P in BridgeProtocol]: string } = {
  uwsgi: 'uwsgi',
  scgi: 'scgi',
  fastcgi: 'FastCGI',
};

/**
 * Holds a request until its body is complete when post-buffering applies (the body then replays
 * from memory or a temp file), else opens it at once with the body streamed in.
 */
class BodyRouter {
  private spool: BodySpool | undefined;
  private pending: RequestHead | undefined;
  private exchange: ExchangeSocket | undefined;
  private resumeBody: () => void;

  constructor(
    private readonly start: (head: RequestHead) => ExchangeSocket,
    private readonly source: { pause(): void; resume(): void },
    private readonly postBuffering: number,
  ) {
    this.resumeBody = () => source.resume();
  }

  get current(): ExchangeSocket | undefined {
    return this.exchange;
  }

  head(head: RequestHead): void {
    const length = Number(head.vars.get('CONTENT_LENGTH') || 0);
    if (this.postBuffering > 0 && length > 0) {
      this.spool = new BodySpool(length, this.postBuffering);
      this.pending = head;
      return;
    }
    this.exchange = this.start(head);
  }

  /** The app reads again: resume the socket (or the spool's replay). */
  wantMore(): void {
    this.resumeBody();
  }

  body(chunk: Buffer): void {
    const spool = this.spool;
    if (spool) {
      if (!spool.add(chunk)) {
        this.source.pause();
        spool.drained(() => this.source.resume());
      }
      return;
    }
    if (this.exchange && !this.exchange.feed(chunk)) this.source.pause();
  }

  bodyEnd(): void {
    const spool = this.spool;
    const head = this.pending;
    if (!spool || !head) {
      this.exchange?.feedEnd();
      return;
    }
    this.spool = undefined;
    this.pending = undefined;
    const exchange = this.start(head);
    this.exchange = exchange;
    const replay = spool.replay(
      (chunk) => exchange.feed(chunk),
      () => exchange.feedEnd(),
    );
    this.resumeBody = () => replay.resume();
  }

  abort(): void {
    this.spool?.dispose();
    this.spool = undefined;
    this.exchange?.lost();
  }
}

/**
 * One connection of a uwsgi, SCGI or FastCGI socket: its codec, the exchange of its current
 * request, and its clock (socket-timeout, reference §2.1) while the peer owes us bytes.
 */
class BridgeConnection implements ExchangeOwner, RequestEvents {
  private router: BodyRouter | undefined = undefined;
  /** No byte of a request is pending (a new connection, or a FastCGI keep-conn one between requests). */
  private idle = true;
  /** The current request's body is complete. */
  private bodyDone = false;
  /** The peer sent bad bytes behind a whole request: close once its answer is out. */
  private closeAfterAnswer = false;
  private peerText: string | undefined = undefined;
  /** The socket was handed over raw (detach): nothing more of it is ours to read. */
  private detached = false;
  private readonly parser: { push(chunk: Buffer): void; end(): void };
  private readonly timeoutMs: number;
  private readonly modifiers: ReadonlySet<number>;

  constructor(
    private readonly socket: net.Socket,
    private readonly options: BridgeOptions,
  ) {
    const { plan, protocol } = options;
    this.timeoutMs = plan.socketTimeout * 1000;
    this.modifiers = options.modifiers as ReadonlySet<number>;
    this.parser =
      protocol === 'uwsgi'
        ? new UwsgiRequestParser(this, {
            bufferSize: plan.bufferSize,
            maxVars: plan.maxVars,
            single: true,
            rawPacket: isRawPacket,
            onPacket: (packet, rest) => {
              socket.setTimeout(0);
              PACKET_HANDLERS[packet.modifier1]?.handle(packet, socket, rest, { log: options.log });
            },
          })
        : protocol === 'scgi'
          ? new ScgiRequestParser(this, { bufferSize: plan.bufferSize, single: true })
          : this.fastCgiParser();
    socket.on('data', (chunk: Buffer) => {
      if (this.detached) return;
      this.idle = false;
      this.parser.push(chunk);
    });
    socket.on('end', () => {
      if (!this.detached) this.peerEnded();
    });
    socket.on('drain', () => this.router?.current?.drained());
    // 'close' follows every error: the exchange learns there that its peer is gone
    socket.on('error', () => {});
    socket.on('close', () => this.router?.abort());
    if (this.timeoutMs > 0) {
      socket.setTimeout(this.timeoutMs);
      // decided after this turn's I/O: a worker whose loop was blocked runs its timers before it
      // reads what arrived meanwhile (bytes refresh the timer: a moving peer has not stalled)
      socket.on('timeout', () => setImmediate(timedOut, this, socket.bytesRead + socket.bytesWritten));
    }
  }

  /** Bytes read before this connection existed: parsed as if the socket had just delivered them. */
  prime(chunk: Buffer): void {
    this.idle = false;
    this.parser.push(chunk);
  }

  // RequestEvents (uwsgi and SCGI codecs)

  onHead(head: RequestHead): void {
    const { protocol, log } = this.options;
    if (protocol === 'uwsgi') {
      if (!this.modifiers.has(head.modifier1)) {
        log(`-- unavailable modifier requested: ${head.modifier1} --\n`);
        this.socket.destroy();
        return;
      }
      if (head.varBytes === 0) {
        // uWSGI 2.0.21 (observed): "Empty python request. skip." and the connection closes; the
        // bytes behind it are never read as requests (64 KB of zeros were 16,384 app calls)
        log(`[uwsgi-ts] empty uwsgi request from ${this.peer()} skipped\n`);
        this.linger();
        return;
      }
    }
    this.request(head, 0, false);
  }

  onBody(chunk: Buffer): void {
    this.router?.body(chunk);
  }

  onBodyEnd(): void {
    this.bodyDone = true;
    const exchange = this.router?.current;
    // the app takes its time from here; an answered exchange lingers for the peer's close
    if (exchange === undefined || !exchange.finished) this.socket.setTimeout(0);
    this.router?.bodyEnd();
  }

  onError(err: ProtocolError): void {
    this.options.log(
      `[uwsgi-ts] ${PROTOCOL_NAMES[this.options.protocol]} request from ${this.peer()} refused: ${err.message} [${err.code}]\n`,
    );
    const exchange = this.router?.current;
    if (this.bodyDone && exchange !== undefined && !exchange.finished && !exchange.destroyed) {
      // bad bytes behind a whole request (a FastCGI keep-conn connection reads on) never cost
      // its answer: nothing more is read, and the connection closes once the answer is out
      this.closeAfterAnswer = true;
      this.socket.pause();
      return;
    }
    this.router?.abort();
    this.socket.destroy();
  }

  // ExchangeOwner

  wantMore(): void {
    this.router?.wantMore();
  }

  answered(exchange: ExchangeSocket): void {
    const socket = this.socket;
    if (this.closeAfterAnswer) {
      socket.end();
      return;
    }
    if (exchange.keepConn) {
      // FastCGI keep-conn: the next request may follow; socket-timeout while it is due
      this.idle = true;
      this.bodyDone = false;
      if (this.timeoutMs > 0) socket.setTimeout(this.timeoutMs);
      return;
    }
    // the framing ended our side; the peer may still be sending a body the app did not read
    // (the request drops it) or bytes behind the request (the codec ignores them): read them
    // until it closes, for socket-timeout at most, so that the answer is never reset under it
    if (!this.bodyDone) socket.resume();
    if (this.timeoutMs > 0) socket.setTimeout(this.timeoutMs);
  }

  /**
   * uwsgi and SCGI carry raw bytes behind the request (nginx's uwsgi_pass tunnels them after a
   * 101); FastCGI cannot. From here the codec and the socket-timeout clock stand aside.
   */
  detach(): net.Socket | undefined {
    if (this.options.protocol === 'fastcgi') return undefined;
    this.detached = true;
    this.socket.setTimeout(0);
    return this.socket;
  }

  aborted(): void {
    // the response was cut short (the app failed after its head, harakiri, the peer left)
    this.socket.destroy();
  }

  private request(head: RequestHead, requestId: number, keepConn: boolean): void {
    const { protocol, handle, Response } = this.options;
    this.bodyDone = false;
    this.router = new BodyRouter(
      (h) => openExchange(this.socket, protocol, h, this, handle, Response, requestId, keepConn),
      this.socket,
      this.options.plan.postBuffering,
    );
    this.router.head(head);
  }

  /** Ends our side at once and reads (and drops) what the peer still sends, for socket-timeout at most. */
  private linger(): void {
    this.socket.end();
    this.socket.resume();
    if (this.timeoutMs > 0) this.socket.setTimeout(this.timeoutMs);
  }

  private peerEnded(): void {
    this.parser.end();
    const exchange = this.router?.current;
    // a peer that closed its side before its request was answered still gets the answer
    // (allowHalfOpen); one that has it is done
    const socket = this.socket;
    if (socket.writableEnded) return;
    if (exchange === undefined || exchange.finished || exchange.destroyed) socket.end();
  }

  /**
   * socket-timeout: a peer that stops in the middle of its request (head or body) is dropped with
   * one log line; an answered connection or an idle keep-conn one closes without a word.
   */
  timedOut(moved: number): void {
    const socket = this.socket;
    if (socket.destroyed || socket.bytesRead + socket.bytesWritten !== moved) return;
    const exchange = this.router?.current;
    const quiet = this.idle || exchange?.finished === true || exchange?.destroyed === true;
    if (!quiet) {
      const where = exchange === undefined ? 'head' : 'body';
      this.options.log(
        `[uwsgi-ts] ${PROTOCOL_NAMES[this.options.protocol]} request from ${this.peer()} (${where} incomplete) timed out after ${this.options.plan.socketTimeout} s (socket-timeout) [ERR_PROTOCOL_TRUNCATED]\n`,
      );
    }
    this.router?.abort();
    this.socket.destroy();
  }

  /**
   * The peer's address for a log line: read when a line needs it, before the socket is
   * destroyed; a unix socket has none (and no local address either).
   */
  private peer(): string {
    if (this.peerText === undefined) {
      const socket = this.socket;
      this.peerText = socket.remoteAddress ?? (socket.localAddress === undefined ? 'unix socket' : '?');
    }
    return this.peerText;
  }

  /** FastCGI: records, keep-conn, one request at a time (FCGI_MPXS_CONNS=0). */
  private fastCgiParser(): FastCgiConnectionParser {
    const socket = this.socket;
    return new FastCgiConnectionParser(
      {
        onHead: (requestId, head, keepConn) => this.request(head, requestId, keepConn),
        onBody: (_requestId, chunk) => this.onBody(chunk),
        onBodyEnd: () => this.onBodyEnd(),
        onAbort: (requestId) => {
          this.router?.abort();
          socket.write(encodeEndRequest(requestId, 0, FCGI_STATUS.REQUEST_COMPLETE));
        },
        onReject: (requestId, protocolStatus) => {
          socket.write(encodeEndRequest(requestId, 0, protocolStatus));
        },
        onGetValues: (names) => {
          socket.write(encodeGetValuesResult(answerGetValues(names, { maxConns: 1000, maxReqs: 1000 })));
        },
        onUnknownType: (type) => {
          socket.write(encodeUnknownType(type));
        },
        onError: (err) => this.onError(err),
      },
      { bufferSize: this.options.plan.bufferSize },
    );
  }
}

function timedOut(connection: BridgeConnection, moved: number): void {
  connection.timedOut(moved);
}

/** The options with the modifiers a socket serves filled in (once per socket, not per connection). */
export function servedOptions(options: BridgeOptions): BridgeOptions {
  return { ...options, modifiers: options.modifiers ?? servedModifiers(options.plan) };
}

/**
 * A connection whose first bytes were read elsewhere (native-bridge.ts hands over what it does not
 * serve itself): the codec reads `primed` first, then the socket.
 */
export function adoptConnection(socket: net.Socket, served: BridgeOptions, primed: Buffer): void {
  const connection = new BridgeConnection(socket, served);
  if (primed.length > 0) connection.prime(primed);
}

export function createBridgeServer(options: BridgeOptions): net.Server {
  // allowHalfOpen: a peer that shuts down its side after its request still gets the answer
  const served = servedOptions(options);
  return net.createServer({ noDelay: true, allowHalfOpen: true }, (socket) => {
    new BridgeConnection(socket, served);
  });
}
