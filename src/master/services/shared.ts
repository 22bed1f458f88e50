// The shared memory every child maps (caches, locks, sharedareas, metrics; src/shared/). Without
// the addon the services live in the master and children call them over a socket: said once.

import { CacheKeeper } from '../../cache/cache-keeper.js';
import { createRegion } from '../../shared/region.js';
import { SharedHost } from '../../shared/remote-host.js';
import { needsSharing, planShared } from '../../shared/shared-plan.js';
import { SharedServices } from '../../shared/shared-services.js';
import type { ServiceRow } from '../master-context.js';

export const sharedService: ServiceRow = {
  name: 'shared',
  phase: 'bound',
  async open(ctx) {
    const c = ctx.config;
    const plan = planShared(c, { sockets: ctx.bound.length });
    const { region, warning } = createRegion(plan.layout);
    const services = new SharedServices(plan, region, (line) => ctx.log(line));
    let host: SharedHost | undefined;
    let remote: string | undefined;
    if (warning) {
      host = new SharedHost(services);
      remote = await host.start();
      if (needsSharing(c))
        ctx.log(
          `*** WARNING: ${warning}: shared services (caches, locks, sharedareas, metrics) go through the master (slower) ***`,
        );
    }
    for (const line of services.startupLines()) ctx.log(line);
    let caches: CacheKeeper | undefined;
    if (plan.caches.length > 0) {
      caches = new CacheKeeper(plan.caches, services.caches, region, (line) => ctx.log(line));
      caches.start(c);
    }
    ctx.provide('shared', { services, remote });
    return {
      close() {
        caches?.close();
        host?.close();
      },
    };
  },
};
