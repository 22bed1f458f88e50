// A spooler process (seed manual "The uWSGI Spooler", reference §8): maps the instance's shared
// memory and gets the app API as a worker does, imports spooler-import modules and the apps (the
// task functions they register with spoolTask() / setSpooler()), then runs its directory's loop
// (src/spooler/spooler-loop.ts). Told to stop (by the master, by SIGTERM/SIGINT, or by the master
// going away) it finishes the task in hand, so that task is removed or kept, never run twice.

import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isUwsgiError } from '../errors.js';
import { dispatchMasterMessage, type MasterMessageHandlers } from '../ipc/messages.js';
import { ownLogWriter } from '../logging/worker-output.js';
import { workerSignals } from '../signal/worker-signals.js';
import { loadApp } from '../worker/app-loader.js';
import { installBackgroundRuntime } from '../worker/background-runtime.js';
import { installListenCapture } from '../worker/listen-capture.js';
import type { WorkerPlan } from '../worker/plan.js';
import { attachProcessServices } from '../worker/process-services.js';
import { PythonSpooler } from './python-spooler.js';
import { SpoolerLoop, type SpoolerStatus } from './spooler-loop.js';

class Spooler {
  private plan: WorkerPlan | undefined;
  private write: (line: string) => void = ownLogWriter();
  private loop: SpoolerLoop | undefined;
  private stopping = false;
  private python: PythonSpooler | undefined;

  private readonly handlers: MasterMessageHandlers = {
    plan: (m) => {
      this.plan = m.plan;
      if (m.plan.logging.logMaster) this.write = (line) => process.send?.({ t: 'log', line });
      process.title = `uWSGI spooler ${m.plan.spooler?.dir ?? ''}`;
    },
    socket: () => {},
    start: () => {
      this.start().catch((err: unknown) => this.fail(err));
    },
    stop: () => this.stop(),
    'stats?': () => {},
    // the spooler is a target of uwsgi signals (seed manual: "the spooler is able to manage uWSGI signals too")
    signal: (m) => workerSignals.deliver(m.num),
    'mule-msg': () => {},
    'farm-msg': () => {},
    handed: () => {},
  };

  onMessage(message: unknown): void {
    dispatchMasterMessage(this.handlers, message, undefined);
  }

  private log(line: string): void {
    this.write(`${line}\n`);
  }

  stop(): void {
    if (this.stopping) return;
    this.stopping = true;
    if (this.loop) this.loop.stop();
    else {
      this.python?.stop();
      process.exit(0);
    }
  }

  private fail(err: unknown): never {
    const why = isUwsgiError(err)
      ? `${err.message} [${err.code}]`
      : err instanceof Error
        ? (err.stack ?? err.message)
        : String(err);
    this.log(`spooler failed: ${why}`);
    process.exit(1);
  }

  private async start(): Promise<void> {
    const plan = this.plan;
    const spooler = plan?.spooler;
    if (!plan || !spooler) throw new Error('spooler started without a plan');
    const shared = attachProcessServices(plan, (line) => this.write(line));
    installBackgroundRuntime(plan, shared, (line) => this.write(line));
    for (const file of spooler.imports) await import(pathToFileURL(file).href);
    // an app that listen()s itself must not take its port in the spooler too (listen-capture.ts)
    installListenCapture();
    // the apps register their tasks at import time; one that does not load costs only its tasks
    for (const spec of plan.apps) {
      if (spec.python) continue;
      try {
        await loadApp(spec, plan.appStyle, process.cwd());
      } catch (err) {
        this.log(
          `spooler on ${spooler.dir}: app ${resolve(spec.file)} did not load, its tasks stay on disk: ${err instanceof Error ? err.message : String(err)}`,
        );
      }
    }
    // Python tasks: one Python process with the apps' modules and the Python spooler-imports
    const python = plan.python
      ? new PythonSpooler({
          plan: plan.python,
          apps: plan.apps,
          spoolerImports: spooler.pyImports,
          chdir: spooler.chdir ?? spooler.dir,
          node: hostname(),
          masterPid: process.ppid,
          log: (line) => this.log(line),
          who: `[spooler ${spooler.dir} pid: ${process.pid}]`,
        })
      : undefined;
    this.python = python;
    await python?.start();
    // uWSGI runs its spoolers in their directory (or spooler-chdir)
    process.chdir(spooler.chdir ?? spooler.dir);
    const report = new StatusReporter(spooler.harakiri > 0);
    this.loop = new SpoolerLoop({
      plan: spooler,
      log: (line) => this.log(line),
      report: (s) => report.send(s),
      ...(python ? { python } : {}),
    });
    if (this.stopping) this.loop.stop();
    await this.loop.run();
    python?.stop();
    report.flush();
    process.exit(0);
  }
}

/**
 * Task start and end reach the master for the stats and spooler-harakiri: at once when harakiri
 * needs the start time, otherwise at most every 100 ms (a spooler may run thousands a second).
 */
class StatusReporter {
  private last: SpoolerStatus | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly immediate: boolean) {}

  send(status: SpoolerStatus): void {
    this.last = status;
    if (this.immediate) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), 100);
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const s = this.last;
    if (s && process.connected)
      process.send?.({ t: 'spooler-status', tasks: s.tasks, task: s.task, since: s.since });
  }
}

export function runSpooler(): void {
  const spooler = new Spooler();
  process.on('message', (message) => spooler.onMessage(message));
  // the master is gone (even SIGKILLed): finish the task in hand, then go
  process.on('disconnect', () => spooler.stop());
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGQUIT'] as const) process.on(signal, () => spooler.stop());
  process.on('SIGHUP', () => {});
}

runSpooler();
