// The fastrouter role (src/gateway/fastrouter/): `fastrouter = ADDR` runs `fastrouter-processes`
// processes that route uwsgi requests by key (seed manual "The uWSGI FastRouter"). The master binds
// the sockets and logs them as uWSGI does ("uWSGI fastrouter bound on ADDR fd N").

import { fileURLToPath } from 'node:url';
import { fastRouterPlan } from '../../gateway/fastrouter/fastrouter-plan.js';
import { gatewayRole, RouterPool } from '../../gateway/http/router-pool.js';
import { signCheckPlan } from '../../gateway/subscription-server.js';
import { parseAddress } from '../../net/address.js';
import { type BoundSocket, bindSocket } from '../../net/bind.js';
import { boundPort } from '../../net/native-handle.js';
import { forkChild } from '../fork-child.js';
import { safeSend } from '../supervisor/child.js';
import { mercySeconds } from '../worker-plan.js';
import type { RoleRow } from './role-row.js';

const ENTRY = fileURLToPath(new URL('../../gateway/fastrouter/fastrouter-main.js', import.meta.url));

const logged = (raw: string, b: BoundSocket) => {
  const port = boundPort(b.handle);
  return port !== undefined ? raw.replace(/:\d+$/, `:${port}`) : raw;
};

export const fastrouterRole: RoleRow = {
  name: 'gateway',
  open(ctx) {
    const c = ctx.config;
    const addresses = c.all('fastrouter').map((o) => o.raw);
    if (addresses.length === 0) return undefined;
    // a bad subscriptions-sign-check stops the start here, not in a fastrouter process
    signCheckPlan(c);
    const listeners: BoundSocket[] = [];
    let stats: BoundSocket | undefined;
    const inherited = new Map();
    const pool = new RouterPool({
      role: gatewayRole('fastrouter'),
      processes: Math.max(1, c.value('fastrouter-processes')),
      mercyMs: mercySeconds(c) * 1000,
      log: (line) => ctx.log(line),
      spawn: (id) => {
        const child = forkChild(ctx, ENTRY, { UWSGI_TS_ROUTER_ID: String(id) }, `fastrouter ${id}`);
        safeSend(child, {
          t: 'router-plan',
          plan: fastRouterPlan(ctx.config, id === 1 && stats !== undefined),
        });
        for (const [index, b] of listeners.entries())
          safeSend(child, { t: 'router-socket', index }, b.handle);
        if (id === 1 && stats) safeSend(child, { t: 'router-stats-socket' }, stats.handle);
        safeSend(child, { t: 'start' });
        return child;
      },
    });
    return {
      start: async () => {
        for (const [i, raw] of addresses.entries()) {
          const b = await bindSocket(
            i,
            { protocol: 'uwsgi', address: parseAddress(raw, 'fastrouter'), raw, where: 'fastrouter' },
            { shared: [], inherited },
          );
          listeners.push(b);
          ctx.log(`uWSGI fastrouter bound on ${logged(raw, b)} fd ${b.handle.fd}`);
        }
        const statsAddress = c.get('fastrouter-stats')?.raw;
        if (statsAddress) {
          stats = await bindSocket(
            0,
            {
              protocol: 'uwsgi',
              address: parseAddress(statsAddress, 'fastrouter-stats'),
              raw: statsAddress,
              where: 'fastrouter-stats',
            },
            { shared: [], inherited },
          );
          ctx.log(
            `*** fastrouter stats server enabled on ${logged(statsAddress, stats)} fd: ${stats.handle.fd} ***`,
          );
        }
        await pool.start();
      },
      // uWSGI does not reload its gateways with the workers
      reload: async () => {},
      stop: (graceful) => pool.stop(graceful),
      pids: () => pool.pids(),
    };
  },
};
