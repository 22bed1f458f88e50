// Calls an RPC function on another node (uWSGI's client, core/rpc.c): one connection per call,
// `[173, size, 0] + array(name, args...)`, then one reply (src/rpc/rpc-reply.ts). socket-timeout
// bounds every step as it does uWSGI's connect/read/write (reference §1.5: default 4 s).

import net from 'node:net';
import { UwsgiError } from '../errors.js';
import { parseAddress } from '../net/address.js';
import { encodeUwsgiPacket } from '../protocol/uwsgi.js';
import { encodeUwsgiArray, UWSGI_ARRAY_MAX_ITEMS, uwsgiArraySize } from '../protocol/uwsgi-array.js';
import { RPC_MODIFIER1, RPC_MODIFIER2, RpcReplyParser } from './rpc-reply.js';

/** The name takes one array item: uWSGI's receiver reads at most 254 arguments after it. */
export const RPC_MAX_ARGS = UWSGI_ARRAY_MAX_ITEMS - 1;

/**
 * The request packet of a NORMAL call. Coded errors where uWSGI's client refuses the call (more
 * than 65535 bytes: "RPC packet length overflow") or its receiver would drop arguments silently.
 *
 * @example
 * encodeRpcRequest(Buffer.from('hello'), [Buffer.from('a'), Buffer.from('b')]);
 * // <ad 0d 00 00 05 00 'hello' 01 00 'a' 01 00 'b'>
 */
export function encodeRpcRequest(name: Uint8Array, args: readonly Uint8Array[]): Buffer {
  if (args.length > RPC_MAX_ARGS) {
    throw new UwsgiError(
      'ERR_RPC_TOO_LARGE',
      `rpc(): ${args.length} arguments, a node reads at most ${RPC_MAX_ARGS} (the rest would be dropped)`,
    );
  }
  const items = [name, ...args];
  const size = uwsgiArraySize(items);
  if (size > 0xffff) {
    throw new UwsgiError(
      'ERR_RPC_TOO_LARGE',
      `rpc(): the request is ${size} bytes, it must be less than or equal to 65535 (name and arguments)`,
    );
  }
  return encodeUwsgiPacket(RPC_MODIFIER1, RPC_MODIFIER2.NORMAL, encodeUwsgiArray(items));
}

type ConnectTarget = { port: number; host: string } | { path: string };

/** `host:port`, `[::1]:port`, a unix socket path or `@abstract`, as uWSGI's connect reads them. */
function target(node: string): ConnectTarget {
  let address: ReturnType<typeof parseAddress>;
  try {
    address = parseAddress(node, 'rpc node');
  } catch (err) {
    throw new UwsgiError('ERR_RPC_CONNECT', `rpc(): bad node address "${node}"`, { cause: err });
  }
  switch (address.kind) {
    case 'tcp':
      return { host: address.host, port: address.port };
    case 'unix':
      return { path: address.path };
    case 'abstract':
      return { path: `\0${address.name}` };
    default:
      throw new UwsgiError('ERR_RPC_CONNECT', `rpc(): "${node}" is not an address rpc can connect to`);
  }
}

/**
 * Calls `name` on `node` with one connection; resolves with the result bytes. Rejects with
 * ERR_RPC_CONNECT, ERR_RPC_TIMEOUT (no progress for `timeoutMs`), ERR_RPC_TOO_LARGE, or
 * ERR_RPC_FAILED when the node closes without a reply (an unknown or failing function: the wire
 * does not say which).
 *
 * @example
 * const result = await callRemote('127.0.0.1:3031', Buffer.from('hello'), [Buffer.from('a')], 4000);
 */
export function callRemote(
  node: string,
  name: Uint8Array,
  args: readonly Uint8Array[],
  timeoutMs: number,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const packet = encodeRpcRequest(name, args);
    const where = `rpc "${Buffer.from(name).toString('utf8')}" on ${node}`;
    const socket = net.connect({ ...target(node), noDelay: true });
    let connected = false;
    let settled = false;
    const settle = (err: Error | undefined, result?: Buffer) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      if (err) reject(err);
      else resolve(result as Buffer);
    };
    const parser = new RpcReplyParser({
      onReply: (result) => settle(undefined, result),
      onError: (err) =>
        settle(
          new UwsgiError(
            'ERR_RPC_FAILED',
            err.code === 'ERR_PROTOCOL_TRUNCATED' && err.message.endsWith('without a reply')
              ? `${where}: the node closed the connection without a reply (unknown function, or it failed)`
              : `${where}: bad reply (${err.message})`,
          ),
        ),
    });
    if (timeoutMs > 0) {
      socket.setTimeout(timeoutMs, () =>
        settle(
          new UwsgiError(
            'ERR_RPC_TIMEOUT',
            `${where}: ${connected ? 'no reply' : 'not connected'} within ${timeoutMs / 1000} s (socket-timeout)`,
          ),
        ),
      );
    }
    socket.on('connect', () => {
      connected = true;
      socket.write(packet);
    });
    socket.on('data', (chunk: Buffer) => parser.push(chunk));
    socket.on('end', () => parser.end());
    socket.on('close', () => parser.end());
    socket.on('error', (err: NodeJS.ErrnoException) =>
      settle(
        connected
          ? new UwsgiError('ERR_RPC_FAILED', `${where}: ${err.code ?? err.message}`, { cause: err })
          : new UwsgiError('ERR_RPC_CONNECT', `${where}: cannot connect (${err.code ?? err.message})`, {
              cause: err,
            }),
      ),
    );
  });
}
