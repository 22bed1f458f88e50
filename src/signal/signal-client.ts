// Raises a uwsgi signal on another instance (uWSGI's `uwsgi.signal(num, "host:port")`, core/signal.c
// client): the packet `6e 0000 NN` (reference §1.4 modifier1 110, m2 = the signal) on its uwsgi
// socket, answered `ff 0000 01` when the signal was queued (§1.5). Socket-timeout bounds the
// exchange (4 s by default, as in uWSGI).

import net from 'node:net';
import { UwsgiError } from '../errors.js';

export const SIGNAL_MODIFIER1 = 110;
const RESPONSE_MODIFIER1 = 255;

/** The request packet for signal `num`. */
export function signalPacket(num: number): Buffer {
  return Buffer.from([SIGNAL_MODIFIER1, 0, 0, num]);
}

/** The reply: `ff 0000 01` queued, `ff 0000 00` refused. */
export function signalReply(ok: boolean): Buffer {
  return Buffer.from([RESPONSE_MODIFIER1, 0, 0, ok ? 1 : 0]);
}

/** True when `reply` says the signal was queued. */
export function isSignalAccepted(reply: Buffer): boolean {
  return reply.length >= 4 && reply[0] === RESPONSE_MODIFIER1 && reply[3] === 1;
}

/** `host:port` (IPv6 as `[::1]:port`) or a unix socket path. */
function connectOptions(node: string): net.NetConnectOpts {
  const colon = node.lastIndexOf(':');
  if (colon > 0 && /^\d+$/.test(node.slice(colon + 1))) {
    const host = node.slice(0, colon).replace(/^\[(.*)\]$/, '$1') || '127.0.0.1';
    return { host, port: Number(node.slice(colon + 1)) };
  }
  return { path: node };
}

/**
 * Sends signal `num` to the instance at `node`; resolves when it answered that the signal was
 * queued, rejects with ERR_SIGNAL_NOT_DELIVERED otherwise (uWSGI: `unable to deliver signal N to
 * node ADDR`).
 */
export function sendRemoteSignal(node: string, num: number, timeoutMs = 4000): Promise<void> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = (err?: unknown) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      if (isSignalAccepted(Buffer.concat(chunks))) {
        resolve();
        return;
      }
      reject(
        new UwsgiError('ERR_SIGNAL_NOT_DELIVERED', `unable to deliver signal ${num} to node ${node}`, {
          ...(err === undefined ? {} : { cause: err }),
        }),
      );
    };
    const socket = net.connect(connectOptions(node), () => socket.write(signalPacket(num)));
    socket.setTimeout(timeoutMs, () => finish(new Error(`no answer in ${timeoutMs} ms`)));
    socket.on('data', (d: Buffer) => {
      chunks.push(d);
      if (Buffer.concat(chunks).length >= 4) finish();
    });
    socket.on('error', (err) => finish(err));
    socket.on('close', () => finish());
  });
}
