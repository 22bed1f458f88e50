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
import { BridgeSocket, StatusLineRewriter } from './bridge-socket.js';
import type { WorkerPlan } from './plan.js';

type Log = (line: string) => void;

/** modifier1 values served as requests: 0 (WSGI-style request) and 30 (same, PATH_INFO fixed). */
const REQUEST_MODIFIERS = new Set([0, 30]);

function logProtocolError(log: Log, socket: net.Socket, protocol: string, err: ProtocolError): void {
  log(
    `[uwsgi-ts] ${protocol} request from ${socket.remoteAddress ?? 'unix socket'} refused: ${err.message} [${err.code}]\n`,
  );
}

/** uwsgi and SCGI: one request per connection, body streamed into the bridge. */
function serveStream(
  socket: net.Socket,
  protocol: 'uwsgi' | 'scgi',
  httpServer: http.Server,
  plan: WorkerPlan,
  log: Log,
): void {
  let bridge: BridgeSocket | undefined;
  const rewriter = protocol === 'scgi' ? new StatusLineRewriter() : undefined;
  const events = {
    onHead(head: RequestHead) {
      if (protocol === 'uwsgi' && !REQUEST_MODIFIERS.has(head.modifier1)) {
        log(`-- unavailable modifier requested: ${head.modifier1} --\n`);
        socket.destroy();
        return;
      }
      bridge = new BridgeSocket(
        head,
        {
          write: (chunk, done) => {
            const out = rewriter ? rewriter.rewrite(chunk) : chunk;
            if (out.length === 0) done();
            else socket.write(out, done);
          },
          end: () => socket.end(),
          abort: () => socket.destroy(),
        },
        () => socket.resume(),
      );
      httpServer.emit('connection', bridge);
    },
    onBody(chunk: Buffer) {
      if (bridge && !bridge.feed(chunk)) socket.pause();
    },
    onBodyEnd() {
      bridge?.feedEnd();
    },
    onError(err: ProtocolError) {
      logProtocolError(log, socket, protocol, err);
      bridge?.destroy();
      socket.destroy();
    },
  };
  const parser =
    protocol === 'uwsgi'
      ? new UwsgiRequestParser(events, { bufferSize: plan.bufferSize, maxVars: plan.maxVars })
      : new ScgiRequestParser(events, { bufferSize: plan.bufferSize });
  socket.on('data', (chunk: Buffer) => parser.push(chunk));
  socket.on('end', () => parser.end());
  socket.on('error', () => bridge?.destroy());
  socket.on('close', () => {
    if (bridge && !bridge.writableFinished) bridge.destroy();
  });
}

/** FastCGI: records, keep-conn, one request at a time (FCGI_MPXS_CONNS=0). */
function serveFastCgi(socket: net.Socket, httpServer: http.Server, plan: WorkerPlan, log: Log): void {
  let bridge: BridgeSocket | undefined;
  const parser = new FastCgiConnectionParser(
    {
      onHead(requestId, head, keepConn) {
        const rewriter = new StatusLineRewriter();
        bridge = new BridgeSocket(
          head,
          {
            write: (chunk, done) => {
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
          },
          () => socket.resume(),
        );
        httpServer.emit('connection', bridge);
      },
      onBody(_requestId, chunk) {
        if (bridge && !bridge.feed(chunk)) socket.pause();
      },
      onBodyEnd() {
        bridge?.feedEnd();
      },
      onAbort(requestId) {
        bridge?.destroy();
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
        bridge?.destroy();
        socket.destroy();
      },
    },
    { bufferSize: plan.bufferSize },
  );
  socket.on('data', (chunk: Buffer) => parser.push(chunk));
  socket.on('end', () => parser.end());
  socket.on('error', () => bridge?.destroy());
}

export function createBridgeServer(
  protocol: Exclude<SocketProtocol, 'http' | 'http11' | 'https'>,
  httpServer: http.Server,
  plan: WorkerPlan,
  log: Log,
): net.Server {
  return net.createServer((socket) => {
    socket.setNoDelay(true);
    if (protocol === 'fastcgi') serveFastCgi(socket, httpServer, plan, log);
    else serveStream(socket, protocol, httpServer, plan, log);
  });
}
