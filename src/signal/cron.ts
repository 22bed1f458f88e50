// Cron entries (reference §2.9; seed manual "Cron improvements", Python API `add_cron`): the
// `cron` / `unique-cron` line, the `cron2` key=value form, and when an entry matches a minute.
// uWSGI's fields are integers: -1 is any, -N every N (value % N == 0), months count 1..12 and a
// week day of 7 is Sunday; day and week day are OR-ed when both are given
// (test/fixtures/signal/uwsgi-2.0.21-signals.json). Sans-I/O.

import { UwsgiError } from '../errors.js';

export interface CronFields {
  readonly minute: number;
  readonly hour: number;
  readonly day: number;
  readonly month: number;
  readonly week: number;
}

/** What runs: a shell command (options) or a signal raised by the master (addCron()). */
export type CronAction = { readonly command: string } | { readonly signal: number };

export interface CronEntry extends CronFields {
  readonly action: CronAction;
  /** Never started again while the previous run is alive (`unique-cron`, cron2 `unique=1`). */
  readonly unique: boolean;
  /** Seconds a command may run before it is killed (cron2 `harakiri=`, else `cron-harakiri`); 0 = no limit. */
  readonly harakiri: number;
  /** cron2 `legion=`: kept for the stats row; legions are not part of uwsgi-ts. */
  readonly legion: string;
}

/** The local time of a minute, as cron compares it. */
export interface CronTime {
  readonly minute: number;
  readonly hour: number;
  /** 1..31 */
  readonly day: number;
  /** 1..12 */
  readonly month: number;
  /** 0 (Sunday)..6 */
  readonly week: number;
}

export function cronTime(date: Date): CronTime {
  return {
    minute: date.getMinutes(),
    hour: date.getHours(),
    day: date.getDate(),
    month: date.getMonth() + 1,
    week: date.getDay(),
  };
}

/** One field: -1 any, -N every N, else equal (week 7 is Sunday). */
function fieldMatches(spec: number, value: number): boolean {
  if (spec < 0) return value % -spec === 0;
  return spec === value;
}

export function cronMatches(fields: CronFields, t: CronTime): boolean {
  const week = fields.week === 7 ? 0 : fields.week;
  if (!fieldMatches(fields.minute, t.minute) || !fieldMatches(fields.hour, t.hour)) return false;
  if (!fieldMatches(fields.month, t.month)) return false;
  // uWSGI (observed): day and week day both given -> either one; otherwise each must match
  if (fields.day >= 0 && week >= 0) return fields.day === t.day || week === t.week;
  return fieldMatches(fields.day, t.day) && fieldMatches(week, t.week);
}

const INT = /^-?\d+$/;

function bad(option: string, value: string, where: string, why: string): UwsgiError {
  return new UwsgiError(
    'ERR_CONFIG_BAD_VALUE',
    `invalid cron syntax in ${option} "${value}": ${why} (${where})`,
  );
}

/**
 * `cron` / `unique-cron`: `MINUTE HOUR DAY MONTH WEEKDAY COMMAND` with integer fields (uWSGI
 * refuses `*`, lists and `*\/N`: use -1 and -N). A line without a command is refused (uWSGI
 * registers it and runs an empty command every time).
 */
export function parseCronLine(
  option: string,
  value: string,
  where: string,
  defaults: { readonly unique: boolean; readonly harakiri: number },
): CronEntry {
  const m = /^\s*(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)(?:\s+(.*))?$/.exec(value);
  const fields = m ? m.slice(1, 6) : [];
  if (!m || !fields.every((f) => INT.test(f))) {
    throw bad(option, value, where, 'give MINUTE HOUR DAY MONTH WEEKDAY COMMAND, -1 for any, -N for every N');
  }
  const command = (m[6] ?? '').trim();
  if (command === '') throw bad(option, value, where, 'no command after the five fields');
  const [minute, hour, day, month, week] = fields.map(Number) as [number, number, number, number, number];
  return { minute, hour, day, month, week, action: { command }, legion: '', ...defaults };
}

const CRON2_KEYS = ['minute', 'hour', 'day', 'month', 'week'] as const;

/**
 * `cron2 = minute=39,hour=23,unique=1,harakiri=30 COMMAND`: missing fields are -1; a first word
 * without `=` is not a key list, the whole value is the command (uWSGI, observed); unknown keys
 * are ignored as uWSGI does.
 */
export function parseCron2(value: string, where: string, harakiriDefault: number): CronEntry {
  const trimmed = value.trim();
  const space = trimmed.search(/\s/);
  const first = space < 0 ? trimmed : trimmed.slice(0, space);
  const keyed = first.includes('=');
  const command = (keyed ? (space < 0 ? '' : trimmed.slice(space + 1)) : trimmed).trim();
  if (command === '') throw bad('cron2', value, where, 'no command after the key list');
  const kv = new Map<string, string>();
  if (keyed) {
    for (const pair of first.split(',')) {
      const eq = pair.indexOf('=');
      if (eq > 0) kv.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
  }
  const int = (key: string, fallback: number): number => {
    const raw = kv.get(key);
    if (raw === undefined) return fallback;
    if (!INT.test(raw)) throw bad('cron2', value, where, `${key}=${raw} is not an integer`);
    return Number(raw);
  };
  const [minute, hour, day, month, week] = CRON2_KEYS.map((k) => int(k, -1)) as [
    number,
    number,
    number,
    number,
    number,
  ];
  return {
    minute,
    hour,
    day,
    month,
    week,
    action: { command },
    unique: int('unique', 0) !== 0,
    harakiri: int('harakiri', harakiriDefault),
    legion: kv.get('legion') ?? '',
  };
}

/** A signal cron from addCron(): the fields as the app gave them (already integers). */
export function signalCron(signal: number, fields: CronFields): CronEntry {
  return { ...fields, action: { signal }, unique: false, harakiri: 0, legion: '' };
}

/** Identity of an entry: the same cron added by every worker at import time is kept once. */
export function cronKey(entry: CronEntry): string {
  const what = 'command' in entry.action ? `c:${entry.action.command}` : `s:${entry.action.signal}`;
  return `${entry.minute} ${entry.hour} ${entry.day} ${entry.month} ${entry.week} ${entry.unique ? 1 : 0} ${what}`;
}

/** The index of the minute `ms` falls in (minutes since the epoch). */
export function minuteOf(ms: number): number {
  return Math.floor(ms / 60_000);
}

/** How long from `ms` to the start of the next minute. */
export function msToNextMinute(ms: number): number {
  return 60_000 - (ms % 60_000);
}
