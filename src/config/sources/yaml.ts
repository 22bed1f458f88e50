// The yaml reader. uWSGI 2.0.21 (Debian, libyaml) reads the section's mapping and, observed:
// keeps every scalar as written (no type resolution: `yes`, `0x10`, `~` stay text), adds one
// option per sequence item, flattens nested mappings into their keys, and skips keys with no
// value. The `yaml` package's failsafe schema gives exactly the written scalars.

import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { UwsgiError } from '../../errors.js';
import type { RawLine, SectionRead } from './ini.js';

/** A scalar's text as written; a key with no value (an empty plain scalar) has none (observed). */
function scalarText(node: unknown): string | undefined {
  if (!isScalar(node)) return undefined;
  const v = node.value;
  if (v === null || v === undefined) return undefined;
  if (v === '' && (node.type === 'PLAIN' || node.type === undefined)) return undefined;
  return String(v);
}

export function readYamlSection(text: string, section: string, name = 'yaml'): SectionRead {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { schema: 'failsafe', lineCounter, uniqueKeys: false, strict: false });
  if (doc.errors.length > 0) {
    const first = doc.errors[0];
    throw new UwsgiError('ERR_CONFIG_PARSE', `invalid yaml in ${name}: ${first?.message.split('\n')[0] ?? 'parse error'}`);
  }
  const root = doc.contents;
  if (!isMap(root)) return { lines: [], found: false };
  const pair = root.items.find((p) => scalarText(p.key) === section);
  if (!pair) return { lines: [], found: false };
  const lines: RawLine[] = [];
  const lineOf = (node: Node): number => lineCounter.linePos(node.range?.[0] ?? 0).line;
  const walk = (body: unknown): void => {
    if (!isMap(body)) return;
    for (const item of body.items) {
      const key = scalarText(item.key);
      if (key === undefined) continue;
      const value = item.value;
      const single = scalarText(value);
      if (single !== undefined && isScalar(value)) lines.push({ key, value: single, line: lineOf(value) });
      else if (isSeq(value)) {
        for (const entry of value.items) {
          const text = scalarText(entry);
          if (text !== undefined && isScalar(entry)) lines.push({ key, value: text, line: lineOf(entry) });
        }
      } else if (isMap(value)) walk(value);
    }
  };
  walk(pair.value);
  return { lines, found: true };
}
