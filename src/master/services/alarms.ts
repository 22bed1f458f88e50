// `alarm` (src/alarm/): opened before the banner, so a bad alarm stops the instance before anything
// starts and `alarm-list` prints first, as in uWSGI. alarm-log sees every line through the log sink.

import { Alarms, alarmsConfigured } from '../../alarm/alarms.js';
import type { ServiceRow } from '../master-context.js';
import { socketQueues } from './socket-queues.js';

export const alarmsService: ServiceRow = {
  name: 'alarms',
  phase: 'config',
  open(ctx) {
    if (!alarmsConfigured(ctx.config)) return undefined;
    const alarms = new Alarms(ctx.config, {
      log: (line) => ctx.log(line),
      now: () => Date.now(),
      sockets: () => socketQueues(ctx),
      // the signals open later; an alarm raises a signal only once they do
      raiseSignal: (num) => void ctx.get('signals')?.raise(num),
    });
    ctx.provide('alarms', alarms);
    if (ctx.config.value('alarm-list')) for (const line of alarms.listLines()) ctx.log(line);
    if (alarms.watchesLog) ctx.logs.observe((line) => alarms.checkLine(line));
    return { serve: () => alarms.start(), close: () => alarms.close() };
  },
};
