// `stats = ADDR` (reference §5): the document is built on each connection, from the config of now.

import { statsDocument } from '../../stats/stats-document.js';
import { StatsServer } from '../../stats/stats-server.js';
import type { ServiceRow } from '../master-context.js';

export const statsService: ServiceRow = {
  name: 'stats',
  phase: 'supervising',
  async open(ctx) {
    const address = ctx.config.value('stats');
    const pool = ctx.get('workers');
    if (!address || !pool) return undefined;
    const server = new StatsServer({
      address,
      http: ctx.config.value('stats-http') === true,
      minified: ctx.config.value('stats-minified') === true,
      document: async () => {
        const shared = ctx.get('shared')?.services;
        return statsDocument(ctx.config, ctx.bound, await pool.stats(200), {
          ...(shared
            ? {
                locks: {
                  user: shared.lockStats(),
                  sharedareas: shared.sharedareaLockStats(),
                  caches: shared.cacheLockStats(),
                },
                caches: shared.caches.stats().map((c) => ({ ...c })),
              }
            : {}),
          metrics: ctx.config.value('stats-no-metrics') ? undefined : ctx.get('metrics')?.statsSection(),
          signals: ctx.get('signals'),
          spoolers: ctx.get('spoolers'),
          daemons: ctx.get('daemons'),
          mules: ctx.get('mules'),
        });
      },
      log: (line) => ctx.log(line),
    });
    await server.start();
    return { close: () => server.close() };
  },
};
