// The collectors of custom metrics (seed manual "Metric collectors"), as pure functions of the
// metric's current value and its children's: the master's collector (metrics-collector.ts) calls
// them every `freq` seconds. Results recorded from uWSGI 2.0.21 in
// test/fixtures/metrics/uwsgi-metric-api.json (`collectors`).

import type { CollectorName, MetricSpec } from './metric-spec.js';

export interface CollectInput {
  /** The metric's value now (the accumulator adds to it). */
  readonly current: bigint;
  /** The children's values, in `children=` order. */
  readonly children: readonly bigint[];
  /** The text of `arg1` for the file collector; undefined when it could not be read. */
  readonly file: string | undefined;
}

const sum = (values: readonly bigint[]) => values.reduce((a, b) => a + b, 0n);

/** uWSGI's splitter: fields separated by `\n`, `\t`, space, `\r` and NUL. */
const FIELD_SEPARATORS = /[\n\t \r\0]+/;

/** strtoll(): the leading integer of a field (`1.5` is 1, `abc` is 0). */
export function leadingInteger(text: string): bigint {
  const m = /^\s*([-+]?[0-9]+)/.exec(text);
  return m?.[1] ? BigInt.asIntN(64, BigInt(m[1])) : 0n;
}

/** Field `index` (zero-based) of a file's text, as the file collector reads it. */
export function fileField(text: string, index: number): bigint {
  const fields = text.split(FIELD_SEPARATORS).filter((f) => f !== '');
  const field = fields[index];
  return field === undefined ? 0n : leadingInteger(field);
}

type Collect = (spec: MetricSpec, input: CollectInput) => bigint;

export const COLLECTORS: Readonly<Record<Exclude<CollectorName, 'manual'>, Collect>> = {
  file: (spec, input) => (input.file === undefined ? 0n : fileField(input.file, spec.arg1n)),
  sum: (_spec, input) => sum(input.children),
  avg: (_spec, input) =>
    input.children.length === 0 ? 0n : sum(input.children) / BigInt(input.children.length),
  // "always add the sum of children to the final value"
  accumulator: (_spec, input) => input.current + sum(input.children),
  multiplier: (spec, input) => sum(input.children) * BigInt(spec.arg1n),
};
