// The worker role: forked from src/worker/worker-main.ts with the sockets and the watchdog pipe,
// supervised by the worker pool (src/master/worker-pool.ts), spawned first.

import { fileURLToPath } from 'node:url';
import { workerHooks } from '../../hooks/process-hooks.js';
import { readWatchdogReports } from '../../logging/worker-output.js';
import { appSpecs } from '../apps.js';
import { forkChild } from '../fork-child.js';
import { elasticFor } from '../services/cheaper.js';
import { mercySeconds, workerCores, workerPlan } from '../worker-plan.js';
import { WorkerPool } from '../worker-pool.js';
import type { RoleRow } from './role-row.js';

const WORKER_ENTRY = fileURLToPath(new URL('../../worker/worker-main.js', import.meta.url));

export const workersRole: RoleRow = {
  name: 'worker',
  open(ctx, onMessage) {
    const c = ctx.config;
    const elastic = elasticFor(c);
    const pool = new WorkerPool({
      count: c.value('processes'),
      cores: workerCores(c).cores,
      respawn: c.value('master') === true,
      plan: (id, generation) => ({
        ...workerPlan(ctx, id, generation, appSpecs(ctx.config)),
        ...workerHooks(ctx.config, id),
      }),
      sockets: ctx.bound.map((b) => ({ index: b.index, handle: b.handle })),
      spawn: (id) => {
        const child = forkChild(ctx, WORKER_ENTRY, { UWSGI_TS_WORKER_ID: String(id) }, `worker ${id}`);
        readWatchdogReports(child, (message) => child.emit('message', message));
        return child;
      },
      onMessage: (pid, id, message) => onMessage({ role: 'worker', id, pid }, message),
      clock: { now: () => Date.now(), setTimeout: (fn, ms) => setTimeout(fn, ms) },
      lifetimeMs: (id) => {
        const lifetime = ctx.config.value('max-worker-lifetime');
        return lifetime > 0 ? (lifetime + id * ctx.config.value('max-worker-lifetime-delta')) * 1000 : 0;
      },
      mercyMs: () => mercySeconds(ctx.config) * 1000,
      log: (line) => ctx.log(line),
      ...(elastic ? { elastic: { initial: elastic.initial } } : {}),
    });
    ctx.provide('workers', pool);
    return {
      start: () => pool.start(),
      reload: () => {
        // a reload re-reads `processes`: the new generation has the new count
        pool.setCount(ctx.config.value('processes'));
        return pool.reload();
      },
      stop: (graceful) => (graceful ? pool.stop(mercySeconds(ctx.config) * 1000) : pool.kill('SIGKILL')),
      pids: () => pool.pids(),
    };
  },
};
