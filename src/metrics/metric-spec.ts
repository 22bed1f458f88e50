// A `metric` option (seed manual "The Metrics subsystem"): the simplified form `metric = NAME`
// (a manual counter) or the keyval form `name=..,type=..,collector=..`. Validated here, once;
// what uWSGI 2.0.21 silently accepts and then misbehaves on (unknown keys and types, the `ptr`
// collector that crashes its master) is refused with a message naming the value and its origin.

import { UwsgiError } from '../errors.js';

/** uWSGI's type numbers, as the stats document and the socket pusher print them. */
export const METRIC_TYPES = { counter: 0, gauge: 1, absolute: 2, alias: 3 } as const;
export type MetricType = keyof typeof METRIC_TYPES;

/** uWSGI: "containing only numbers, letters, underscores, dashes and dots". */
const NAME = /^[A-Za-z0-9_.-]+$/;

/** How a collected metric gets its value; `manual` is uWSGI's NULL collector (the app sets it). */
export type CollectorName = 'manual' | 'file' | 'sum' | 'avg' | 'accumulator' | 'multiplier';

interface CollectorRow {
  /** Why it is refused; undefined for the collectors uwsgi-ts runs. */
  readonly refused?: string;
  readonly needsArg1?: boolean;
  readonly needsChildren?: boolean;
}

/** Every collector uWSGI 2.0.21 names (core/metrics.c registers them), served or refused. */
const COLLECTORS: Readonly<Record<string, CollectorRow>> = {
  manual: {},
  file: { needsArg1: true },
  sum: { needsChildren: true },
  avg: { needsChildren: true },
  accumulator: { needsChildren: true },
  multiplier: { needsChildren: true },
  ptr: { refused: 'it reads a C pointer of the server (uWSGI 2.0.21 crashes on it too)' },
  func: {
    refused:
      'it calls a C function of a dlopen()ed library; compute the value in the app and set it with metricSet()',
  },
};

export interface MetricSpec {
  readonly name: string;
  readonly oid: string;
  readonly type: MetricType;
  readonly collector: CollectorName;
  /** The value at start-up (and after a push with `reset_after_push`). */
  readonly initialValue: number;
  /** Seconds between two collections (collected metrics only). */
  readonly freq: number;
  readonly resetAfterPush: boolean;
  /** Names of the metrics a sum/avg/accumulator/multiplier collector reads. */
  readonly children: readonly string[];
  /** The metric a `type=alias` metric shows. */
  readonly alias: string | undefined;
  readonly arg1: string | undefined;
  readonly arg2: string | undefined;
  readonly arg3: string | undefined;
  readonly arg1n: number;
  readonly arg2n: number;
  readonly arg3n: number;
}

const KEYS = [
  'name',
  'oid',
  'type',
  'collector',
  'initial_value',
  'freq',
  'reset_after_push',
  'children',
  'alias',
  'arg1',
  'arg2',
  'arg3',
  'arg1n',
  'arg2n',
  'arg3n',
] as const;
type Key = (typeof KEYS)[number];

function bad(text: string, where: string, why: string): UwsgiError {
  return new UwsgiError('ERR_CONFIG_BAD_VALUE', `metric "${text}" (${where}): ${why}`);
}

function integer(
  text: string,
  where: string,
  key: string,
  value: string | undefined,
  fallback: number,
): number {
  if (value === undefined || value === '') return fallback;
  if (!/^[-+]?[0-9]+$/.test(value)) throw bad(text, where, `${key} must be an integer, got "${value}"`);
  return Number(value);
}

/** uWSGI's kvlist: `k=v` pairs split at commas (a value cannot hold one). */
function keyvals(text: string, where: string): Map<Key, string> {
  const out = new Map<Key, string>();
  for (const part of text.split(',')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    if (eq <= 0) throw bad(text, where, `"${part}" is not KEY=VALUE`);
    const key = part.slice(0, eq);
    if (!(KEYS as readonly string[]).includes(key))
      throw bad(text, where, `unknown key "${key}" (known: ${KEYS.join(', ')})`);
    out.set(key as Key, part.slice(eq + 1));
  }
  return out;
}

export function parseMetricOption(text: string, where: string): MetricSpec {
  const trimmed = text.trim();
  // uWSGI: a value without `=` is the simplified form, a manual counter of that name
  const kv = trimmed.includes('=') ? keyvals(trimmed, where) : new Map<Key, string>([['name', trimmed]]);
  const name = kv.get('name');
  if (!name) throw bad(trimmed, where, 'you need to specify a metric name (name=...)');
  if (!NAME.test(name))
    throw bad(trimmed, where, `invalid metric name "${name}" (letters, digits, _ - . only)`);
  const typeText = kv.get('type') ?? 'counter';
  if (!Object.hasOwn(METRIC_TYPES, typeText))
    throw bad(trimmed, where, `unknown type "${typeText}" (counter, gauge, absolute or alias)`);
  const type = typeText as MetricType;
  const collectorText = kv.get('collector') ?? 'manual';
  const row = Object.hasOwn(COLLECTORS, collectorText) ? COLLECTORS[collectorText] : undefined;
  if (!row) throw bad(trimmed, where, `unable to find metric collector "${collectorText}"`);
  if (row.refused)
    throw bad(trimmed, where, `the "${collectorText}" collector is not supported: ${row.refused}`);
  const children = (kv.get('children') ?? '').split(';').filter((c) => c !== '');
  if (row.needsChildren && children.length === 0)
    throw bad(trimmed, where, `the ${collectorText} collector needs children=METRIC;METRIC...`);
  if (row.needsArg1 && !kv.get('arg1')) throw bad(trimmed, where, 'the file collector needs arg1=FILENAME');
  const alias = kv.get('alias');
  if (type === 'alias' && !alias) throw bad(trimmed, where, 'type=alias needs alias=METRIC');
  if (type === 'alias' && collectorText !== 'manual')
    throw bad(trimmed, where, 'an alias shows another metric: it has no collector');
  const freq = integer(trimmed, where, 'freq', kv.get('freq'), 1);
  if (freq < 1) throw bad(trimmed, where, `freq must be at least 1 second, got ${freq}`);
  const reset = kv.get('reset_after_push');
  return {
    name,
    oid: kv.get('oid') ?? '',
    type,
    collector: collectorText as CollectorName,
    initialValue: integer(trimmed, where, 'initial_value', kv.get('initial_value'), 0),
    freq,
    resetAfterPush: reset !== undefined && reset !== '' && reset !== '0' && reset !== 'false',
    children,
    // uWSGI: `alias=` only makes an alias with type=alias (else a plain counter, recorded)
    alias: type === 'alias' ? alias : undefined,
    arg1: kv.get('arg1'),
    arg2: kv.get('arg2'),
    arg3: kv.get('arg3'),
    arg1n: integer(trimmed, where, 'arg1n', kv.get('arg1n'), 0),
    arg2n: integer(trimmed, where, 'arg2n', kv.get('arg2n'), 0),
    arg3n: integer(trimmed, where, 'arg3n', kv.get('arg3n'), 0),
  };
}
