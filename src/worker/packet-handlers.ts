// uwsgi packets that are not requests (reference §1.4, §1.5), answered by the worker on its uwsgi
// sockets: one row per modifier1. A row says which of its modifier2 values carry a raw payload
// (the parser then hands over the connection) and answers it. Ping and echo live here; the cache
// (111), signal (110) and RPC (173) rows join them with the shared services.

import type net from 'node:net';
import { serveCacheConnection } from '../cache/worker-caches.js';
import { encodeUwsgiPacket, type UwsgiPacket } from '../protocol/uwsgi.js';
import { rpcPacketHandler } from '../rpc/rpc-packet-handler.js';
import { workerRpc } from '../rpc/worker-rpc.js';
import { signalReply } from '../signal/signal-client.js';
import { workerSignals } from '../signal/worker-signals.js';
import { spoolPacketHandler } from '../spooler/spool-packet-handler.js';

export interface PacketContext {
  readonly log: (line: string) => void;
}

export interface PacketHandler {
  /** True when this modifier2 carries a raw payload (not a vars block). */
  raw(modifier2: number): boolean;
  /** Answers the packet; `rest` holds any bytes the peer sent after it. */
  handle(packet: UwsgiPacket, socket: net.Socket, rest: Buffer, context: PacketContext): void;
}

/** modifier1 100: `64 0000 00` -> `64 0000 01` (plugins/ping: a pong, no warning message). */
const ping: PacketHandler = {
  raw: () => true,
  handle(_packet, socket) {
    socket.end(encodeUwsgiPacket(100, 1, Buffer.alloc(0)));
  },
};

/** modifier1 101: the payload comes back as it is, with no header (plugins/echo). */
const echo: PacketHandler = {
  raw: () => true,
  handle(packet, socket) {
    socket.end(packet.payload);
  },
};

/**
 * modifier1 110: raise signal modifier2 through the master; `ff 0000 01` once it is queued, `00`
 * when the master cannot be reached (reference §1.5). A payload, if any, is read and ignored.
 */
const signal: PacketHandler = {
  raw: () => true,
  handle(packet, socket) {
    socket.end(signalReply(workerSignals.raise(packet.modifier2)));
  },
};

export const PACKET_HANDLERS: { [modifier1: number]: PacketHandler | undefined } = {
  // the spooler: a networked enqueue (src/spooler/)
  17: spoolPacketHandler,
  100: ping,
  101: echo,
  // uwsgi signals: routed by the master (src/signal/)
  110: signal,
  // the cache: get/set/del/dict/stream/magic requests on this instance's caches (src/cache/)
  111: { raw: () => true, handle: (packet, socket, rest) => serveCacheConnection(packet, socket, rest) },
  // RPC: the functions this worker registered (src/rpc/)
  173: rpcPacketHandler(workerRpc),
};

/** For the uwsgi parser's `rawPacket` option. */
export function isRawPacket(modifier1: number, modifier2: number): boolean {
  return PACKET_HANDLERS[modifier1]?.raw(modifier2) ?? false;
}
