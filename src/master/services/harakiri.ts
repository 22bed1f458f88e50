// harakiri (reference §2.4): the master's check, every second as uWSGI's master loop does, for
// workers whose loop is blocked. The limit is read at each check: a reload may have changed it.
// Runs without a global harakiri too: any app may call setUserHarakiri() (src/api/harakiri.ts).

import { ctime } from '../../logging/request-log.js';
import type { ServiceRow } from '../master-context.js';

export const harakiriService: ServiceRow = {
  name: 'harakiri',
  phase: 'serving',
  open(ctx) {
    const pool = ctx.get('workers');
    if (!pool) return undefined;
    const timer = setInterval(() => pool.checkHarakiri(ctx.config.value('harakiri') * 1000, ctime), 1000);
    timer.unref();
    return { close: () => clearInterval(timer) };
  },
};
