// Runs one phase's hooks in order, with uWSGI's lines: `running "LINE" (LABEL)...` before each
// (`--- PRIVATE HOOK ---` for a `!` line), the action's own error line when it fails, then
// `DATE - FATAL hook failed, destroying instance`; the caller then ends the instance (exit 1).

import { ctime } from '../logging/request-log.js';
import { HOOK_ACTIONS, type HookContext } from './hook-actions.js';
import type { HookStep } from './hook-line.js';
import { HOOK_PHASES, type HookPhaseName } from './hook-phases.js';
import type { HookPlan } from './hook-plan.js';

export class HookFailed extends Error {}

function credentials(): string {
  return `as uid: ${process.getuid?.() ?? 0} gid: ${process.getgid?.() ?? 0}`;
}

function label(phase: HookPhaseName, step: HookStep, ctx: HookContext): string {
  const row: { label: string; execLabelIsIds?: boolean } = HOOK_PHASES[phase];
  if (step.command && ctx.commandLabel !== undefined) return ctx.commandLabel;
  return step.command && row.execLabelIsIds ? credentials() : row.label;
}

/** Runs `phase` from `plan` (nothing when it has no steps); throws HookFailed after the FATAL line. */
export async function runHooks(
  plan: HookPlan | undefined,
  phase: HookPhaseName,
  ctx: HookContext,
): Promise<void> {
  const steps = plan?.[phase];
  if (!steps) return;
  for (const step of steps) {
    const shown = step.private ? '--- PRIVATE HOOK ---' : `"${step.line}"`;
    // uWSGI puts a space before the dots of a command's line: `running "cmd" (as uid: 0 gid: 0) ...`
    const shownLabel = label(phase, step, ctx);
    const ids = step.command && shownLabel.startsWith('as uid');
    ctx.log(`running ${shown} (${shownLabel})${ids ? ' ' : ''}...`);
    try {
      await HOOK_ACTIONS[step.action]?.run(step.arg, ctx);
    } catch (err) {
      ctx.log(err instanceof Error ? err.message : String(err));
      ctx.log(`${ctime(Date.now())} - FATAL hook failed, destroying instance`);
      throw new HookFailed(`hook "${step.private ? 'private' : step.line}" (${phase}) failed`);
    }
  }
}
