// Runs the commands of command crons for the master, with uWSGI 2.0.21's lines
// (test/fixtures/signal/uwsgi-2.0.21-signals.json): `running`, `exited after`, and the cron
// harakiri that kills a command running too long. The command's output goes to the log.

import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { ctime } from '../logging/ctime.js';
import type { CronState } from './signal-scheduler.js';

export interface CronRunnerOptions {
  log(line: string): void;
  /** The command of `cron` ended (its state is reset by the scheduler). */
  exited(cron: CronState): void;
  now?(): number;
}

export class CronRunner {
  private readonly running = new Map<ChildProcess, NodeJS.Timeout | undefined>();
  private readonly now: () => number;

  constructor(private readonly options: CronRunnerOptions) {
    this.now = options.now ?? Date.now;
  }

  run(cron: CronState): void {
    const { action, harakiri } = cron.entry;
    if (!('command' in action)) return;
    const command = action.command;
    const log = this.options.log;
    const started = this.now();
    // its own process group: a harakiri or a shutdown stops the whole command, not only the shell
    const child = spawn('/bin/sh', ['-c', command], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const pid = child.pid;
    if (pid === undefined) {
      child.once('error', (err) => log(`[uwsgi-cron] unable to run "${command}": ${err.message}`));
      return;
    }
    cron.pid = pid;
    cron.startedAt = Math.floor(started / 1000);
    log(`${ctime(started)} - [uwsgi-cron] running "${command}" (pid ${pid})`);
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY }).on('line', log);
    }
    const limit =
      harakiri > 0
        ? setTimeout(() => {
            log(`*** HARAKIRI ON CRON "${command}" (pid: ${pid}) ***`);
            killGroup(pid, 'SIGKILL');
          }, harakiri * 1000)
        : undefined;
    limit?.unref();
    this.running.set(child, limit);
    child.once('exit', () => {
      clearTimeout(this.running.get(child));
      this.running.delete(child);
      // whole seconds of the clock, as uWSGI counts them (an `echo` "exited after 1 second(s)")
      const seconds = Math.floor(this.now() / 1000) - Math.floor(started / 1000);
      log(`[uwsgi-cron] command "${command}" running with pid ${pid} exited after ${seconds} second(s)`);
      this.options.exited(cron);
    });
  }

  /** Stops the commands still running (the instance is going away). */
  close(): void {
    for (const [child, limit] of this.running) {
      clearTimeout(limit);
      if (child.pid !== undefined) killGroup(child.pid, 'SIGTERM');
    }
    this.running.clear();
  }
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}
