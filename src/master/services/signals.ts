// uwsgi signals, timers, cron and file monitors (src/signal/): opened before any child, so a bad
// `timer` or `cron` line stops the start; the timers run once the first workers serve.

import { muleConfig } from '../../mule/mule-config.js';
import { MasterSignals } from '../../signal/master-signals.js';
import { spoolTargets } from '../../spooler/spooler-config.js';
import type { ServiceRow } from '../master-context.js';

export const signalsService: ServiceRow = {
  name: 'signals',
  phase: 'bound',
  open(ctx) {
    const c = ctx.config;
    const mules = muleConfig(c);
    const processes = c.value('processes');
    const spoolerDirs = spoolTargets(c)?.dirs ?? [];
    const signals = new MasterSignals({
      config: c,
      serving: () => ctx.get('workers')?.serving() ?? [],
      send: (pid, num) =>
        (ctx.get('workers')?.sendTo(pid, { t: 'signal', num }) ||
          ctx.get('mules')?.sendSignal(pid, num) ||
          ctx.get('spoolers')?.sendToPid(pid, { t: 'signal', num })) ??
        false,
      mules: () => ctx.get('mules')?.serving() ?? [],
      spoolers: () => ctx.get('spoolers')?.serving() ?? [],
      shape: {
        get processes() {
          return ctx.get('workers')?.max ?? processes;
        },
        mules: mules.mules.length,
        spoolers: spoolerDirs,
        farms: mules.farms,
      },
      log: (line) => ctx.log(line),
    });
    ctx.provide('signals', signals);
    return { serve: () => signals.start(), close: () => signals.close() };
  },
};
