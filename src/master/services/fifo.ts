// `master-fifo`: the FIFO commands of reference §6.1, as lifecycle requests and log operations.

import { rmSync, writeFileSync } from 'node:fs';
import { type FifoActions, MasterFifo } from '../fifo.js';
import type { ServiceRow } from '../master-context.js';

export const fifoService: ServiceRow = {
  name: 'fifo',
  phase: 'supervising',
  open(ctx) {
    const paths = ctx.config.all('master-fifo').map((o) => o.value);
    if (paths.length === 0) return undefined;
    const request = ctx.lifecycle.request.bind(ctx.lifecycle);
    const cheaper = (f: 'increase' | 'decrease') => () => {
      const c = ctx.get('cheaper');
      if (c) c[f]();
      else ctx.log(`master fifo: ${f === 'increase' ? '+' : '-'} needs cheaper mode (cheaper = N)`);
    };
    const actions: FifoActions = {
      gracefulReload: () => void request('reload'),
      brutalReload: () => void request('brutal-reload'),
      chainReload: () => {
        ctx.log('chain reload starting...');
        request('chain-reload');
      },
      gracefulStop: () => void request('stop'),
      brutalStop: () => void request('kill'),
      reopenLogs: () => ctx.logs.reopen(),
      rotateLogs: () => ctx.logs.rotate(),
      rewritePidfiles: () => {
        for (const path of ctx.pidfiles) writeFileSync(path, `${process.pid}\n`);
        ctx.log('pidfiles rewritten');
      },
      cheaperIncrease: cheaper('increase'),
      cheaperDecrease: cheaper('decrease'),
      statsToLog: () =>
        ctx.log(
          `stats: master pid ${process.pid}, workers ${ctx.get('workers')?.pids().join(', ') ?? 'none'}`,
        ),
      log: (line) => ctx.log(line),
      toggleSubscriptions: () => {
        const s = ctx.get('subscriptions');
        if (s) s.toggle();
        else ctx.log('master fifo: S needs subscriptions (subscribe-to or subscribe2)');
      },
    };
    const fifo = new MasterFifo(paths, actions);
    fifo.start();
    return {
      close() {
        fifo.close();
        if (ctx.config.value('vacuum')) for (const f of fifo.files) rmSync(f, { force: true });
      },
    };
  },
};
