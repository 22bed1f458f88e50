// What a worker needs to run Python WSGI apps, computed once by the master from the frozen
// Config (README "Python (WSGI)"): which interpreter, sys.path, imports, sys.argv, and how many
// Python processes each app gets. Only present in a plan when some app is a Python one.

import { join } from 'node:path';
import { findOption } from '../config/option-registry.js';
import type { Config } from '../config/resolve.js';
import { VERSION } from '../version.js';
import type { AppSpec } from '../worker/plan.js';

export interface PythonPlan {
  /** `python3` from PATH, or `<home>/bin/python` for virtualenv/venv/home/-H. */
  readonly executable: string;
  /** The interpreter's PYTHONHOME-like root (virtualenv), for the log line. */
  readonly home: string | undefined;
  readonly pythonpath: readonly string[];
  /** import / shared-import / python-import: modules (or .py files) imported before the app. */
  readonly imports: readonly string[];
  readonly pyargv: readonly string[];
  readonly disableFileWrapper: boolean;
  /** Python processes per app in each worker: `threads` (one request each). */
  readonly slots: number;
  /** uwsgi.opt: every option as given (flags as true). */
  readonly opt: ReadonlyArray<readonly [string, string | true]>;
  readonly numproc: number;
  readonly bufferSize: number;
  readonly programName: string | undefined;
  /** py-autoreload: seconds between checks of the loaded modules' files; 0 = off. */
  readonly autoreload: number;
  /** py-auto-reload-ignore: file names the watcher leaves alone. */
  readonly autoreloadIgnore: readonly string[];
  /** Our own version, for the log line. */
  readonly serverVersion: string;
}

/** wsgi-file / module / wsgi options as apps (the default app, mountpoint ''). */
export function pythonAppSpecs(config: Config, name: string, value: string): AppSpec | undefined {
  const callable = config.get('callable')?.value;
  if (name === 'wsgi-file') return { mountpoint: '', file: value, callable, python: 'file' };
  if (name === 'module') return { mountpoint: '', file: value, callable, python: 'module' };
  return undefined;
}

function interpreter(home: string | undefined): string {
  return home === undefined ? 'python3' : join(home, 'bin', 'python');
}

/**
 * `always`: a plan even without Python apps (a spooler with a Python spooler-import). A Python
 * mule (`mule = script.py`, src/mule/python-mule.ts) needs the interpreter too.
 */
export function pythonPlan(c: Config, apps: readonly AppSpec[], always = false): PythonPlan | undefined {
  const pythonMule = c.all('mule').some((o) => /\.py$/i.test(String(o.value)));
  if (!always && !apps.some((a) => a.python !== undefined) && !pythonMule) return undefined;
  const home = c.value('home');
  const opt: Array<readonly [string, string | true]> = [];
  for (const entry of c.entries) {
    const spec = findOption(entry.key);
    const name = spec?.name ?? entry.key;
    opt.push([
      name,
      spec?.kind === 'flag' && (entry.value === '' || entry.value === 'true') ? true : entry.value,
    ]);
  }
  const pyargv = c.value('pyargv');
  return {
    executable: interpreter(home),
    home,
    pythonpath: c.all('pythonpath').map((o) => o.value),
    imports: [...c.all('import'), ...c.all('shared-import')].map((o) => o.value),
    pyargv: pyargv ? pyargv.split(/\s+/).filter((s) => s !== '') : [],
    disableFileWrapper: c.value('wsgi-disable-file-wrapper') === true,
    slots: Math.max(1, c.value('threads')),
    opt,
    numproc: c.value('processes'),
    bufferSize: c.value('buffer-size'),
    programName: c.value('py-programname'),
    autoreload: c.value('py-autoreload') ?? 0,
    autoreloadIgnore: c.all('py-auto-reload-ignore').map((o) => o.value),
    serverVersion: VERSION,
  };
}

/** The Python part of a worker's plan, only when some app is a Python one. */
export function pythonPart(c: Config, apps: readonly AppSpec[]): { python?: PythonPlan } {
  const plan = pythonPlan(c, apps);
  return plan ? { python: plan } : {};
}

/**
 * Every app is a Python one: the worker leaves the `threads` x `async` bound to the Python
 * processes (each runs one request; more wait pipelined in its socket, which a bound in the
 * dispatcher would forbid: 9.5 k -> 28 k req/s for the hello with `threads = 2` here).
 */
export function allPython(apps: readonly AppSpec[]): boolean {
  return apps.length > 0 && apps.every((a) => a.python !== undefined);
}
