// systemd Type=notify (issue 17, sd_notify(3)): READY=1 once the first workers accept,
// RELOADING=1 ... READY=1 around a reload, STOPPING=1 when a stop begins, STATUS= lines as uWSGI
// sends them, and WATCHDOG=1 every half WatchdogSec when systemd asks for it (WATCHDOG_USEC).

import { sdNotifier } from '../../os/sd-notify.js';
import { monotonicUsec, watchdogEveryMs } from '../../os/sd-watchdog.js';
import type { ServiceRow } from '../master-context.js';

export const systemdNotifyService: ServiceRow = {
  name: 'systemd-notify',
  // first: NOTIFY_SOCKET leaves the environment before any child is forked
  phase: 'config',
  open(ctx) {
    const sd = sdNotifier(process.env, (line) => ctx.log(line));
    if (!sd) return undefined;
    sd.notify('STATUS=uWSGI is initializing');
    let stopping = false;
    const timers: NodeJS.Timeout[] = [];
    const every = (ms: number, fn: (stop: () => void) => void) => {
      const timer = setInterval(() => fn(() => clearInterval(timer)), ms);
      timer.unref();
      timers.push(timer);
    };
    const stop = () => {
      if (stopping) return;
      stopping = true;
      sd.notify('STOPPING=1', 'STATUS=uWSGI is stopping');
    };
    const watchdogMs = watchdogEveryMs(process.env);
    if (watchdogMs) every(watchdogMs, () => sd.notify('WATCHDOG=1'));
    return {
      serve() {
        sd.notify('READY=1', 'STATUS=uWSGI is ready');
        // the lifecycle has no listeners: a coarse look for the start of a stop
        every(250, (done) => {
          if (!ctx.lifecycle.isStopping) return;
          done();
          stop();
        });
      },
      reload() {
        if (stopping) return;
        sd.notify('RELOADING=1', `MONOTONIC_USEC=${monotonicUsec()}`, 'STATUS=uWSGI is reloading');
        every(100, (done) => {
          if (ctx.lifecycle.current !== undefined && !ctx.lifecycle.isStopping) return;
          done();
          if (!ctx.lifecycle.isStopping) sd.notify('READY=1', 'STATUS=uWSGI is ready');
        });
      },
      close() {
        stop();
        for (const t of timers) clearInterval(t);
      },
    };
  },
};
