// `alarm-log = ALARM[,ALARM] REGEXP` and `not-alarm-log = ALARM[,ALARM] REGEXP` (reference §2.5
// log-alarm): which alarms a log line raises. Regexps are PCRE, as uWSGI compiles them, turned
// into JS once at start-up (src/routing/pcre.ts).
//
// Differs from uWSGI 2.0.21 on purpose (README "Alarms"): uWSGI scans the rules in order and a
// matching not-alarm-log stops the scan for every alarm, whatever it names, and does nothing when
// declared after the rule it should silence (recorded: test/fixtures/alarm/uwsgi-alarms.json).
// Here a matching not-alarm-log silences the alarms it names, wherever it is declared.

import { UwsgiError } from '../errors.js';
import { compilePcre } from '../routing/pcre.js';

export interface AlarmLogRule {
  readonly alarms: readonly string[];
  readonly pattern: RegExp;
  readonly where: string;
}

/** `ALARM[,ALARM] REGEXP`: split at the first space (uwsgi_opt_add_regexp_custom_list). */
export function parseAlarmLogRule(text: string, where: string, option: string): AlarmLogRule {
  const space = text.indexOf(' ');
  const names = space < 0 ? '' : text.slice(0, space);
  const source = space < 0 ? '' : text.slice(space + 1);
  if (!names || !source)
    throw new UwsgiError('ERR_CONFIG_BAD_VALUE', `${option} "${text}" (${where}): give ALARM[,ALARM] REGEXP`);
  let pattern: RegExp;
  try {
    pattern = compilePcre(source).regexp;
  } catch (err) {
    throw new UwsgiError(
      'ERR_CONFIG_BAD_VALUE',
      `${option} "${text}" (${where}): invalid regexp: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
  return { alarms: names.split(',').filter((n) => n !== ''), pattern, where };
}

export class AlarmLogRules {
  constructor(
    private readonly raise: readonly AlarmLogRule[],
    private readonly silence: readonly AlarmLogRule[],
  ) {}

  get empty(): boolean {
    return this.raise.length === 0;
  }

  /** The alarms `line` raises, each once, in rule order. */
  match(line: string): string[] {
    let out: string[] | undefined;
    for (const rule of this.raise) {
      if (!rule.pattern.test(line)) continue;
      for (const name of rule.alarms) {
        out ??= [];
        if (!out.includes(name)) out.push(name);
      }
    }
    if (!out) return [];
    for (const rule of this.silence) {
      if (rule.pattern.test(line)) out = out.filter((name) => !rule.alarms.includes(name));
    }
    return out;
  }
}
