// The attached-daemon role (src/daemon/): external commands started with the instance, in process
// groups of their own, respawned with throttling, stopped with their whole tree when the instance
// stops (seed manual "Managing external daemons/services"). A reload leaves them running.

import type { OptionName } from '../../config/option-table.js';
import { daemonSpecs } from '../../daemon/daemon-config.js';
import { DaemonPool } from '../../daemon/daemon-pool.js';
import { DaemonProcess } from '../../daemon/daemon-process.js';
import { mercySeconds } from '../worker-plan.js';
import type { RoleRow } from './role-row.js';

export const daemonsRole: RoleRow = {
  name: 'daemon',
  open(ctx) {
    const specs = daemonSpecs(ctx.config);
    if (specs.length === 0) return undefined;
    const pool = new DaemonPool({
      specs,
      spawn: (spec) =>
        new DaemonProcess(
          spec,
          ctx.logFd === 2 ? 'inherit' : ctx.logFd,
          (line) => ctx.log(line),
          // an option of uWSGI's table (option-table-uwsgi.ts), read by name
          ctx.config.all('daemons-honour-stdin' as OptionName).length > 0 ? 'inherit' : 'ignore',
        ),
      mercyMs: mercySeconds(ctx.config) * 1000,
      log: (line) => ctx.log(line),
      onControlDeath: (spec) => {
        ctx.log(`[uwsgi-daemons] control daemon "${spec.cmd}" died: stopping the instance`);
        ctx.lifecycle.request('stop');
      },
    });
    ctx.provide('daemons', pool);
    return {
      start: async () => pool.start(),
      reload: async () => {},
      stop: () => pool.stop(),
      pids: () => pool.pids(),
    };
  },
};
