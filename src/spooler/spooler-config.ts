// The spoolers of an instance, from the config (reference §2.9, §8): one spooler per `spooler`
// directory with `spooler-processes` processes each (an immediate option: the value given before
// each `spooler` line counts, as in uWSGI), the directories an app may enqueue into (`spooler`
// and `spooler-external`), and what each spooler process needs to run its loop.

import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { Config } from '../config/resolve.js';
import { JS_APP_EXTENSIONS } from '../config/served-check.js';

/** Where spool() may write, as sent to every process that runs app code. */
export interface SpoolTargets {
  /** The instance's spooler directories (absolute), the first is the default target. */
  readonly dirs: readonly string[];
  /** spooler-external directories: written here, run by another instance. */
  readonly external: readonly string[];
  /** spooler-quiet: no `[spooler] written ...` line. */
  readonly quiet: boolean;
  readonly hostname: string;
}

/** What one spooler process runs (src/spooler/spooler-main.ts). */
export interface SpoolerProcessPlan {
  readonly dir: string;
  /** Seconds between two scans (spooler-frequency, default 30). */
  readonly frequency: number;
  readonly ordered: boolean;
  /** spooler-chdir: the working directory of every task; undefined: the spool directory. */
  readonly chdir: string | undefined;
  readonly quiet: boolean;
  /** spooler-max-tasks: exit (and be respawned) after this many tasks; 0: never. */
  readonly maxTasks: number;
  /** spooler-harakiri in seconds (the master enforces it); 0: off. */
  readonly harakiri: number;
  /** spooler-import: JS modules loaded in the spooler before the apps (the tasks they register). */
  readonly imports: readonly string[];
  /**
   * spooler-import entries that are Python (a .py file or a module name, as uWSGI's
   * spooler-pyimport): imported by the spooler's Python process (python-spooler.ts).
   */
  readonly pyImports: readonly string[];
}

export interface SpoolerSpec {
  /** 1..N over every spooler process of the instance. */
  readonly id: number;
  readonly dir: string;
}

export interface SpoolerConfig {
  readonly specs: readonly SpoolerSpec[];
  readonly targets: SpoolTargets | undefined;
}

/** The spooler processes and targets; creates missing spooler directories (0750, as uWSGI). */
export function spoolerConfig(c: Config): SpoolerConfig {
  const specs: SpoolerSpec[] = [];
  const perDir = countsBeforeEach(c);
  const last = Math.max(1, c.value('spooler-processes') ?? 1);
  for (const [index, option] of c.all('spooler').entries()) {
    const dir = resolve(String(option.value));
    mkdirSync(dir, { recursive: true, mode: 0o750 });
    const count = perDir[index] ?? last;
    for (let i = 0; i < count; i++) specs.push({ id: specs.length + 1, dir });
  }
  return { specs, targets: spoolTargets(c) };
}

/** Where spool() may write; undefined when the instance has no spooler at all. */
export function spoolTargets(c: Config): SpoolTargets | undefined {
  const dirs = [...new Set(c.all('spooler').map((o) => resolve(String(o.value))))];
  const external = c.all('spooler-external').map((o) => resolve(String(o.value)));
  if (dirs.length === 0 && external.length === 0) return undefined;
  return { dirs, external, quiet: c.value('spooler-quiet') === true, hostname: hostname() };
}

/** The spooler-processes value in force at each `spooler` entry (undefined: the last one given). */
function countsBeforeEach(c: Config): Array<number | undefined> {
  const counts: Array<number | undefined> = [];
  let current = c.all('spooler-processes').length === 0 ? 1 : undefined;
  for (const entry of c.entries) {
    if (entry.key === 'spooler-processes') current = Math.max(1, Number.parseInt(entry.value, 10) || 1);
    else if (entry.key === 'spooler' || entry.key === 'Q') counts.push(current);
  }
  return counts;
}

/** A spooler-import entry is JS when its extension is a JS app's; anything else is Python's. */
export function isPythonImport(value: string): boolean {
  const dot = value.lastIndexOf('.');
  const ext = dot > value.lastIndexOf('/') ? value.slice(dot).toLowerCase() : '';
  return !JS_APP_EXTENSIONS.has(ext);
}

export function spoolerProcessPlan(c: Config, dir: string): SpoolerProcessPlan {
  const chdir = c.value('spooler-chdir');
  const spoolerImports = c.all('spooler-import').map((o) => String(o.value));
  return {
    dir,
    frequency: Math.max(1, c.value('spooler-frequency') ?? 30),
    ordered: c.value('spooler-ordered') === true,
    chdir: chdir === undefined ? undefined : resolve(chdir),
    quiet: c.value('spooler-quiet') === true,
    maxTasks: c.value('spooler-max-tasks') ?? 0,
    harakiri: c.value('spooler-harakiri') ?? 0,
    imports: spoolerImports.filter((v) => !isPythonImport(v)).map((v) => resolve(v)),
    pyImports: spoolerImports.filter(isPythonImport),
  };
}
