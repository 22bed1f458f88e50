// The master's uwsgi signal subsystem (issue "Shared services" point 4): the signal table and its
// routing to workers, timers, cron (signals and commands), file monitors, and what workers ask for
// over IPC (register, raise, add a timer/cron/monitor). Built from the config before the workers
// start, so a bad `timer` or `cron` line stops the instance with its origin.

import { formatOrigin } from '../config/entry.js';
import type { Config } from '../config/resolve.js';
import { UwsgiError } from '../errors.js';
import type { WorkerMessage } from '../ipc/messages.js';
import { ctime } from '../logging/ctime.js';
import { type CronEntry, parseCron2, parseCronLine, signalCron } from './cron.js';
import { CronRunner } from './cron-runner.js';
import { FileMonitors } from './file-monitors.js';
import { isSignalNumber, type RouterWorld, SignalRouter, type WorkerSignalStats } from './signal-router.js';
import { type SchedulerClock, SignalScheduler, type TimerKind } from './signal-scheduler.js';
import type { InstanceShape } from './signal-target.js';

export interface MasterSignalsOptions {
  readonly config: Config;
  readonly serving: RouterWorld['serving'];
  readonly send: RouterWorld['send'];
  readonly mules?: RouterWorld['mules'];
  readonly spoolers?: RouterWorld['spoolers'];
  readonly shape: InstanceShape;
  log(line: string): void;
  readonly clock?: SchedulerClock;
}

/** The stats document's `crons` row (reference §5). */
export type CronRow = {
  readonly minute: number;
  readonly hour: number;
  readonly day: number;
  readonly month: number;
  readonly week: number;
  readonly command: string;
  readonly unique: number;
  readonly legion: string;
  readonly pid: number;
  readonly started_at: number;
};

const REAL_CLOCK: SchedulerClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

type Where = string;

function badValue(option: string, value: string, where: Where, why: string): UwsgiError {
  return new UwsgiError('ERR_CONFIG_BAD_VALUE', `invalid ${option} "${value}": ${why} (${where})`);
}

/** `SIGNAL SECONDS` (timer, rbtimer): uWSGI reads garbage as 0 and raises without pause; refused here. */
function parseTimer(option: string, value: string, where: Where): { signal: number; seconds: number } {
  const m = /^\s*(\d+)\s+(\d+)\s*$/.exec(value);
  const signal = Number(m?.[1]);
  const seconds = Number(m?.[2]);
  if (!m || !isSignalNumber(signal) || seconds < 1) {
    throw badValue(option, value, where, 'give SIGNAL SECONDS, a signal 0..255 and at least 1 second');
  }
  return { signal, seconds };
}

/** `PATH SIGNAL` (fs-signal, touch-signal): the signal is the last word. */
function parsePathSignal(option: string, value: string, where: Where): { path: string; signal: number } {
  const m = /^\s*(.+?)\s+(\d+)\s*$/.exec(value);
  const signal = Number(m?.[2]);
  if (!m?.[1] || !isSignalNumber(signal))
    throw badValue(option, value, where, 'give PATH SIGNAL, a signal 0..255');
  return { path: m[1], signal };
}

type AddArgs = Readonly<Record<string, unknown>>;

const int = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

/** What a worker may add (`signal-add`), checked at the trust boundary: a row per kind. */
const ADDERS: Readonly<Record<string, (signals: MasterSignals, num: number, args: AddArgs) => boolean>> = {
  timer: (s, num, a) => s.addTimer('timer', num, a['seconds'], a['iterations']),
  rbtimer: (s, num, a) => s.addTimer('rbtimer', num, a['seconds'], a['iterations']),
  cron: (s, num, a) => {
    const { minute, hour, day, month, week } = a;
    if (!int(minute) || !int(hour) || !int(day) || !int(month) || !int(week)) return false;
    s.scheduler.addCron(signalCron(num, { minute, hour, day, month, week }), true);
    return true;
  },
  filemon: (s, num, a) => typeof a['path'] === 'string' && s.monitors.watch(a['path'], num),
};

export class MasterSignals {
  readonly router: SignalRouter;
  readonly scheduler: SignalScheduler;
  readonly monitors: FileMonitors;
  private readonly runner: CronRunner;
  private readonly config: Config;
  private readonly log: (line: string) => void;
  /** The config's timers and monitors, parsed at construction (a bad line stops the start). */
  private readonly timers: ReadonlyArray<{ kind: TimerKind; signal: number; seconds: number }>;
  private readonly fsSignals: ReadonlyArray<{ path: string; signal: number }>;
  private readonly touchSignals: ReadonlyArray<{ path: string; signal: number }>;

  constructor(options: MasterSignalsOptions) {
    const { config, log } = options;
    this.config = config;
    this.log = log;
    this.router = new SignalRouter({
      serving: options.serving,
      send: options.send,
      ...(options.mules ? { mules: options.mules } : {}),
      ...(options.spoolers ? { spoolers: options.spoolers } : {}),
      shape: options.shape,
      log,
    });
    this.runner = new CronRunner({ log, exited: (cron) => this.scheduler.cronExited(cron) });
    const clock = options.clock ?? REAL_CLOCK;
    this.scheduler = new SignalScheduler(clock, {
      raise: (num, by) => {
        if (by === 'cron') log(`${ctime(clock.now())} - [uwsgi-cron] routing signal ${num}`);
        this.router.raise(num);
      },
      runCommand: (cron) => this.runner.run(cron),
      log,
    });
    this.monitors = new FileMonitors({ raise: (num) => this.router.raise(num), log });
    this.timers = (['timer', 'rbtimer'] as const).flatMap((kind) =>
      config.all(kind).map((o) => ({ kind, ...parseTimer(kind, o.value, formatOrigin(o.origin)) })),
    );
    this.fsSignals = config
      .all('fs-signal')
      .map((o) => parsePathSignal('fs-signal', o.value, formatOrigin(o.origin)));
    this.touchSignals = config
      .all('touch-signal')
      .map((o) => parsePathSignal('touch-signal', o.value, formatOrigin(o.origin)));
    for (const entry of this.configCrons()) {
      this.scheduler.addCron(entry, false);
      if ('command' in entry.action)
        log(`[uwsgi-cron] command "${entry.action.command}" registered as cron task`);
    }
  }

  /** The cron lines of the config, parsed (a bad one throws ERR_CONFIG_BAD_VALUE). */
  private configCrons(): CronEntry[] {
    const c = this.config;
    const harakiri = c.value('cron-harakiri');
    return [
      ...c
        .all('cron')
        .map((o) => parseCronLine('cron', o.value, formatOrigin(o.origin), { unique: false, harakiri })),
      ...c
        .all('unique-cron')
        .map((o) =>
          parseCronLine('unique-cron', o.value, formatOrigin(o.origin), { unique: true, harakiri }),
        ),
      ...c.all('cron2').map((o) => parseCron2(o.value, formatOrigin(o.origin), harakiri)),
    ];
  }

  /** Starts the timers, the cron clock and the file monitors of the config. */
  start(): void {
    for (const { kind, signal, seconds } of this.timers)
      this.scheduler.addTimer({ kind, signal, seconds, iterations: 0 });
    for (const { path, signal } of this.fsSignals) this.monitors.watch(path, signal);
    const interval = this.config.value('check-interval') * 1000;
    for (const { path, signal } of this.touchSignals) this.monitors.touch(path, signal, interval);
    this.scheduler.start();
  }

  addTimer(kind: TimerKind, num: number, seconds: unknown, iterations: unknown): boolean {
    if (typeof seconds !== 'number' || !(seconds > 0) || !int(iterations) || iterations < 0) return false;
    return this.scheduler.addTimer({ kind, signal: num, seconds, iterations });
  }

  /** Raises `num` from the master (alarms, routing through a worker, tests). */
  raise(num: number): number {
    return this.router.raise(num);
  }

  /** A message from worker `wid` (process `pid`); the other message types are not ours. */
  onWorkerMessage(wid: number, pid: number, message: WorkerMessage): void {
    switch (message.t) {
      case 'signal-raise':
        if (isSignalNumber(message.num)) this.router.raise(message.num);
        return;
      case 'signal-register':
        if (isSignalNumber(message.num)) this.router.register(message.num, message.target, wid);
        return;
      case 'signal-add': {
        const add = Object.hasOwn(ADDERS, message.what) ? ADDERS[message.what] : undefined;
        if (!isSignalNumber(message.num) || !add?.(this, message.num, message.args as AddArgs)) {
          this.log(
            `[uwsgi-signal] worker ${wid} asked for an invalid ${message.what} on signal ${message.num}`,
          );
        }
        return;
      }
      case 'signal-done':
        this.router.done(pid);
        return;
      default:
        return;
    }
  }

  workerStats(id: number, pid: number): WorkerSignalStats {
    return this.router.workerStats(id, pid);
  }

  /** The stats `crons` list: command crons only, as uWSGI lists them. */
  cronRows(): CronRow[] {
    return this.scheduler.crons.flatMap(({ entry, pid, startedAt }) =>
      'command' in entry.action
        ? [
            {
              minute: entry.minute,
              hour: entry.hour,
              day: entry.day,
              month: entry.month,
              week: entry.week,
              command: entry.action.command,
              unique: entry.unique ? 1 : 0,
              legion: entry.legion,
              pid,
              started_at: startedAt,
            },
          ]
        : [],
    );
  }

  close(): void {
    this.scheduler.close();
    this.monitors.close();
    this.runner.close();
  }
}
