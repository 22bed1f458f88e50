// The log sink's part in the lifecycle: `log-reopen` reopens logto when a reload comes back, as
// uWSGI does. (The sink itself lives as long as the master: it writes the last line.)

import type { ServiceRow } from '../master-context.js';

export const logsService: ServiceRow = {
  name: 'logs',
  phase: 'config',
  open(ctx) {
    return {
      reload() {
        if (ctx.config.value('log-reopen')) ctx.logs.reopen();
      },
      close() {},
    };
  },
};
