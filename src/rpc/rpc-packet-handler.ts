// The modifier1 173 row of a uwsgi socket (reference §1.4, §1.5; uWSGI's plugins/rpc): an array
// `name, args...` calls a function of this worker. modifier2 0 answers `[173, size, 0] + result`
// (or the large form 5), 2 and 3 are HTTP wrappers, every other value answers the raw result
// (observed on 2.0.21: 1, 4, 5, 6 and 9 all do). No reply at all, just a closed connection, for
// an unknown or failing function: that is all a uWSGI client expects.

import type net from 'node:net';
import type { UwsgiPacket } from '../protocol/uwsgi.js';
import { decodeUwsgiArray, uwsgiArrayErrorLine } from '../protocol/uwsgi-array.js';
import type { PacketContext, PacketHandler } from '../worker/packet-handlers.js';
import type { RpcRegistry } from './registry.js';
import { answerRpcHttp, decodeRpcVars, encodeRpcHttpAnswer, xmlRpcAnswer } from './rpc-http.js';
import { encodeRpcReply, RPC_MODIFIER2 } from './rpc-reply.js';

type Log = PacketContext['log'];

/** Writes `chunks` and closes, unless the peer has gone meanwhile (an async function). */
function reply(socket: net.Socket, chunks: readonly Buffer[]): void {
  if (socket.destroyed || !socket.writable) return;
  for (const chunk of chunks) if (chunk.length > 0) socket.write(chunk);
  socket.end();
}

/** The array forms (every modifier2 but 2 and 3). */
function serveArray(registry: RpcRegistry, packet: UwsgiPacket, socket: net.Socket, log: Log): void {
  if (packet.payload.length === 0) {
    log('Empty RPC request. skip.\n');
    socket.end();
    return;
  }
  const decoded = decodeUwsgiArray(packet.payload);
  const [name, ...args] = decoded.ok ? decoded.items : [];
  if (!decoded.ok || name === undefined) {
    if (!decoded.ok) log(`${uwsgiArrayErrorLine(decoded.error)}\n`);
    log('Invalid RPC request. skip.\n');
    socket.end();
    return;
  }
  registry.call(name, args).then(
    (result) => reply(socket, packet.modifier2 === RPC_MODIFIER2.NORMAL ? encodeRpcReply(result) : [result]),
    (err: { code?: unknown; message?: unknown }) => {
      // uWSGI says nothing about an unknown function; a failing one gets its traceback logged
      if (err.code !== 'ERR_RPC_UNKNOWN_FUNCTION')
        log(`[uwsgi-ts] ${String(err.message)} [ERR_RPC_FAILED]\n`);
      reply(socket, []);
    },
  );
}

/** The HTTP wrappers: modifier2 2 (path form) and 3 (XML-RPC, answered 501). */
function serveHttp(registry: RpcRegistry, packet: UwsgiPacket, socket: net.Socket, log: Log): void {
  const vars = decodeRpcVars(packet.payload);
  if (!vars) {
    log('Invalid RPC request. skip.\n');
    socket.end();
    return;
  }
  const protocol = vars.get('SERVER_PROTOCOL');
  if (packet.modifier2 === RPC_MODIFIER2.XMLRPC) {
    log('[uwsgi-ts] XML-RPC (modifier1 173, modifier2 3) is not supported\n');
    reply(socket, encodeRpcHttpAnswer(protocol, xmlRpcAnswer()));
    return;
  }
  answerRpcHttp(registry, vars, log).then((answer) => reply(socket, encodeRpcHttpAnswer(protocol, answer)));
}

/**
 * The row for PACKET_HANDLERS. Every modifier2 is taken raw: 2 and 3 carry a vars block, decoded
 * here, because the socket serves vars packets as app requests, which RPC packets are not.
 */
export function rpcPacketHandler(registry: RpcRegistry): PacketHandler {
  return {
    raw: () => true,
    handle(packet, socket, _rest, context) {
      const http = packet.modifier2 === RPC_MODIFIER2.HTTP || packet.modifier2 === RPC_MODIFIER2.XMLRPC;
      if (http) serveHttp(registry, packet, socket, context.log);
      else serveArray(registry, packet, socket, context.log);
    },
  };
}
