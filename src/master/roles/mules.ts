// The mule role (src/mule/): forked from src/mule/mule-main.ts with a plan that has no socket,
// after the workers, as uWSGI spawns them.

import { fileURLToPath } from 'node:url';
import { muleHooks } from '../../hooks/process-hooks.js';
import { muleConfig } from '../../mule/mule-config.js';
import { MulePool } from '../../mule/mule-pool.js';
import { appSpecs } from '../apps.js';
import { forkChild } from '../fork-child.js';
import { safeSend } from '../supervisor/child.js';
import { workerPlan } from '../worker-plan.js';
import type { RoleRow } from './role-row.js';

const MULE_ENTRY = fileURLToPath(new URL('../../mule/mule-main.js', import.meta.url));

export const mulesRole: RoleRow = {
  name: 'mule',
  open(ctx, onMessage) {
    const { mules: specs, farms } = muleConfig(ctx.config);
    if (specs.length === 0) return undefined;
    const mercyMs = ctx.config.value('mule-reload-mercy') * 1000;
    const pool = new MulePool({
      specs,
      spawn: (spec) => {
        const child = forkChild(ctx, MULE_ENTRY, { UWSGI_TS_MULE_ID: String(spec.id) }, `mule ${spec.id}`);
        const plan = workerPlan(ctx, 0, 0, appSpecs(ctx.config));
        safeSend(child, {
          t: 'plan',
          plan: {
            ...plan,
            sockets: [],
            maxConcurrent: 0,
            mule: { id: spec.id, script: spec.script },
            harakiri: { seconds: 0, verbose: false },
            ...muleHooks(ctx.config),
          },
        });
        safeSend(child, { t: 'start' });
        return child;
      },
      onMessage: (pid, id, message) => onMessage({ role: 'mule', id, pid }, message),
      mercyMs,
      log: (line) => ctx.log(line),
      farms,
      harakiri: ctx.config.value('mule-harakiri'),
    });
    ctx.provide('mules', pool);
    return {
      start: async () => pool.start(),
      reload: () => pool.reload(),
      stop: () => pool.stop(),
      pids: () => pool.pids(),
    };
  },
};
