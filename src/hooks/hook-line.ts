// One hook line as uWSGI writes it: `[!]ACTION:ARGS` for the hook-* options (a leading `!` hides
// the line from the log: "running --- PRIVATE HOOK --- (asap)..."), or a shell command for the
// exec-* options (the `exec` action by another name). Parsed once, when the config is resolved,
// so a bad line stops the start naming its option instead of failing at its phase.

import { UwsgiError } from '../errors.js';
import { HOOK_ACTIONS } from './hook-actions.js';

export interface HookStep {
  /** The line as written (shown in `running "..."` unless private). */
  readonly line: string;
  readonly action: string;
  readonly arg: string;
  /** `!` prefix: the log says `--- PRIVATE HOOK ---` instead of the line. */
  readonly private: boolean;
  /** From an exec-* option: labelled as uWSGI labels commands (`as uid: N gid: N`). */
  readonly command: boolean;
}

/** A hook-* value; throws ERR_HOOK_CONFIG naming the option and where it was written. */
export function parseHookLine(option: string, where: string, value: string): HookStep {
  const hidden = value.startsWith('!');
  const text = hidden ? value.slice(1) : value;
  const colon = text.indexOf(':');
  if (colon <= 0) {
    // uWSGI: "invalid hook syntax, must be hook:args"
    throw new UwsgiError(
      'ERR_HOOK_CONFIG',
      `option "${option}" (${where}): invalid hook syntax "${value}", must be ACTION:ARGS`,
    );
  }
  const action = text.slice(0, colon);
  const arg = text.slice(colon + 1);
  const row = Object.hasOwn(HOOK_ACTIONS, action) ? HOOK_ACTIONS[action] : undefined;
  if (!row) {
    throw new UwsgiError(
      'ERR_HOOK_CONFIG',
      `option "${option}" (${where}): hook action not found: ${action} (uwsgi-ts has: ${Object.keys(HOOK_ACTIONS).join(', ')})`,
    );
  }
  const refused = row.refused;
  if (refused !== undefined) {
    throw new UwsgiError(
      'ERR_HOOK_CONFIG',
      `option "${option}" (${where}): hook action "${action}" ${refused}`,
    );
  }
  const bad = row.check?.(arg);
  if (bad !== undefined) {
    throw new UwsgiError(
      'ERR_HOOK_CONFIG',
      `option "${option}" (${where}): invalid hook ${action} syntax, ${bad}`,
    );
  }
  return { line: text, action, arg, private: hidden, command: false };
}

/** An exec-* value: a shell command, run as the `exec` action. */
export function commandStep(value: string): HookStep {
  return { line: value, action: 'exec', arg: value, private: false, command: true };
}
