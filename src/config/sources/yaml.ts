// The yaml reader. uWSGI 2.0.21 (Debian, libyaml) reads token by token; observed
// (test/fixtures/config/FINDINGS.md §6): the section is the first `uwsgi:` mapping at any depth,
// every scalar is kept as written (no type resolution: `yes`, `0x10`, `~` stay text), a sequence
// gives one option per item, nested mappings (also inside sequences) are flattened into their
// keys, and a key with no value is skipped. The `yaml` package's failsafe schema gives exactly
// the written scalars. Deliberate differences (README): anchors/aliases and a flow-style
// document are read as YAML means them, where uWSGI stops or reads nothing.

import { createRequire } from 'node:module';
import type { Alias, Node, Scalar, YAMLMap, YAMLSeq } from 'yaml';
import { UwsgiError } from '../../errors.js';
import type { RawLine, SectionRead } from './ini.js';

// The `yaml` package is ~7 MB of resident memory once compiled: it is loaded the first time a yaml
// config is read, so that an Emperor or a master reading ini files never carries it (issue 17's
// Emperor RSS line; bench/RESULTS.md "Emperor RSS").
let yamlLib: typeof import('yaml') | undefined;
const yaml = (): typeof import('yaml') => {
  yamlLib ??= createRequire(import.meta.url)('yaml') as typeof import('yaml');
  return yamlLib;
};
const isAlias = (node: unknown): node is Alias => yaml().isAlias(node);
const isMap = (node: unknown): node is YAMLMap => yaml().isMap(node);
const isScalar = (node: unknown): node is Scalar => yaml().isScalar(node);
const isSeq = (node: unknown): node is YAMLSeq => yaml().isSeq(node);

/** A scalar's text as written; a key with no value (an empty plain scalar) has none (observed). */
function scalarText(node: unknown): string | undefined {
  if (!isScalar(node)) return undefined;
  const v = node.value;
  if (v === null || v === undefined) return undefined;
  if (v === '' && (node.type === 'PLAIN' || node.type === undefined)) return undefined;
  return String(v);
}

export function readYamlSection(text: string, section: string, name = 'yaml'): SectionRead {
  const { LineCounter, parseDocument } = yaml();
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { schema: 'failsafe', lineCounter, uniqueKeys: false, strict: false });
  if (doc.errors.length > 0) {
    const first = doc.errors[0];
    throw new UwsgiError(
      'ERR_CONFIG_PARSE',
      `invalid yaml in ${name}: ${first?.message.split('\n')[0] ?? 'parse error'}`,
    );
  }
  const deref = (node: unknown): unknown => (isAlias(node) ? node.resolve(doc) : node);
  const body = findSection(doc.contents, section, deref);
  if (body === undefined) return { lines: [], found: false };
  const lines: RawLine[] = [];
  const lineOf = (node: Node): number => lineCounter.linePos(node.range?.[0] ?? 0).line;
  const add = (key: string, node: unknown): void => {
    const value = deref(node);
    const text = scalarText(value);
    if (text !== undefined && isScalar(value)) lines.push({ key, value: text, line: lineOf(value) });
    else if (isSeq(value)) {
      for (const item of value.items) {
        const inner = deref(item);
        if (isMap(inner)) walk(inner);
        else add(key, inner);
      }
    } else if (isMap(value)) walk(value);
  };
  const walk = (map: unknown): void => {
    if (!isMap(map)) return;
    for (const item of map.items) {
      const key = scalarText(deref(item.key));
      if (key !== undefined) add(key, item.value);
    }
  };
  walk(body);
  return { lines, found: true };
}

/** The value of the first `section:` key whose value is a mapping, depth first, in document order. */
function findSection(node: unknown, section: string, deref: (n: unknown) => unknown): unknown {
  const here = deref(node);
  if (isMap(here)) {
    for (const item of here.items) {
      const value = deref(item.value);
      if (scalarText(deref(item.key)) === section && isMap(value)) return value;
      const inner = findSection(value, section, deref);
      if (inner !== undefined) return inner;
    }
  } else if (isSeq(here)) {
    for (const item of here.items) {
      const inner = findSection(item, section, deref);
      if (inner !== undefined) return inner;
    }
  }
  return undefined;
}
