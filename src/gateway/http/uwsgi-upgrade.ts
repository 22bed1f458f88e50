// `http-websockets` towards `http-to` backends and subscribed nodes (reference §2.11; seed manual
// "WebSocket support"): an upgrade request goes to the node as a uwsgi packet, as any request
// does, and then the connection is raw both ways, the way uWSGI's router puts a session in raw
// mode: the node's worker answers the handshake (101) and the frames follow on the same
// connection. A uwsgi backend reads the bytes behind the packet itself (uWSGI's websocket API,
// ours behind nginx's uwsgi_pass), so no HTTP socket is needed on the node.

import type http from 'node:http';
import type net from 'node:net';
import { encodeUwsgiPacket, encodeUwsgiVars } from '../../protocol/uwsgi.js';
import type { Backend } from '../backends.js';
import type { SessionContext } from './http-session.js';
import { requestVars } from './request-vars.js';
import { joinRaw } from './upgrade-relay.js';

function refuse(client: net.Socket, status: string): void {
  client.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

export async function relayUwsgiUpgrade(
  ctx: SessionContext,
  req: http.IncomingMessage,
  client: net.Socket,
  head: Buffer,
): Promise<void> {
  const peer = ctx.peerOf(client);
  const what = `${req.method} ${req.url} from ${peer.address}`;
  client.on('error', () => client.destroy());
  let order: readonly Backend[] = ctx.backends.order();
  let modifier1 = ctx.modifier1;
  let modifier2 = ctx.modifier2;
  if (ctx.subscriptions) {
    const key = req.headers.host ?? '';
    const nodes = ctx.subscriptions.order(key, peer.address);
    const picked = nodes[0];
    if (picked === undefined) {
      ctx.counters.errors++;
      ctx.log(`[uwsgi-http] no node subscribed for key "${key}" (upgrade ${what}) -> 502\n`);
      refuse(client, '502 Bad Gateway');
      return;
    }
    const table = ctx.subscriptions;
    client.once('close', () => table.release(picked));
    order = nodes.map((n) => n.backend);
    modifier1 = picked.modifier1 ?? modifier1;
    modifier2 = picked.modifier2 ?? modifier2;
  }
  const vars = requestVars(
    {
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      httpVersion: req.httpVersion,
      rawHeaders: req.rawHeaders,
      remoteAddress: peer.address,
      remotePort: peer.port,
    },
    ctx.vars,
    undefined,
  );
  let packet: Buffer;
  try {
    packet = encodeUwsgiPacket(modifier1, modifier2, encodeUwsgiVars(vars));
  } catch (err) {
    ctx.log(`[uwsgi-http] upgrade ${what} too large for a uwsgi packet: ${(err as Error).message} -> 431\n`);
    refuse(client, '431 Request Header Fields Too Large');
    return;
  }
  const connected = await ctx.backends.connect(order);
  if (!connected) {
    ctx.counters.errors++;
    ctx.log(`[uwsgi-http] upgrade ${what}: no backend answered -> 502\n`);
    refuse(client, '502 Bad Gateway');
    return;
  }
  const backend = connected.socket;
  if (client.destroyed) {
    backend.destroy();
    return;
  }
  // raw from here, as the relay to the own workers' HTTP socket
  joinRaw(client, backend, [packet, head], (err) =>
    ctx.log(`[uwsgi-http] upgrade ${what}: node ${connected.backend.name}: ${err.message}\n`),
  );
}
