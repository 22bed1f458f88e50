// A cache on another node, as uWSGI's clients reach it (`uwsgi.cache_get(key, "name@host:port")`,
// reference §1.5): one connection per call, a magic request (m2 17), one reply. socket-timeout
// bounds it, as it bounds uWSGI's connect and read.

import net from 'node:net';
import { UwsgiError } from '../errors.js';
import { parseAddress } from '../net/address.js';
import {
  type CacheClientRequest,
  type CacheReply,
  encodeCacheRequest,
  parseCacheReply,
} from '../protocol/cache-packets.js';

function connectTarget(node: string): { host: string; port: number } | { path: string } {
  let address: ReturnType<typeof parseAddress>;
  try {
    address = parseAddress(node, 'cache node');
  } catch (cause) {
    throw new UwsgiError('ERR_CACHE_REMOTE', `bad cache node address "${node}"`, { cause });
  }
  if (address.kind === 'tcp') return { host: address.host, port: address.port };
  if (address.kind === 'unix') return { path: address.path };
  if (address.kind === 'abstract') return { path: `\0${address.name}` };
  throw new UwsgiError('ERR_CACHE_REMOTE', `"${node}" is not an address a cache can be reached at`);
}

/** Sends one request to `node`; resolves with the reply (a closed connection reads as a failure). */
export function remoteCacheRequest(
  node: string,
  request: CacheClientRequest,
  timeoutMs: number,
): Promise<CacheReply> {
  return new Promise((resolve, reject) => {
    const packet = encodeCacheRequest(request);
    const socket = net.connect({ ...connectTarget(node), noDelay: true });
    let received = Buffer.alloc(0);
    let settled = false;
    const done = (err: Error | undefined, reply?: CacheReply) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      if (err) reject(err);
      else resolve(reply as CacheReply);
    };
    const check = (ended: boolean) => {
      const reply = parseCacheReply(received, ended);
      if (reply) done(undefined, reply);
    };
    if (timeoutMs > 0) {
      socket.setTimeout(timeoutMs, () =>
        done(
          new UwsgiError(
            'ERR_CACHE_REMOTE',
            `cache ${request.command} on ${node}: no answer within ${timeoutMs / 1000} s`,
          ),
        ),
      );
    }
    socket.on('connect', () => socket.write(packet));
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      check(false);
    });
    socket.on('end', () => check(true));
    socket.on('close', () => check(true));
    socket.on('error', (err: NodeJS.ErrnoException) =>
      done(
        new UwsgiError(
          'ERR_CACHE_REMOTE',
          `cache ${request.command} on ${node}: ${err.code ?? err.message}`,
          { cause: err },
        ),
      ),
    );
  });
}
