// The hooks of an instance, read once from the config: each phase's steps in uWSGI's order (the
// hook-* lines, then the exec-* commands, as uWSGI runs them). A bad line stops the start here,
// naming its option and where it was written, before anything is bound.

import { formatOrigin } from '../config/entry.js';
import type { OptionName } from '../config/option-table.js';
import type { Config } from '../config/resolve.js';
import { commandStep, type HookStep, parseHookLine } from './hook-line.js';
import { HOOK_PHASES, type HookPhase, type HookPhaseName } from './hook-phases.js';

export type HookPlan = Partial<Record<HookPhaseName, readonly HookStep[]>>;

export function hookPlan(c: Config): HookPlan {
  const plan: HookPlan = {};
  for (const [name, phase] of Object.entries(HOOK_PHASES) as Array<[HookPhaseName, HookPhase]>) {
    const steps: HookStep[] = [];
    for (const entry of c.all(phase.hook as OptionName)) {
      steps.push(parseHookLine(phase.hook, formatOrigin(entry.origin), entry.raw));
    }
    if (phase.exec) for (const entry of c.all(phase.exec as OptionName)) steps.push(commandStep(entry.raw));
    if (steps.length > 0) plan[name] = steps;
  }
  return plan;
}
