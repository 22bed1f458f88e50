// The role row of a corerouter gateway (fastrouter, rawrouter, sslrouter; src/gateway/corerouter/):
// `NAME = ADDR` runs `NAME-processes` processes. The master binds the sockets and logs them as
// uWSGI does ("uWSGI rawrouter bound on ADDR fd N", "*** rawrouter stats server enabled on ADDR
// fd: N ***", observed on 2.0.21: test/fixtures/gateway/rawrouter-uwsgi-2.0.21.json).

import { fileURLToPath } from 'node:url';
import type { OptionName } from '../../config/option-table.js';
import { type CoreRouterName, coreRouterPlan, listenerOf } from '../../gateway/corerouter/corerouter-plan.js';
import { gatewayRole, RouterPool } from '../../gateway/http/router-pool.js';
import { signCheckPlan } from '../../gateway/subscription-server.js';
import { parseAddress } from '../../net/address.js';
import { type BoundSocket, bindSocket } from '../../net/bind.js';
import { boundPort } from '../../net/native-handle.js';
import { forkChild } from '../fork-child.js';
import { safeSend } from '../supervisor/child.js';
import { mercySeconds } from '../worker-plan.js';
import type { RoleRow } from './role-row.js';

const logged = (raw: string, b: BoundSocket) => {
  const port = boundPort(b.handle);
  return port !== undefined ? raw.replace(/:\d+$/, `:${port}`) : raw;
};

export function coreRouterRole(gateway: CoreRouterName): RoleRow {
  const entry = fileURLToPath(new URL(`../../gateway/${gateway}/${gateway}-main.js`, import.meta.url));
  const o = (suffix: string) => `${gateway}${suffix}` as OptionName;
  return {
    name: 'gateway',
    open(ctx) {
      const c = ctx.config;
      // a bad sslrouter line stops the start here, not in a router process
      const addresses = c.all(o('')).map((v) => listenerOf(gateway, v.raw).raw);
      if (addresses.length === 0) return undefined;
      // a bad subscriptions-sign-check stops the start here, not in a router process
      signCheckPlan(c);
      const listeners: BoundSocket[] = [];
      let stats: BoundSocket | undefined;
      const inherited = new Map();
      const pool = new RouterPool({
        role: gatewayRole(gateway),
        processes: Math.max(1, c.value(o('-processes')) as number),
        mercyMs: mercySeconds(c) * 1000,
        log: (line) => ctx.log(line),
        spawn: (id) => {
          const child = forkChild(ctx, entry, { UWSGI_TS_ROUTER_ID: String(id) }, `${gateway} ${id}`);
          safeSend(child, {
            t: 'router-plan',
            plan: coreRouterPlan(ctx.config, gateway, id === 1 && stats !== undefined),
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
              { protocol: 'uwsgi', address: parseAddress(raw, gateway), raw, where: gateway },
              { shared: [], inherited },
            );
            listeners.push(b);
            ctx.log(`uWSGI ${gateway} bound on ${logged(raw, b)} fd ${b.handle.fd}`);
          }
          const statsAddress = c.get(o('-stats'))?.raw;
          if (statsAddress) {
            stats = await bindSocket(
              0,
              {
                protocol: 'uwsgi',
                address: parseAddress(statsAddress, `${gateway}-stats`),
                raw: statsAddress,
                where: `${gateway}-stats`,
              },
              { shared: [], inherited },
            );
            ctx.log(
              `*** ${gateway} stats server enabled on ${logged(statsAddress, stats)} fd: ${stats.handle.fd} ***`,
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
}
