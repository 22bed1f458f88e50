// Raw option strings to typed values, one parser per ValueKind (option.ts). Validation happens
// here, at the edge, with the option and its origin in every message.

import { UwsgiError } from '../errors.js';
import type { OptionSpec, ValueKind } from './option.js';

export type OptionValue = boolean | number | string | Readonly<Record<string, string>>;

type Parser = (raw: string, spec: OptionSpec, where: string) => OptionValue;

/** uWSGI 2.0's boolean: only false/off/no/0 are false; a bare flag is true (reference §3.7). */
export function parseFlag(raw: string): boolean {
  return !['false', 'off', 'no', '0'].includes(raw.toLowerCase());
}

function bad(spec: OptionSpec, raw: string, where: string, why: string): never {
  throw new UwsgiError(
    'ERR_CONFIG_BAD_VALUE',
    `invalid value for option "${spec.name}": "${raw}" ${why} (${where})`,
  );
}

/**
 * uWSGI reads integers with atoi, so `4x` is 4 and `abc` is 0; uwsgi-ts refuses them instead
 * (a deliberate difference, see README): a typo must not become a zero.
 */
const integer: Parser = (raw, spec, where) => {
  const text = raw.trim();
  if (!/^-?[0-9]+$/.test(text)) bad(spec, raw, where, 'is not an integer');
  const n = Number(text);
  if (n < 0) bad(spec, raw, where, 'must not be negative');
  if (!Number.isSafeInteger(n)) bad(spec, raw, where, 'is too large');
  return n;
};

const octal: Parser = (raw, spec, where) => {
  // `chmod-socket` with no value means 666 (reference §2.1)
  if (raw === '' || raw === 'true') return 0o666;
  if (!/^[0-7]{1,4}$/.test(raw.trim())) bad(spec, raw, where, 'is not an octal mode');
  return Number.parseInt(raw.trim(), 8);
};

/** `k=v,k2=v2`, where `\` escapes the next character (reference §2 KV). */
export function parseKeyValues(raw: string): Record<string, string> {
  const out: Record<string, string> = {};
  let item = '';
  const flush = () => {
    if (item === '') return;
    const eq = item.indexOf('=');
    if (eq < 0) out[item] = '';
    else out[item.slice(0, eq)] = item.slice(eq + 1);
    item = '';
  };
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (c === '\\' && i + 1 < raw.length) item += raw[++i];
    else if (c === ',') flush();
    else item += c;
  }
  flush();
  return out;
}

const text: Parser = (raw) => raw;

/** The part of a value that `choices` checks (option.ts `choiceOf`). */
export function choiceHead(spec: OptionSpec, value: string): string {
  if (spec.choiceOf !== 'head') return value;
  const space = value.indexOf(' ');
  const word = space < 0 ? value : value.slice(0, space);
  const colon = word.indexOf(':');
  return colon < 0 ? word : word.slice(0, colon);
}

/**
 * The row's `choices` and `min`/`max`, checked once when the config is resolved, so that no module
 * re-checks (STYLE.md rule 3): `app-style = nodee` is refused here, not served as fetch style.
 */
export function checkValue(spec: OptionSpec, raw: string, value: OptionValue, where: string): void {
  if (spec.choices !== undefined && typeof value === 'string') {
    const head = choiceHead(spec, value);
    if (!spec.choices.includes(head)) {
      const part = head === value ? '' : ` (in "${value}")`;
      throw new UwsgiError(
        'ERR_CONFIG_BAD_CHOICE',
        `invalid value for option "${spec.name}": "${head}"${part} is not one of ${spec.choices.join(', ')} (${where})`,
      );
    }
  }
  if (typeof value !== 'number') return;
  const low = spec.min !== undefined && value < spec.min;
  const high = spec.max !== undefined && value > spec.max;
  if (low || high) {
    const bound = low ? `at least ${spec.min}` : `at most ${spec.max}`;
    throw new UwsgiError(
      'ERR_CONFIG_OUT_OF_RANGE',
      `invalid value for option "${spec.name}": "${raw}" must be ${bound} (${where})`,
    );
  }
}

export const VALUE_PARSERS: Readonly<Record<ValueKind, Parser>> = {
  flag: (raw) => parseFlag(raw),
  int: integer,
  seconds: integer,
  megabytes: integer,
  octal,
  kv: (raw) => Object.freeze(parseKeyValues(raw)),
  addr: text,
  string: text,
  path: text,
  command: text,
};
