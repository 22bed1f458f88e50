// The accept side of the uwsgi, FastCGI and SCGI sockets: one codec per connection; each request
// it parses becomes a BridgeSocket handed to the worker's http.Server, and the response goes back
// as the protocol wants it (uwsgi: raw HTTP; SCGI: CGI status; FastCGI: STDOUT records). Bad
// input is one log line and a closed connection; the worker lives on.

import type http from 'node:http';
import net from 'node:net';
import type { SocketProtocol } from '../net/socket-protocol.js';
import {
  answerGetValues,
  encodeEndRequest,
  encodeGetValuesResult,
  encodeStdout,
  encodeStdoutEnd,
  encodeUnknownType,
  FastCgiConnectionParser,
  FCGI_STATUS,
} from '../protocol/fastcgi.js';
import type { ProtocolError, RequestHead } from '../protocol/request-head.js';
import { ScgiRequestParser } from '../protocol/scgi.js';
import { UwsgiRequestParser } from '../protocol/uwsgi.js';
import { BodySpool } from './body-spool.js';
import { BridgeSocket, StatusLineRewriter } from './bridge-socket.js';
import { isRawPacket, PACKET_HANDLERS } from './packet-handlers.js';
import type { WorkerPlan } from './plan.js';

type Log = (line: string) => void;

/** modifier1 values served as requests: 0 (WSGI-style request) and 30 (same, PATH_INFO fixed). */
const REQUEST_MODIFIERS = new Set([0, 30]);

function logProtocolError(log: Log, socket: net.Socket, protocol: string, err: ProtocolError): void {
  log(
    `[uwsgi-ts] ${protocol} request from ${socket.remoteAddress ?? 'unix socket'} refused: ${err.message} [${err.code}]\n`,
  );
}

/**
 * Holds a request until its body is complete when post-buffering applies (the body then replays
 * from memory or a temp file), else starts it at once with the body streamed in.
 */
class BodyRouter {
  private spool: BodySpool | undefined;
  private pending: RequestHead | undefined;
  private bridge: BridgeSocket | undefined;
  private resumeBody: () => void;

  constructor(
    private readonly start: (head: RequestHead, wantMore: () => void) => BridgeSocket,
    private readonly source: { pause(): void; resume(): void },
    private readonly postBuffering: number,
  ) {
    this.resumeBody = () => source.resume();
  }

  get current(): BridgeSocket | undefined {
    return this.bridge;
  }

  head(head: RequestHead): void {
    const length = Number(head.vars.get('CONTENT_LENGTH') || 0);
    if (this.postBuffering > 0 && length > 0) {
      this.spool = new BodySpool(length, this.postBuffering);
      this.pending = head;
      return;
    }
    this.bridge = this.start(head, () => this.resumeBody());
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
    if (this.bridge && !this.bridge.feed(chunk)) this.source.pause();
  }

  bodyEnd(): void {
    const spool = this.spool;
    const head = this.pending;
    if (!spool || !head) {
      this.bridge?.feedEnd();
      return;
    }
    this.spool = undefined;
    this.pending = undefined;
    const bridge = this.start(head, () => this.resumeBody());
    this.bridge = bridge;
    const replay = spool.replay(
      (chunk) => bridge.feed(chunk),
      () => bridge.feedEnd(),
    );
    this.resumeBody = () => replay.resume();
  }

  abort(): void {
    this.spool?.dispose();
    this.bridge?.destroy();
  }
}

/** uwsgi and SCGI: one request per connection. */
function serveStream(
  socket: net.Socket,
  protocol: 'uwsgi' | 'scgi',
  httpServer: http.Server,
  plan: WorkerPlan,
  log: Log,
): void {
  const rewriter = protocol === 'scgi' ? new StatusLineRewriter() : undefined;
  const transport = {
    write: (chunk: Buffer, done: (err?: Error | null) => void) => {
      const out = rewriter ? rewriter.rewrite(chunk) : chunk;
      if (out.length === 0) done();
      else socket.write(out, done);
    },
    end: () => socket.end(),
    abort: () => socket.destroy(),
  };
  const router = new BodyRouter(
    (head, wantMore) => {
      const bridge = new BridgeSocket(head, transport, wantMore);
      httpServer.emit('connection', bridge);
      return bridge;
    },
    socket,
    plan.postBuffering,
  );
  const events = {
    onHead(head: RequestHead) {
      if (protocol === 'uwsgi' && !REQUEST_MODIFIERS.has(head.modifier1)) {
        log(`-- unavailable modifier requested: ${head.modifier1} --\n`);
        socket.destroy();
        return;
      }
      router.head(head);
    },
    onBody: (chunk: Buffer) => router.body(chunk),
    onBodyEnd: () => {
      socket.setTimeout(0);
      router.bodyEnd();
    },
    onError(err: ProtocolError) {
      logProtocolError(log, socket, protocol, err);
      router.abort();
      socket.destroy();
    },
  };
  const parser =
    protocol === 'uwsgi'
      ? new UwsgiRequestParser(events, {
          bufferSize: plan.bufferSize,
          maxVars: plan.maxVars,
          rawPacket: isRawPacket,
          onPacket: (packet, rest) => {
            socket.setTimeout(0);
            PACKET_HANDLERS[packet.modifier1]?.handle(packet, socket, rest, { log });
          },
        })
      : new ScgiRequestParser(events, { bufferSize: plan.bufferSize });
  socket.on('data', (chunk: Buffer) => parser.push(chunk));
  socket.on('end', () => parser.end());
  socket.on('error', () => router.abort());
  watchReads(socket, plan, protocol, log);
  socket.on('close', () => {
    const bridge = router.current;
    if (bridge && !bridge.writableFinished) bridge.destroy();
  });
}

/** FastCGI: records, keep-conn, one request at a time (FCGI_MPXS_CONNS=0). */
function serveFastCgi(socket: net.Socket, httpServer: http.Server, plan: WorkerPlan, log: Log): void {
  let router: BodyRouter | undefined;
  const parser = new FastCgiConnectionParser(
    {
      onHead(requestId, head, keepConn) {
        const rewriter = new StatusLineRewriter();
        const transport = {
          write: (chunk: Buffer, done: (err?: Error | null) => void) => {
            const out = rewriter.rewrite(chunk);
            if (out.length === 0) return done();
            const records = encodeStdout(requestId, out);
            for (let i = 0; i < records.length - 1; i++) socket.write(records[i] as Buffer);
            socket.write(records[records.length - 1] as Buffer, done);
          },
          end: () => {
            socket.write(encodeStdoutEnd(requestId));
            socket.write(encodeEndRequest(requestId, 0, FCGI_STATUS.REQUEST_COMPLETE));
            if (!keepConn) socket.end();
          },
          abort: () => socket.destroy(),
        };
        router = new BodyRouter(
          (h, wantMore) => {
            const bridge = new BridgeSocket(h, transport, wantMore);
            httpServer.emit('connection', bridge);
            return bridge;
          },
          socket,
          plan.postBuffering,
        );
        router.head(head);
      },
      onBody(_requestId, chunk) {
        router?.body(chunk);
      },
      onBodyEnd() {
        socket.setTimeout(0);
        router?.bodyEnd();
      },
      onAbort(requestId) {
        router?.abort();
        socket.write(encodeEndRequest(requestId, 0, FCGI_STATUS.REQUEST_COMPLETE));
      },
      onReject(requestId, protocolStatus) {
        socket.write(encodeEndRequest(requestId, 0, protocolStatus));
      },
      onGetValues(names) {
        socket.write(encodeGetValuesResult(answerGetValues(names, { maxConns: 1000, maxReqs: 1000 })));
      },
      onUnknownType(type) {
        socket.write(encodeUnknownType(type));
      },
      onError(err) {
        logProtocolError(log, socket, 'FastCGI', err);
        router?.abort();
        socket.destroy();
      },
    },
    { bufferSize: plan.bufferSize },
  );
  socket.on('data', (chunk: Buffer) => parser.push(chunk));
  socket.on('end', () => parser.end());
  socket.on('error', () => router?.abort());
  socket.on('data', () => socket.setTimeout(plan.socketTimeout * 1000));
  watchReads(socket, plan, 'FastCGI', log);
}

/**
 * socket-timeout (default 4 s, reference §2.1): a peer that stops sending in the middle of a
 * request is dropped with one log line. The clock stops once the body is complete (the app may
 * take its time); on a FastCGI keep-conn connection it restarts with the next request.
 */
function watchReads(socket: net.Socket, plan: WorkerPlan, protocol: string, log: Log): void {
  if (plan.socketTimeout <= 0) return;
  socket.setTimeout(plan.socketTimeout * 1000);
  socket.on('timeout', () => {
    log(
      `[uwsgi-ts] ${protocol} request from ${socket.remoteAddress ?? 'unix socket'} timed out after ${plan.socketTimeout} s (socket-timeout) [ERR_PROTOCOL_TRUNCATED]\n`,
    );
    socket.destroy();
  });
}

export function createBridgeServer(
  protocol: Exclude<SocketProtocol, 'http' | 'http11' | 'https'>,
  httpServer: http.Server,
  plan: WorkerPlan,
  log: Log,
): net.Server {
  return net.createServer({ noDelay: true }, (socket) => {
    if (protocol === 'fastcgi') serveFastCgi(socket, httpServer, plan, log);
    else serveStream(socket, protocol, httpServer, plan, log);
  });
}
