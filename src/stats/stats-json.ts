// The stats document as uWSGI 2.0.21 writes it (reference §5): one `"key":value` per line,
// indented with tabs, and its quirks kept verbatim: an empty list is `[`, a blank line, `]`;
// `req_info` puts tabs before its `{`; the `vars` strings of a core start at column 0.
// `stats-minified` drops every newline and tab. Values are written in the order given.

export type StatsValue = number | string | StatsObject | StatsValue[];
export interface StatsObject {
  readonly [key: string]: StatsValue;
}

const tabs = (n: number) => '\t'.repeat(n);

function scalar(value: number | string): string {
  return typeof value === 'number' ? String(Math.trunc(value)) : JSON.stringify(value);
}

function object(obj: StatsObject, depth: number, parent = ''): string {
  const keys = Object.keys(obj);
  if (keys.length === 0) return `{\n\n${tabs(depth)}}`;
  const items = keys.map(
    (key) =>
      `${tabs(depth + 1)}${JSON.stringify(key)}:${value(key, obj[key] as StatsValue, depth + 1, parent)}`,
  );
  return `{\n${items.join(',\n')}\n${tabs(depth)}}`;
}

function list(key: string, items: StatsValue[], depth: number): string {
  if (items.length === 0) return `[\n\n${tabs(depth)}]`;
  // uWSGI writes the request vars of a core flush left
  const indent = key === 'vars' ? '' : tabs(depth + 1);
  const body = items.map((item) => `${indent}${value('', item, depth + 1)}`).join(',\n');
  return `[\n${body}\n${tabs(depth)}]`;
}

/** uWSGI puts tabs before the `{` of req_info, of the metrics object and of each metric in it. */
const tabbed = (key: string, parent: string) =>
  key === 'req_info' || key === 'metrics' || parent === 'metrics';

function value(key: string, v: StatsValue, depth: number, parent = ''): string {
  if (Array.isArray(v)) return list(key, v, depth);
  if (typeof v === 'object')
    return tabbed(key, parent) ? `${tabs(depth)}${object(v, depth, key)}` : object(v, depth, key);
  return scalar(v);
}

export function renderStats(doc: StatsObject, minified: boolean): string {
  const text = object(doc, 0);
  return minified ? text.replace(/[\n\t]/g, '') : text;
}
