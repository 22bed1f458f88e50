// A Python WSGI app as a worker sees it: a Node-style handler in front of `slots` Python
// processes (python-process.ts), each serving one request at a time; requests wait in order when
// all are busy, as in a uWSGI worker's queue. A process that dies is replaced; its request gets a
// 502 (the worker, its log line, harakiri and recycling stay the JS side's: README "Python (WSGI)").

import { registerRpc } from '../api/rpc.js';
import { UwsgiError } from '../errors.js';
import type { LoadedApp } from '../worker/app-loader.js';
import type { AppSpec } from '../worker/plan.js';
import { UwsgiRequest, type UwsgiResponse } from '../worker/request.js';
import type { ApiCaller, CallingProcess, PoolCalls } from './python-api.js';
import type { PythonPlan } from './python-plan.js';
import { type Exchange, type ProcessContext, PythonProcess } from './python-process.js';
import { SignalPool } from './python-signal-pool.js';

export interface PythonWorkerContext {
  readonly workerId: number;
  readonly hostname: string;
  readonly log: (line: string) => void;
  readonly api: ApiCaller;
}

/** A load failure right after a respawn waits this long before the next try. */
const RESPAWN_BACKOFF_MS = 1000;

const everyProcess = new Set<PythonProcess>();
let exitHook = false;

export class PythonApp implements PoolCalls {
  /** RPC functions this app's processes serve, and which processes (uwsgi.register_rpc). */
  private readonly rpcProviders = new Map<string, PythonProcess[]>();
  /** Which of the app's processes run its signal handlers (uwsgi.register_signal). */
  private readonly signals = new SignalPool();
  /** Every live process of the app in this worker. */
  private readonly procs: PythonProcess[] = [];
  private readonly queue: Array<[UwsgiRequest, UwsgiResponse]> = [];
  private readonly ctx: ProcessContext;
  /** The app failed to load: its processes are not replaced. */
  private closed = false;

  constructor(
    plan: PythonPlan,
    spec: AppSpec,
    worker: PythonWorkerContext,
    private readonly slots: number,
  ) {
    this.ctx = {
      plan,
      app: {
        kind: spec.python ?? 'file',
        target: spec.file,
        callable: spec.callable,
        mountpoint: spec.mountpoint,
      },
      workerId: worker.workerId,
      masterPid: process.ppid,
      node: worker.hostname,
      log: worker.log,
      api: worker.api,
      first: true,
    };
    if (!exitHook) {
      exitHook = true;
      // the processes die with the worker (PDEATHSIG on Linux); this covers the rest
      process.on('exit', () => {
        for (const proc of everyProcess) proc.kill();
      });
    }
  }

  /** Starts every process and waits for each to load the app (a failure: the first traceback). */
  async load(): Promise<void> {
    const procs = Array.from({ length: this.slots }, () => this.spawn());
    try {
      await Promise.all(procs.map((p) => p.loaded));
    } catch (err) {
      this.closed = true;
      for (const p of procs) p.kill();
      throw err;
    }
  }

  readonly handler = (req: unknown, res: unknown): void => {
    const request = req as UwsgiRequest;
    const response = res as UwsgiResponse;
    const proc = this.queue.length === 0 ? this.pick() : undefined;
    if (proc) this.start(proc, request, response);
    else this.queue.push([request, response]);
  };

  /** The process with the fewest requests that can take one more, if any. */
  private pick(): PythonProcess | undefined {
    let best: PythonProcess | undefined;
    for (const proc of this.procs) {
      if (proc.canTake() && (best === undefined || proc.inflight.length < best.inflight.length)) best = proc;
    }
    return best;
  }

  private start(proc: PythonProcess, req: UwsgiRequest, res: UwsgiResponse): void {
    proc.serve(req, res, UwsgiRequest.varsOf(req));
  }

  /** The process that runs py-autoreload's watcher (a replacement takes over). */
  private watcher: PythonProcess | undefined = undefined;

  private spawn(): PythonProcess {
    const first = this.watcher === undefined;
    const proc = new PythonProcess(
      { ...this.ctx, first },
      this,
      (p) => this.next(p),
      (p, wasLoaded, waiting) => this.exited(p, wasLoaded, waiting),
    );
    everyProcess.add(proc);
    this.procs.push(proc);
    if (first) this.watcher = proc;
    proc.loaded.then(
      () => this.next(proc),
      () => {},
    );
    return proc;
  }

  /** A process can take more: the oldest waiting requests whose clients are still there. */
  private next(proc: PythonProcess): void {
    while (this.queue.length > 0 && proc.canTake()) {
      const [req, res] = this.queue.shift() as [UwsgiRequest, UwsgiResponse];
      if (res.destroyed || res.writableEnded) continue;
      this.start(proc, req, res);
    }
  }

  registerRpc(name: string, proc: CallingProcess): void {
    const providers = this.rpcProviders.get(name);
    if (providers) {
      providers.push(proc as PythonProcess);
      return;
    }
    this.rpcProviders.set(name, [proc as PythonProcess]);
    // one function in the worker's registry, whichever of the app's processes runs it
    registerRpc(name, (...args) => this.callRpc(name, args));
  }

  registerSignal(num: number, target: string, proc: CallingProcess): void {
    this.signals.register(num, target, proc);
  }

  /** An idle process that serves `name` if there is one, else any live one. */
  private callRpc(name: string, args: readonly Buffer[]): Promise<Buffer> {
    const live = (this.rpcProviders.get(name) ?? []).filter((p) => !p.exited);
    this.rpcProviders.set(name, live);
    const proc = live.find((p) => p.inflight.length === 0) ?? live[0];
    if (!proc) return Promise.reject(new Error(`no live Python process serves RPC function ${name}`));
    return proc.callRpc(name, args);
  }

  private exited(proc: PythonProcess, wasLoaded: boolean, waiting: readonly Exchange[]): void {
    everyProcess.delete(proc);
    if (this.watcher === proc) this.watcher = undefined;
    const at = this.procs.indexOf(proc);
    if (at >= 0) this.procs.splice(at, 1);
    // never started by the app: first in line again, for the next process that can take them
    this.queue.unshift(...waiting.map((e): [UwsgiRequest, UwsgiResponse] => [e.req, e.res]));
    for (const other of this.procs) this.next(other);
    if (this.closed || process.exitCode !== undefined) return;
    this.ctx.log(
      `[uwsgi-ts] respawning the Python process of app ${this.ctx.app.target} (old pid: ${proc.pid})\n`,
    );
    if (wasLoaded) this.spawn();
    else setTimeout(() => this.spawn(), RESPAWN_BACKOFF_MS).unref();
  }
}

/** Loads a Python app into a worker: its processes started and the app imported in each. */
export async function loadPythonApp(
  spec: AppSpec,
  plan: PythonPlan | undefined,
  worker: PythonWorkerContext,
): Promise<LoadedApp> {
  if (plan === undefined) {
    throw new UwsgiError('ERR_APP_LOAD', `app ${spec.file} is a Python app, but the plan has no Python part`);
  }
  const app = new PythonApp(plan, spec, worker, plan.slots);
  await app.load();
  return { style: 'node', handler: app.handler, spec };
}
