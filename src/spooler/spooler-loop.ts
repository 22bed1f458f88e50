// One spooler process's loop (reference §8): scan the directory, run each task that is due
// (its mtime, `at`, not in the future), then sleep for spooler-frequency or until a new spool file
// appears (an inotify watch on the directory stands in for uWSGI's SIGUSR1 from the enqueuing
// worker, and also wakes for files written by another instance or by uWSGI itself).
// A task is claimed by renaming it to a name no spooler scans, so two spooler processes (ours, or
// ours and uWSGI's locking one) never run it at once; it is removed only after it returned OK,
// put back after RETRY, a throw or no handler, and held until spooler-frequency has passed.
// A file another process is still writing (uWSGI's writer locks it; any writer leaves it short
// for a moment) is left alone and looked at again shortly, never set aside as corrupt.

import { type FSWatcher, readFileSync, renameSync, statSync, unlinkSync, watch } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { isUwsgiError } from '../errors.js';
import { decodeSpoolFile, type SpoolFile } from '../protocol/spool-file.js';
import { lockedInodes } from './spool-lock.js';
import { claimName, SPOOL_PREFIX } from './spool-name.js';
import { type SpoolEntry, scanSpool } from './spool-scan.js';
import { SPOOL_IGNORE, SPOOL_OK, SPOOL_RETRY, spoolTasks, TASK_KEY } from './spool-tasks.js';
import type { SpoolerProcessPlan } from './spooler-config.js';

/** A file modified this recently may still be in writing. */
const YOUNG_MS = 5_000;
/** How soon a file found in writing is looked at again. */
const IN_WRITING_RETRY_MS = 200;

export interface SpoolerStatus {
  readonly tasks: number;
  /** The task running now ('' when idle) and since when (ms). */
  readonly task: string;
  readonly since: number;
}

export interface SpoolerLoopOptions {
  readonly plan: SpoolerProcessPlan;
  /** Whole lines without a newline. */
  log(line: string): void;
  /** Called when a task starts and ends. */
  report(status: SpoolerStatus): void;
  /** Python tasks (python-spooler.ts): asked after the JS task of the name, before the JS raw function. */
  readonly python?: PythonTasks;
}

/** Runs a task in Python: its code, no Python handler ('missing'), or a logged failure ('failed'). */
export interface PythonTasks {
  run(file: SpoolFile, baseName: string): Promise<{ readonly code: number } | 'missing' | 'failed'>;
}

export class SpoolerLoop {
  private tasks = 0;
  private stopping = false;
  private pending = false;
  private wake: (() => void) | undefined;
  private readonly holds = new Map<string, number>();
  /** The locked inodes, read once per pass when a young file is met. */
  private locks: Set<number> | undefined;
  private readonly watchers = new Map<string, FSWatcher>();
  private readonly who: string;

  constructor(private readonly options: SpoolerLoopOptions) {
    this.who = `[spooler ${options.plan.dir} pid: ${process.pid}]`;
  }

  /** Runs until stop(); resolves once the task in hand (if any) has ended. */
  async run(): Promise<void> {
    this.watchDir(this.options.plan.dir);
    try {
      while (!this.stopping) {
        const ran = await this.pass();
        if (this.stopping) break;
        if (ran === 0) await this.sleep();
      }
    } finally {
      for (const w of this.watchers.values()) w.close();
    }
  }

  /** Ends the loop after the task in hand. */
  stop(): void {
    this.stopping = true;
    this.wake?.();
  }

  private watchDir(dir: string): void {
    if (this.watchers.has(dir)) return;
    try {
      const watcher = watch(dir, { persistent: false }, (_event, name) => {
        if (name === null || String(name).startsWith(SPOOL_PREFIX)) this.poke();
      });
      watcher.on('error', () => {});
      this.watchers.set(dir, watcher);
    } catch {
      // no inotify here: the scan every spooler-frequency still runs every task
    }
  }

  private poke(): void {
    if (this.wake) this.wake();
    else this.pending = true;
  }

  private sleep(): Promise<void> {
    if (this.pending || this.stopping) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      // a hold that ends sooner (a file found in writing) cuts the sleep short
      let ms = this.options.plan.frequency * 1000;
      for (const until of this.holds.values()) ms = Math.min(ms, Math.max(10, until - Date.now()));
      const timer = setTimeout(finish, ms);
      this.wake = finish;
    });
  }

  /** One scan; how many tasks ran. */
  private async pass(): Promise<number> {
    const { tasks, subdirs } = scanSpool(this.options.plan.dir, this.options.plan.ordered);
    for (const sub of subdirs) this.watchDir(sub);
    let ran = 0;
    this.locks = undefined;
    const now = Date.now();
    for (const [path, until] of this.holds) if (until <= now) this.holds.delete(path);
    for (const entry of tasks) {
      // a stop (a message, a signal, the master gone) is an I/O event: let it in between tasks,
      // or a pass of synchronous tasks would run to its end first
      await new Promise(setImmediate);
      if (this.stopping) break;
      if (await this.runOne(entry)) ran++;
    }
    return ran;
  }

  private lockedNow(): Set<number> {
    this.locks ??= lockedInodes();
    return this.locks;
  }

  private async runOne(entry: SpoolEntry): Promise<boolean> {
    const path = join(entry.dir, entry.name);
    if (this.holds.has(path)) return false;
    let young: boolean;
    try {
      const st = statSync(path);
      // reference §8: `at` is the mtime; skipped while it is in the future
      if (!st.isFile() || st.mtimeMs > Date.now()) return false;
      young = Date.now() - st.mtimeMs < YOUNG_MS;
      if (young && this.lockedNow().has(st.ino)) {
        this.holds.set(path, Date.now() + IN_WRITING_RETRY_MS);
        return false;
      }
    } catch {
      return false;
    }
    const claim = join(entry.dir, claimName(process.pid, entry.name));
    try {
      renameSync(path, claim);
    } catch {
      return false; // another spooler took it
    }
    const { plan } = this.options;
    const name = relative(plan.dir, path);
    let file: SpoolFile;
    try {
      file = decodeSpoolFile(readFileSync(claim));
    } catch (err) {
      if (young) {
        // maybe its writer has not written it all yet: back under its name, looked at shortly
        try {
          renameSync(claim, path);
        } catch {}
        this.holds.set(path, Date.now() + IN_WRITING_RETRY_MS);
        return false;
      }
      // not a task: set aside under a name no spooler runs, for the operator to look at
      const aside = join(entry.dir, `corrupt_${entry.name}`);
      try {
        renameSync(claim, aside);
      } catch {}
      this.options.log(`${this.who} ${errorText(err)}: moved to ${aside}`);
      return true;
    }
    const started = Date.now();
    this.options.report({ tasks: this.tasks, task: name, since: started });
    if (!plan.quiet) this.options.log(`${this.who} managing request ${name} ...`);
    if (plan.chdir !== undefined) process.chdir(plan.chdir);
    const code = await this.call(file, name);
    this.tasks++;
    this.options.report({ tasks: this.tasks, task: '', since: 0 });
    if (code === SPOOL_OK) {
      unlinkSync(claim);
      if (!plan.quiet)
        this.options.log(
          `${this.who} done with task ${name} after ${Math.round((Date.now() - started) / 1000)} seconds`,
        );
    } else {
      renameSync(claim, path);
      this.holds.set(path, Date.now() + plan.frequency * 1000);
    }
    if (plan.maxTasks > 0 && this.tasks >= plan.maxTasks) {
      this.options.log(`${this.who} maximum number of tasks reached (${plan.maxTasks}) recycling ...`);
      this.stopping = true;
    }
    return true;
  }

  /** uWSGI's reading of a Python spooler's code (reference §8): OK removes, the rest keeps. */
  private pythonCode(code: number, name: string): number {
    if (code === SPOOL_OK) return SPOOL_OK;
    if (code === SPOOL_IGNORE) {
      this.options.log(`${this.who} task ${name} ignored (SPOOL_IGNORE): kept for the next scan`);
    }
    return SPOOL_RETRY;
  }

  /** Runs the task's function; its code (a throw is logged and means RETRY). */
  private async call(file: SpoolFile, name: string): Promise<number> {
    const args: Record<string, string> = {};
    for (const [key, value] of file.vars) args[key] = value.toString('utf8');
    args['spooler_task_name'] = name;
    const taskName = args[TASK_KEY];
    const named = taskName !== undefined ? spoolTasks.get(taskName) : undefined;
    // JS tasks first, then Python's uwsgi.spooler (uwsgidecorators' @spool goes through it)
    if (named === undefined && this.options.python) {
      const result = await this.options.python.run(file, basename(name));
      if (result === 'failed') return SPOOL_RETRY;
      if (result !== 'missing') return this.pythonCode(result.code, name);
    }
    const fn = named ?? spoolTasks.raw;
    if (!fn) {
      this.options.log(
        `${this.who} unable to find the spooler function${taskName ? ` "${taskName}"` : ''}, have you loaded it into the spooler process ?`,
      );
      return SPOOL_RETRY;
    }
    try {
      const result = await fn(args, { name, dir: this.options.plan.dir, body: file.body, vars: file.vars });
      if (result === undefined || result === true || result === SPOOL_OK) return SPOOL_OK;
      if (result === SPOOL_IGNORE) {
        this.options.log(`${this.who} task ${name} ignored (SPOOL_IGNORE): kept for the next scan`);
      }
      return SPOOL_RETRY;
    } catch (err) {
      this.options.log(`${this.who} task ${name} failed, retried later: ${errorText(err)}`);
      return SPOOL_RETRY;
    }
  }
}

function errorText(err: unknown): string {
  if (isUwsgiError(err)) return `${err.message} [${err.code}]`;
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}
