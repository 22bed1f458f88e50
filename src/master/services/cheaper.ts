// cheaper / idle / cheap (src/master/cheaper.ts): opened once the first workers serve.

import { formatOrigin } from '../../config/entry.js';
import { Cheaper, elasticConfig } from '../cheaper.js';
import type { ServiceRow } from '../master-context.js';
import { residentMB } from '../process-info.js';
import { socketQueue } from '../sockets.js';

export const cheaperService: ServiceRow = {
  name: 'cheaper',
  phase: 'serving',
  open(ctx) {
    const elastic = elasticFor(ctx.config);
    const pool = ctx.get('workers');
    if (!elastic || !pool) return undefined;
    let askedEmperor = false;
    const cheaper = new Cheaper(elastic, {
      pool,
      queue: () => ctx.bound.reduce((n, b) => n + socketQueue(b), 0),
      rss: (pid) => (residentMB(pid) ?? 0) * 1048576,
      log: (line) => ctx.log(line),
      shutdown: () => {
        // a vassal asks its Emperor (byte 22) and waits to be stopped, as uWSGI's do: an
        // on-demand vassal's Emperor then waits on its socket again (src/emperor/on-demand.ts)
        const emperor = ctx.get('emperor');
        if (!emperor) void ctx.lifecycle.request('stop');
        else if (!askedEmperor) {
          askedEmperor = true;
          emperor.tell('voluntary-shutdown');
        }
      },
    });
    ctx.provide('cheaper', cheaper);
    cheaper.start();
    // `cheap`: the first workers put the sockets in listening state; from now on connections
    // wait in the kernel's queue until the first one wakes the workers up
    if (elastic.cheapAtStart) cheaper.sleepNow();
    return { close: () => cheaper.close() };
  },
};

/** The elastic settings of `config` (cheaper, idle, cheap), with each option's origin in errors. */
export function elasticFor(config: Parameters<typeof elasticConfig>[0]) {
  return elasticConfig(config, (name) => {
    const origin = config.all(name as 'cheaper').at(-1)?.origin;
    return origin ? formatOrigin(origin) : 'default';
  });
}
