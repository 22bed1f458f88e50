// The HTTP router role (src/gateway/http/): `http = ADDR` runs `http-processes` router processes
// in front of the backends (`http-to`, else the instance's own workers through the uwsgi socket
// the master binds for them: sockets.ts). The master binds the router sockets, as uWSGI does
// ("uWSGI http bound on ADDR fd N"), so they outlive a router that dies and is respawned.

import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { BackendAddress } from '../../gateway/backends.js';
import { HandoffRelay, type RawHandle } from '../../gateway/http/handoff-relay.js';
import {
  httpRouterPlan,
  routerAddresses,
  sniPlan,
  staticBackends,
  subscriptionAlgo,
} from '../../gateway/http/router-plan.js';
import { RouterPool } from '../../gateway/http/router-pool.js';
import { signCheckPlan } from '../../gateway/subscription-server.js';
import { describeAddress, parseAddress } from '../../net/address.js';
import { type BoundSocket, bindSocket } from '../../net/bind.js';
import { boundPort } from '../../net/native-handle.js';
import { forkChild } from '../fork-child.js';
import { safeSend } from '../supervisor/child.js';
import { mercySeconds } from '../worker-plan.js';
import type { RoleRow } from './role-row.js';

const ROUTER_ENTRY = fileURLToPath(new URL('../../gateway/http/router-main.js', import.meta.url));

/** `127.0.0.1:0` as uWSGI logs it, with the port the kernel gave (uWSGI keeps `:0`). */
function logged(raw: string, b: BoundSocket): string {
  const port = boundPort(b.handle);
  return port !== undefined ? raw.replace(/:\d+$/, `:${port}`) : raw;
}

export const httpRouterRole: RoleRow = {
  name: 'gateway',
  open(ctx) {
    const c = ctx.config;
    const addresses = routerAddresses(c);
    if (addresses.length === 0) return undefined;
    // a bad `sni` line stops the start here, not in a router process
    sniPlan(c);
    subscriptionAlgo(c);
    signCheckPlan(c);
    let backends = staticBackends(c);
    // the own workers: over FastCGI keep-conn (a pool in the router) unless the packets must carry
    // http-modifier1/2, then over uwsgi, one connection per request as uWSGI does
    // with a subscription server the nodes come from announces, not from the own workers
    const subscribed = c.all('http-subscription-server').length > 0;
    const pooled =
      !subscribed &&
      backends.length === 0 &&
      c.value('http-modifier1') === 0 &&
      c.value('http-modifier2') === 0;
    if (backends.length === 0 && !subscribed) {
      const own = ctx.bound.find((b) => b.protocol === (pooled ? 'fastcgi' : 'uwsgi'));
      const a = own?.address;
      if (own && a && (a.kind === 'tcp' || a.kind === 'unix' || a.kind === 'abstract')) {
        const port = boundPort(own.handle);
        const address = (a.kind === 'tcp' && port !== undefined ? { ...a, port } : a) as BackendAddress;
        backends = [{ name: describeAddress(address).replace(/^\S+ address /, ''), address }];
      }
    }
    // `http-websockets`: upgrades go to an HTTP socket of the own workers (sockets.ts binds one)
    let upgradeTo: BackendAddress | undefined;
    if (c.value('http-websockets') === true && staticBackends(c).length === 0 && !subscribed) {
      const h = ctx.bound.find((b) => b.protocol === 'http' || b.protocol === 'http11');
      const a = h?.address;
      if (h && a && (a.kind === 'tcp' || a.kind === 'unix' || a.kind === 'abstract')) {
        const port = boundPort(h.handle);
        upgradeTo = (a.kind === 'tcp' && port !== undefined ? { ...a, port } : a) as BackendAddress;
      }
    }
    const listeners: BoundSocket[] = [];
    /** The live router processes, told to re-read their certificates on a graceful reload. */
    const live = new Set<ReturnType<typeof forkChild>>();
    let stats: BoundSocket | undefined;
    const inherited = new Map();
    // the router hands plain http connections to the own workers: the master relays them
    const relay = new HandoffRelay({ serving: () => ctx.get('workers')?.servingProcesses() ?? [] }, (line) =>
      ctx.log(line),
    );
    const serverName = hostname();
    const pool = new RouterPool({
      processes: Math.max(1, c.value('http-processes')),
      mercyMs: mercySeconds(c) * 1000,
      log: (line) => ctx.log(line),
      spawn: (id) => {
        const child = forkChild(ctx, ROUTER_ENTRY, { UWSGI_TS_ROUTER_ID: String(id) }, `http ${id}`);
        live.add(child);
        child.on('message', (message: unknown, handle?: unknown) => {
          if ((message as { t?: unknown } | null)?.t === 'handoff' && handle)
            relay.relay(handle as RawHandle, { t: 'handed', serverName });
        });
        child.once('exit', () => live.delete(child));
        const plan = httpRouterPlan(
          ctx.config,
          listeners.map((b, i) => {
            const a = addresses[i];
            return {
              raw: a?.raw ?? '',
              port: boundPort(b.handle) ?? 0,
              kind: a?.kind ?? 'http',
              ...(a?.tls ? { tls: a.tls } : {}),
            };
          }),
          backends,
          id === 1 && stats !== undefined,
          pooled,
          upgradeTo,
        );
        safeSend(child, { t: 'router-plan', plan });
        for (const [index, b] of listeners.entries())
          safeSend(child, { t: 'router-socket', index }, b.handle);
        if (id === 1 && stats) safeSend(child, { t: 'router-stats-socket' }, stats.handle);
        safeSend(child, { t: 'start' });
        return child;
      },
    });
    return {
      start: async () => {
        for (const [i, a] of addresses.entries()) {
          const b = await bindSocket(
            i,
            { protocol: 'http', address: parseAddress(a.addr, a.kind), raw: a.addr, where: a.kind },
            { shared: [], inherited },
          );
          listeners.push(b);
          ctx.log(
            `uWSGI ${a.kind === 'https' ? 'https' : 'http'} bound on ${logged(a.addr, b)} fd ${b.handle.fd}`,
          );
        }
        const statsAddress = c.get('http-stats')?.raw;
        if (statsAddress) {
          stats = await bindSocket(
            0,
            {
              protocol: 'http',
              address: parseAddress(statsAddress, 'http-stats'),
              raw: statsAddress,
              where: 'http-stats',
            },
            { shared: [], inherited },
          );
          ctx.log(
            `*** http stats server enabled on ${logged(statsAddress, stats)} fd: ${stats.handle.fd} ***`,
          );
        }
        if (backends.length === 0 && !subscribed)
          ctx.log('*** WARNING: the HTTP router has no backend: every request gets 502 ***');
        await pool.start();
      },
      // uWSGI does not reload its gateways with the workers; the routers re-read their
      // certificates (a renewed certificate is served without a restart)
      reload: async () => {
        for (const child of live) safeSend(child, { t: 'tls-reload' });
      },
      stop: (graceful) => pool.stop(graceful),
      pids: () => pool.pids(),
    };
  },
};
