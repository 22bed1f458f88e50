// This worker's caches, for the paths that are not handed the shared services (the modifier1 111
// packets on uwsgi sockets, src/worker/packet-handlers.ts): set once when the worker maps the
// region, empty without caches.

import type net from 'node:net';
import { CACHE_MODIFIER1, cacheRequestLength } from '../protocol/cache-packets.js';
import { encodeUwsgiPacket, type UwsgiPacket } from '../protocol/uwsgi.js';
import { serveCachePacket } from './cache-server.js';
import type { Caches } from './caches.js';

let current: Caches | undefined;

export function setWorkerCaches(caches: Caches | undefined): void {
  current = caches;
}

/**
 * Answers one cache request (reference §1.5): the packet and whatever follows it are gathered
 * until the request is whole (a magic set carries its value after the vars), then served.
 */
export function serveCacheConnection(packet: UwsgiPacket, socket: net.Socket, rest: Buffer): void {
  const caches = current;
  if (!caches || caches.list.length === 0) {
    socket.end();
    return;
  }
  const maxValue = Math.max(...caches.list.map((c) => c.plan.maxItemSize));
  let buffered = Buffer.concat([encodeUwsgiPacket(CACHE_MODIFIER1, packet.modifier2, packet.payload), rest]);
  const attempt = (): boolean => {
    const n = cacheRequestLength(buffered, maxValue);
    if (n === -1) return false;
    socket.removeListener('data', onData);
    const reply = n === -2 ? undefined : serveCachePacket(caches.lookup, buffered.subarray(0, n));
    if (reply) socket.end(reply);
    else socket.end();
    return true;
  };
  const onData = (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    attempt();
  };
  if (!attempt()) socket.on('data', onData);
}
