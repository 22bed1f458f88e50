// Which hooks a child process runs, picked by the master from the instance's plan and sent in the
// child's plan: post-fork and the accepting phases in every worker (accepting1 in worker 1 only;
// the -once phases the first time a worker id starts, not on a respawn or a reload), pre/post app
// in each worker under lazy-apps, as-mule in each mule.

import type { Config } from '../config/resolve.js';
import type { HookPhaseName } from './hook-phases.js';
import { type HookPlan, hookPlan } from './hook-plan.js';

/** Worker ids that have run their -once hooks (the master's; one instance per master). */
const ranOnce = new Set<number>();

function pick(plan: HookPlan, phases: readonly HookPhaseName[]): { hooks?: HookPlan } {
  const picked: HookPlan = {};
  for (const phase of phases) if (plan[phase]) picked[phase] = plan[phase];
  return Object.keys(picked).length > 0 ? { hooks: picked } : {};
}

export function isLazy(c: Config): boolean {
  return c.value('lazy-apps') === true || c.value('lazy') === true;
}

export function workerHooks(c: Config, id: number): { hooks?: HookPlan } {
  const plan = hookPlan(c);
  const phases: HookPhaseName[] = ['post-fork'];
  if (isLazy(c)) phases.push('pre-app', 'post-app');
  phases.push('accepting');
  const first = !ranOnce.has(id);
  if (first) {
    ranOnce.add(id);
    phases.push('accepting-once');
  }
  if (id === 1) phases.push('accepting1');
  if (id === 1 && first) phases.push('accepting1-once');
  return pick(plan, phases);
}

export function muleHooks(c: Config): { hooks?: HookPlan } {
  return pick(hookPlan(c), ['as-mule']);
}
