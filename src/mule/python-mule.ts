// A Python mule (`mule = script.py`, as uWSGI runs one): the mule process starts the script in a
// Python process (python/uwsgi_ts_mule.py) and answers its `uwsgi` module calls from the app API
// it has as any mule (src/python/python-api.ts rows): caches, locks, sharedareas, mule_msg; its
// register_signal handlers run when the master routes a signal to this mule, and mule_get_msg
// takes the messages workers send it (python-events.ts). The script's end is the mule's end: the
// master starts it again, as uWSGI respawns a mule whose script returned.

import { type ChildProcess, spawn } from 'node:child_process';
import type { Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UwsgiError } from '../errors.js';
import { answerCall, answerWait, type CallingProcess, type PoolCalls } from '../python/python-api.js';
import { PythonEvents } from '../python/python-events.js';
import { decodeList, encodeFrame, Frame, FrameReader } from '../python/python-frames.js';
import { SignalPool } from '../python/python-signal-pool.js';
import type { AppSpec, WorkerPlan } from '../worker/plan.js';

const MULE_ENTRY = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'python', 'uwsgi_ts_mule.py');

/** What the Python process runs: a mule script, or a Python app loaded by a signal-only mule. */
export type PythonMuleRun = { readonly script: string } | { readonly app: AppSpec };

/** Whether a mule script is a Python one. */
export function isPythonScript(script: string): boolean {
  return /\.py$/i.test(script);
}

class PythonMule implements CallingProcess, PoolCalls {
  readonly res = undefined;
  readonly pool: PoolCalls = this;
  readonly events: PythonEvents;
  readonly child: ChildProcess;
  exited = false;
  private readonly signals = new SignalPool();

  constructor(plan: WorkerPlan, run: PythonMuleRun, id: number, log: (line: string) => void) {
    const python = plan.python;
    const what =
      'script' in run
        ? { kind: 'mule', target: run.script }
        : {
            kind: 'muleapp',
            appKind: run.app.python ?? 'file',
            target: run.app.file,
            callable: run.app.callable,
            imports: python?.imports ?? [],
          };
    const conf = {
      ...what,
      pythonpath: python?.pythonpath ?? [],
      pyargv: python?.pyargv ?? [],
      opt: python?.opt ?? [],
      numproc: python?.numproc ?? 1,
      bufferSize: python?.bufferSize ?? 4096,
      version: '2.0.21',
      node: plan.hostname,
      workerId: 0,
      muleId: id,
      masterPid: process.ppid,
      startedOn: Math.floor(Date.now() / 1000),
    };
    // the plan has a Python part whenever a mule script is a .py (python-plan.ts)
    const executable = python?.executable ?? 'python3';
    this.child = spawn(executable, [MULE_ENTRY], {
      stdio: ['ignore', 'inherit', 'inherit', 'ignore', 'pipe', 'pipe', 'pipe'],
      env: { ...process.env, UWSGI_TS_PYTHON: JSON.stringify(conf), PYTHONUNBUFFERED: '1' },
    });
    const fds = this.child.stdio as unknown as Socket[];
    const api = fds[4] as Socket;
    api.on('error', () => {});
    (fds[5] as Socket).on('error', () => {});
    this.events = new PythonEvents(fds[6] as Socket, answerWait);
    const caller = { totalRequests: () => 0 };
    const reader = new FrameReader((kind, payload) => {
      if (kind === Frame.Log) {
        const text = payload.toString('utf8');
        log(text.endsWith('\n') ? text : `${text}\n`);
        return;
      }
      if (kind !== Frame.Call) return;
      const answer = answerCall(caller, this, decodeList(payload));
      if (answer instanceof Promise) answer.then((bytes) => api.write(encodeFrame(Frame.Answer, bytes)));
      else api.write(encodeFrame(Frame.Answer, answer));
    });
    api.on('data', (chunk: Buffer) => reader.push(chunk));
    this.child.on('exit', () => {
      this.exited = true;
      this.events.close();
    });
  }

  get busy(): number {
    return 0;
  }

  registerSignal(num: number, target: string): void {
    this.signals.register(num, target, this);
  }

  registerRpc(name: string): void {
    throw new UwsgiError(
      'ERR_API_UNAVAILABLE',
      `register_rpc(${name}): RPC functions are served by workers only`,
    );
  }
}

/** Runs mule `id`'s Python script (or app); resolves with its exit code when it ends. */
export function runPythonMule(
  plan: WorkerPlan,
  run: PythonMuleRun,
  id: number,
  log: (line: string) => void,
): Promise<number> {
  const mule = new PythonMule(plan, run, id, log);
  return new Promise((resolve) => {
    mule.child.on('error', (err) => {
      log(`mule ${id}: unable to run the Python interpreter: ${err.message}\n`);
      resolve(1);
    });
    mule.child.on('exit', (code) => resolve(code ?? 1));
  });
}
