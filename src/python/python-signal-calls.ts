// The `uwsgi` module's signal calls from Python (python/uwsgi_ts/signals.py), answered from the
// app API's signal functions (src/api/signals.ts), so a Python handler sits in the same signal
// table as a JS one: a JS app raises a signal a Python handler runs, and back. A registration
// reaches the worker's table once per app and worker; which Python process runs a delivered
// signal is the pool's choice (python-signal-pool.ts).

import {
  addCron,
  addFileMonitor,
  addRbTimer,
  addTimer,
  signalReceived,
  signalRegistered,
  signalWait,
} from '../api/signals.js';
import { answerInt, intArg, NONE, TRUE } from './python-answers.js';
import type { Call } from './python-api.js';
import { isForwardedToPython } from './python-signal-pool.js';

const text = (arg: Buffer | undefined): string => (arg === undefined ? '' : arg.toString('utf8'));

export const SIGNAL_CALLS: Readonly<Record<string, Call>> = {
  register_signal: ([n, target], _api, proc) => {
    proc.pool.registerSignal(intArg(n, -1), text(target), proc);
    return NONE;
  },
  // a number the worker routes to Python handlers is answered by the Python process itself
  // (its own handlers): uwsgidecorators' free-signal search must give every process the same
  // numbers, as every uWSGI worker sees only its own table
  signal_registered: ([n]) => {
    const num = intArg(n, -1);
    return signalRegistered(num) && !isForwardedToPython(num) ? TRUE : NONE;
  },
  add_timer: ([n, s]) => {
    addTimer(intArg(n, -1), intArg(s, 0));
    return NONE;
  },
  add_rb_timer: ([n, s, it]) => {
    addRbTimer(intArg(n, -1), intArg(s, 0), intArg(it, 0));
    return NONE;
  },
  add_cron: ([n, minute, hour, day, month, weekday]) => {
    addCron(
      intArg(n, -1),
      intArg(minute, -1),
      intArg(hour, -1),
      intArg(day, -1),
      intArg(month, -1),
      intArg(weekday, -1),
    );
    return TRUE;
  },
  add_file_monitor: ([n, path]) => {
    addFileMonitor(intArg(n, -1), text(path));
    return NONE;
  },
  signal_received: () => answerInt(signalReceived()),
};

/** The signal calls that wait (on the events channel, python-events.ts). */
export const SIGNAL_WAITS: Readonly<Record<string, (args: readonly Buffer[]) => Promise<Buffer>>> = {
  signal_wait: ([n]) => signalWait(n === undefined ? undefined : intArg(n, 0)).then(answerInt),
};
