// What runs in a vassal's own process before it reads its config: the Emperor's
// `vassals-start-hook` command and its `hook-as-vassal`/`exec-as-vassal` lines. uWSGI runs them in
// the forked child before exec, so their `putenv:` and `cd:` are the vassal's and not the
// Emperor's; a uwsgi-ts vassal is a fresh Node process (no fork), so the Emperor hands them over in
// one environment variable and the vassal runs them first thing (src/cli/main.ts), with the same
// effect: the spawn stays synchronous and the pid the supervisor sees is the vassal's.
// Log lines recorded from uWSGI 2.0.21: test/fixtures/emperor-hooks/.

import { spawnSync } from 'node:child_process';
import type { Config } from '../config/resolve.js';
import type { HookStep } from '../hooks/hook-line.js';
import { hookPlan } from '../hooks/hook-plan.js';
import { HookFailed, runHooks } from '../hooks/run-hooks.js';

/** The variable that carries them (removed by the vassal before anything else reads its env). */
export const AS_VASSAL_ENV = 'UWSGI_TS_AS_VASSAL';

interface AsVassal {
  /** The vassal's name (its config file's name), the start hook's one argument. */
  readonly name: string;
  /** Its monitor's directory: UWSGI_VASSALS_DIR for the start hook. */
  readonly dir: string;
  readonly startHook?: string;
  readonly steps?: readonly HookStep[];
}

/** The variable's value for vassal `name` of this Emperor, or undefined when there is nothing to run. */
export function asVassalValue(config: Config, name: string, dir: string): string | undefined {
  const startHook = config.value('vassals-start-hook');
  const steps = hookPlan(config)['as-vassal'];
  if (!startHook && !steps) return undefined;
  const value: AsVassal = { name, dir, ...(startHook ? { startHook } : {}), ...(steps ? { steps } : {}) };
  return JSON.stringify(value);
}

/**
 * uWSGI's vassals-start-hook/-stop-hook: the value is a program (execvp, no shell) run with the
 * vassal's name as its one argument and UWSGI_VASSALS_DIR in its environment; its exit status is
 * logged and does not stop the vassal. Synchronous where uWSGI's is (the vassal's start).
 */
export function vassalHookLines(kind: 'start' | 'stop', program: string, name: string): string {
  return `[emperor] running vassal ${kind}-hook: ${program} ${name}`;
}

export function vassalHookResult(kind: 'start' | 'stop', name: string, status: number): string {
  return `[emperor] ${name} ${kind}-hook returned ${status}`;
}

const log = (line: string) => process.stderr.write(`${line}\n`);

/** In the vassal: runs what its Emperor handed over; an exit status when a hook failed (FATAL logged). */
export async function runAsVassal(env: NodeJS.ProcessEnv): Promise<number | undefined> {
  const raw = env[AS_VASSAL_ENV];
  if (raw === undefined) return undefined;
  delete env[AS_VASSAL_ENV];
  let plan: AsVassal;
  try {
    plan = JSON.parse(raw) as AsVassal;
  } catch {
    log(`${AS_VASSAL_ENV} is not JSON: no as-vassal hooks run`);
    return undefined;
  }
  if (plan.startHook) {
    log(vassalHookLines('start', plan.startHook, plan.name));
    const result = spawnSync(plan.startHook, [plan.name], {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...env, UWSGI_VASSALS_DIR: plan.dir },
    });
    // uWSGI logs the failed execvp and `returned 1`, and starts the vassal anyway
    if (result.error) log(`execvp(): ${result.error.message}`);
    log(vassalHookResult('start', plan.name, result.status ?? 1));
  }
  if (plan.steps) {
    try {
      await runHooks({ 'as-vassal': plan.steps }, 'as-vassal', { log });
    } catch (err) {
      if (err instanceof HookFailed) return 1;
      throw err;
    }
  }
  return undefined;
}
