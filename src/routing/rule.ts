// One rule option as written -> its parts (reference §4.1): the value splits at the first space
// (subject | action), the action at the first `:` (name | args), a condition at its first `:`
// (name | args). A missing space or colon is `invalid route syntax` in uWSGI; here a coded error
// naming the option, the value and where it came from.

import { UwsgiError } from '../errors.js';
import { type ChainName, ROUTE_OPTIONS, type RuleForm } from './chains.js';

/** A rule option as the config gives it: the option's canonical name, the expanded value, the origin. */
export interface RuleEntry {
  readonly option: string;
  readonly value: string;
  /** `app.ini:3`, `command line --route` (formatOrigin of the config entry). */
  readonly origin: string;
}

export type RuleMatch =
  | { readonly kind: 'regexp'; readonly subject: string; readonly pattern: string }
  | { readonly kind: 'status'; readonly status: number }
  | { readonly kind: 'if'; readonly negate: boolean; readonly condition: string; readonly args: string }
  | { readonly kind: 'run' };

export interface ParsedRule {
  readonly chain: ChainName;
  readonly entry: RuleEntry;
  /** Set on a label rule (it matches nothing and has no action). */
  readonly label: string | undefined;
  readonly match: RuleMatch;
  readonly action: string;
  readonly args: string;
}

export function ruleText(entry: RuleEntry): string {
  return `${entry.option} = ${entry.value}`;
}

function syntax(entry: RuleEntry, why: string): UwsgiError {
  return new UwsgiError(
    'ERR_ROUTE_SYNTAX',
    `invalid route syntax (${why}): ${ruleText(entry)} (${entry.origin})`,
  );
}

function splitAt(text: string, sep: string): [string, string] | undefined {
  const at = text.indexOf(sep);
  return at < 0 ? undefined : [text.slice(0, at), text.slice(at + sep.length)];
}

function parseMatch(
  form: Exclude<RuleForm, { kind: 'label' | 'run' }>,
  subject: string,
  entry: RuleEntry,
): RuleMatch {
  switch (form.kind) {
    case 'regexp':
      return { kind: 'regexp', subject: form.subject, pattern: subject };
    case 'status':
      return { kind: 'status', status: Number.parseInt(subject, 10) || 0 };
    case 'if': {
      const cond = splitAt(subject, ':');
      if (!cond) throw syntax(entry, 'a condition needs NAME:ARGS');
      return { kind: 'if', negate: form.negate, condition: cond[0], args: cond[1] };
    }
  }
}

/** Parses one rule option; throws ERR_ROUTE_SYNTAX. Not a rule option: undefined. */
export function parseRule(entry: RuleEntry): ParsedRule | undefined {
  const option = ROUTE_OPTIONS.get(entry.option);
  if (!option) return undefined;
  const { chain, form } = option;
  if (form.kind === 'label') {
    return { chain, entry, label: entry.value, match: { kind: 'run' }, action: '', args: '' };
  }
  let actionText = entry.value;
  let match: RuleMatch = { kind: 'run' };
  if (form.kind !== 'run') {
    const parts = splitAt(entry.value, ' ');
    if (!parts) throw syntax(entry, 'no space between subject and action');
    match = parseMatch(form, parts[0], entry);
    actionText = parts[1];
  }
  const action = splitAt(actionText, ':');
  if (!action) throw syntax(entry, 'an action needs NAME:ARGS');
  return { chain, entry, label: undefined, match, action: action[0], args: action[1] };
}
