// evil-reload-on-rss (reference §2.3): every mem-collector-freq seconds the master reads each
// worker's RSS and kills the ones above the limit (the respawn path logs and replaces them). The
// limit is read at each pass: a reload may have changed it.

import type { ServiceRow } from '../master-context.js';
import { residentMB } from '../process-info.js';

export const memoryService: ServiceRow = {
  name: 'memory',
  phase: 'serving',
  open(ctx) {
    const pool = ctx.get('workers');
    if (ctx.config.value('evil-reload-on-rss') <= 0 || !pool) return undefined;
    const every = ctx.config.value('mem-collector-freq') * 1000;
    const timer = setInterval(() => {
      const limit = ctx.config.value('evil-reload-on-rss');
      if (limit <= 0) return;
      for (const pid of pool.pids()) {
        const rss = residentMB(pid);
        if (rss === undefined || rss <= limit) continue;
        ctx.log(
          `worker (pid: ${pid}) has ${rss} MB of RSS, above evil-reload-on-rss ${limit} MB: killing it`,
        );
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone already
        }
      }
    }, every);
    timer.unref();
    return { close: () => clearInterval(timer) };
  },
};
