// The spooler role (src/spooler/): one process per spooler directory and spooler-processes,
// forked from src/spooler/spooler-main.ts with a plan that has no socket, after the workers and
// mules (uWSGI spawns its spoolers before the workers; order does not matter to a task, which is
// on disk before anyone runs it).

import { fileURLToPath } from 'node:url';
import { pythonPlan } from '../../python/python-plan.js';
import { spoolerConfig, spoolerProcessPlan } from '../../spooler/spooler-config.js';
import { SpoolerPool } from '../../spooler/spooler-pool.js';
import { appSpecs } from '../apps.js';
import { forkChild } from '../fork-child.js';
import { safeSend } from '../supervisor/child.js';
import { mercySeconds, workerPlan } from '../worker-plan.js';
import type { RoleRow } from './role-row.js';

const SPOOLER_ENTRY = fileURLToPath(new URL('../../spooler/spooler-main.js', import.meta.url));

/** A stop at once (SIGINT) still lets a spooler finish the task in hand for this long. */
const QUICK_STOP_MS = 3000;

export const spoolersRole: RoleRow = {
  name: 'spooler',
  open(ctx, onMessage) {
    const { specs } = spoolerConfig(ctx.config);
    if (specs.length === 0) return undefined;
    const pool = new SpoolerPool({
      specs,
      spawn: (spec) => {
        const child = forkChild(ctx, SPOOLER_ENTRY, { UWSGI_TS_SPOOLER_ID: String(spec.id) }, 'spooler');
        const apps = appSpecs(ctx.config);
        const plan = workerPlan(ctx, 0, 0, apps);
        const spooler = spoolerProcessPlan(ctx.config, spec.dir);
        // a Python spooler-import needs the Python process even when no app is a Python one
        const python =
          plan.python ?? (spooler.pyImports.length > 0 ? pythonPlan(ctx.config, apps, true) : undefined);
        safeSend(child, {
          t: 'plan',
          plan: {
            ...plan,
            ...(python ? { python } : {}),
            sockets: [],
            maxConcurrent: 0,
            spooler,
            harakiri: { seconds: 0, verbose: false },
          },
        });
        safeSend(child, { t: 'start' });
        return child;
      },
      onMessage: (pid, id, message) => onMessage({ role: 'spooler', id, pid }, message),
      mercyMs: mercySeconds(ctx.config) * 1000,
      harakiri: ctx.config.value('spooler-harakiri') ?? 0,
      log: (line) => ctx.log(line),
    });
    ctx.provide('spoolers', pool);
    return {
      start: async () => pool.start(),
      reload: () => pool.reload(),
      stop: (graceful) => pool.stop(graceful ? undefined : QUICK_STOP_MS),
      pids: () => pool.pids(),
    };
  },
};
