// The Python side of a spooler process (README "Python spooler tasks"): one Python process
// (python/uwsgi_ts_worker.py with role 'spooler', python/uwsgi_ts/spooler.py) that has imported
// what a uWSGI spooler has (import, the Python spooler-import entries, the apps' modules) and runs
// the tasks the JS side has no task for, one at a time: fd 3 carries tasks and their codes, fd 4
// the `uwsgi` module's calls (answered here from the same app API, python-api.ts), fd 5 is
// RPC's and stays idle (a spooler serves no RPC). A process that dies is logged and respawned;
// the task it had is kept for the next scan.

import { type ChildProcess, spawn } from 'node:child_process';
import type { Socket } from 'node:net';
import type { SpoolFile } from '../protocol/spool-file.js';
import { answerCall, type CallingProcess } from '../python/python-api.js';
import { pythonCacheMap, pythonStdio } from '../python/python-cache-map.js';
import { decodeList, encodeFrame, encodeList, Frame, FrameReader } from '../python/python-frames.js';
import type { PythonPlan } from '../python/python-plan.js';
import { PYTHON_ENTRY } from '../python/python-process.js';
import type { AppSpec } from '../worker/plan.js';

/** Frames on fd 3 (python/uwsgi_ts/spooler.py is the other half). */
const TaskFrame = {
  /** JS -> Python: a task (a list: base name, has-body, body, key, value...). */
  Task: 0x54, // T
  /** Python -> JS: the imports are done. */
  Loaded: 0x4b, // K
  /** Python -> JS: the task's code, as ASCII digits. */
  Code: 0x43, // C
  /** Python -> JS: no uwsgi.spooler is set. */
  Missing: 0x4d, // M
  /** Python -> JS: the task raised; the traceback. */
  Failed: 0x58, // X
} as const;

/** What a task came to: a code, no Python handler, or a failure already logged (a retry). */
export type PythonTaskResult = { readonly code: number } | 'missing' | 'failed';

export interface PythonSpoolerOptions {
  readonly plan: PythonPlan;
  readonly apps: readonly AppSpec[];
  /** The Python spooler-import entries (module names or .py files). */
  readonly spoolerImports: readonly string[];
  /** Where tasks run (the spooler directory or spooler-chdir). */
  readonly chdir: string;
  readonly node: string;
  readonly masterPid: number;
  /** Whole lines without a newline. */
  log(line: string): void;
  readonly who: string;
}

/** A respawn waits this long after a process that died young (a broken import kills it at once). */
const RESPAWN_BACKOFF_MS = 1000;
const YOUNG_MS = 2000;

export class PythonSpooler {
  private child: ChildProcess | undefined;
  private channel: Socket | undefined;
  private running: ((result: PythonTaskResult) => void) | undefined;
  private ready: Promise<void> = Promise.resolve();
  private stopped = false;
  /** The interpreter could not be started at all: Python tasks are left to the JS side. */
  private unavailable = false;
  /** Where the first process started: a respawned one starts there too, not in the spool dir. */
  private readonly cwd = process.cwd();
  private spawnedAt = 0;

  constructor(private readonly options: PythonSpoolerOptions) {}

  /** Starts the process; resolves once its imports are done (or it died trying). */
  start(): Promise<void> {
    this.ready = new Promise((resolve) => this.spawn(resolve));
    return this.ready;
  }

  get pid(): number {
    return this.child?.pid ?? 0;
  }

  /** Runs one task in Python. */
  async run(file: SpoolFile, baseName: string): Promise<PythonTaskResult> {
    await this.ready;
    // no interpreter: the task goes on to the JS raw function, or stays on disk (spooler-loop.ts)
    if (this.unavailable) return 'missing';
    const channel = this.channel;
    if (this.stopped || !channel || !this.child || this.child.exitCode !== null) {
      this.options.log(`${this.options.who} no Python process to run task ${baseName}: retried later`);
      return 'failed';
    }
    const items: Buffer[] = [
      Buffer.from(baseName, 'utf8'),
      Buffer.from(file.body === undefined ? '' : '1'),
      file.body ?? Buffer.alloc(0),
    ];
    for (const [key, value] of file.vars) items.push(Buffer.from(key, 'utf8'), value);
    return new Promise((resolve) => {
      this.running = resolve;
      channel.write(encodeFrame(TaskFrame.Task, encodeList(items)));
    });
  }

  stop(): void {
    this.stopped = true;
    // closing fd 3 ends its loop; PR_SET_PDEATHSIG covers a spooler that is killed
    this.channel?.destroy();
    if (this.child && this.child.exitCode === null) this.child.kill('SIGTERM');
  }

  private spawn(loaded: () => void): void {
    const { plan, apps, spoolerImports, chdir, node, masterPid } = this.options;
    const conf = {
      role: 'spooler',
      pythonpath: plan.pythonpath,
      imports: plan.imports,
      spoolerImports,
      apps: apps
        .filter((a) => a.python !== undefined)
        .map((a) => ({ kind: a.python, target: a.file, callable: a.callable })),
      chdir,
      pyargv: plan.pyargv,
      opt: plan.opt,
      numproc: plan.numproc,
      bufferSize: plan.bufferSize,
      programName: plan.programName,
      version: '2.0.21',
      node,
      workerId: 0,
      masterPid,
      cores: 1,
      startedOn: Math.floor(Date.now() / 1000),
      // the caches read in place (python-cache-map.ts); absent: every call is a round trip
      cacheMap: pythonCacheMap(),
    };
    this.spawnedAt = Date.now();
    const child = spawn(plan.executable, [PYTHON_ENTRY], {
      cwd: this.cwd,
      stdio: pythonStdio(),
      env: { ...process.env, UWSGI_TS_PYTHON: JSON.stringify(conf), PYTHONUNBUFFERED: '1' },
    });
    this.child = child;
    const stdio = child.stdio as unknown as Socket[];
    const channel = stdio[3] as Socket;
    const api = stdio[4] as Socket;
    this.channel = channel;
    channel.on('error', () => {});
    api.on('error', () => {});
    stdio[5]?.on('error', () => {});
    let settled = false;
    const settle = () => {
      if (settled) return;
      settled = true;
      loaded();
    };
    const reader = new FrameReader((kind, payload) => {
      if (kind === TaskFrame.Loaded) {
        this.options.log(`${this.options.who} Python tasks run in process ${child.pid}`);
        settle();
        return;
      }
      const done = this.running;
      this.running = undefined;
      if (!done) return;
      if (kind === TaskFrame.Code) done({ code: Number(payload.toString('latin1')) });
      else if (kind === TaskFrame.Missing) done('missing');
      else {
        const text = payload.toString('utf8');
        this.options.log(`${this.options.who} Python task raised, retried later:\n${text.trimEnd()}`);
        done('failed');
      }
    });
    channel.on('data', (chunk: Buffer) => reader.push(chunk));
    const calls = new FrameReader((kind, payload) => this.onApiFrame(api, kind, payload));
    api.on('data', (chunk: Buffer) => calls.push(chunk));
    child.on('error', (err) => {
      this.options.log(
        `${this.options.who} unable to run ${plan.executable}: ${err.message} (Python tasks are not run)`,
      );
      this.unavailable = true;
      settle();
    });
    child.on('exit', (code, signal) => {
      const how = signal ? `killed by signal ${signal}` : `exited with code ${code}`;
      const done = this.running;
      this.running = undefined;
      if (done) {
        this.options.log(
          `${this.options.who} the Python spooler process (pid: ${child.pid}) ${how} during a task: the task is retried later`,
        );
        done('failed');
      }
      if (this.stopped || this.unavailable) {
        settle();
        return;
      }
      if (!done)
        this.options.log(`${this.options.who} the Python spooler process (pid: ${child.pid}) ${how}`);
      const wait = Date.now() - this.spawnedAt < YOUNG_MS ? RESPAWN_BACKOFF_MS : 0;
      this.options.log(`${this.options.who} respawning the Python spooler process`);
      // the next task waits for the new process's imports
      this.ready = new Promise((resolve) => {
        setTimeout(() => {
          settle();
          if (this.stopped) resolve();
          else this.spawn(resolve);
        }, wait);
      });
    });
  }

  private onApiFrame(api: Socket, kind: number, payload: Buffer): void {
    if (kind === Frame.Log) {
      this.options.log(payload.toString('utf8').replace(/\n$/, ''));
      return;
    }
    if (kind !== Frame.Call) return;
    const answer = answerCall({ totalRequests: () => 0 }, SPOOLER_CALLER, decodeList(payload));
    if (answer instanceof Promise) answer.then((bytes) => api.write(encodeFrame(Frame.Answer, bytes)));
    else api.write(encodeFrame(Frame.Answer, answer));
  }
}

/**
 * The spooler's Python process serves no request, no RPC function and no signal handler (a
 * register_signal there is accepted and ignored: signals go to workers and mules).
 */
const SPOOLER_CALLER: CallingProcess = {
  res: undefined,
  pool: { registerRpc: () => {}, registerSignal: () => {} },
  exited: false,
  busy: 0,
  events: undefined as unknown as CallingProcess['events'],
};
