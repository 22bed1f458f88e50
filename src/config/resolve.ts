// From the exported-options list to one frozen, typed configuration: unknown keys checked
// (warning, or error under --strict), declared options expanded, values parsed by kind and
// checked against their row's choices and bounds, options of capabilities not served yet refused
// (served-check.ts). This is the one place a value is validated: modules trust what comes out.

import { UwsgiError } from '../errors.js';
import { expandDeclared } from './declared-option.js';
import { type ConfigEntry, formatOrigin, type Origin } from './entry.js';
import type { ConfigLoader, ConfigWarning } from './loader.js';
import type { OptionSpec, ValueKind } from './option.js';
import { findOption, suggestOption } from './option-registry.js';
import type { KindOf, OPTIONS, OptionName } from './option-table.js';
import { checkServed } from './served-check.js';
import { checkValue, type OptionValue, VALUE_PARSERS } from './value-kinds.js';

export interface ResolvedOption<V extends OptionValue = OptionValue> {
  readonly value: V;
  /** The raw string after expansion. */
  readonly raw: string;
  readonly origin: Origin;
}

type RowOf<N extends OptionName> = Extract<(typeof OPTIONS)[number], { name: N }>;

/**
 * The typed value of an option, derived from its row (STYLE.md rule 2): its kind, narrowed to its
 * `choices` when the whole value is one of them (`app-style` is `'fetch' | 'node' | 'auto'`).
 */
export type ValueOf<N extends OptionName> =
  RowOf<N> extends { readonly choices: readonly (infer C extends string)[] }
    ? RowOf<N> extends { readonly choiceOf: 'head' }
      ? string
      : C
    : KindValue<KindOf<N>>;

/** What `value()` returns: never undefined for an option whose row has a default. */
export type EffectiveValue<N extends OptionName> =
  RowOf<N> extends { readonly default: string } ? ValueOf<N> : ValueOf<N> | undefined;
type KindValue<K extends ValueKind> = K extends 'flag'
  ? boolean
  : K extends 'int' | 'seconds' | 'megabytes' | 'octal'
    ? number
    : K extends 'kv'
      ? Readonly<Record<string, string>>
      : string;

export interface Config {
  /** Every exported option in order, as --show-config prints them. */
  readonly entries: readonly Readonly<ConfigEntry>[];
  readonly warnings: readonly ConfigWarning[];
  readonly strict: boolean;
  /** The last occurrence of an option (a scalar's effective value), undefined when never given. */
  get<N extends OptionName>(name: N): ResolvedOption<ValueOf<N>> | undefined;
  /** Every occurrence of an option, in order (what a list option holds). */
  all<N extends OptionName>(name: N): readonly ResolvedOption<ValueOf<N>>[];
  /**
   * The effective value: the last one given, else the table's default (so typed non-optional
   * where the row has one: modules never re-apply a default), else undefined.
   */
  value<N extends OptionName>(name: N): EffectiveValue<N>;
}

export function resolveConfig(loader: ConfigLoader): Config {
  const values = new Map<string, ResolvedOption[]>();
  const warnings: ConfigWarning[] = [...loader.warnings];
  const warnedUnsupported = new Set<string>();
  const warn = (w: ConfigWarning) => warnings.push(w);

  const apply = (spec: OptionSpec, raw: string, origin: Origin) => {
    const where = formatOrigin(origin);
    // a capability not served yet is named before its value is judged: its value cannot matter
    checkServed(spec, raw, { strict: loader.strict, where, warn }, warnedUnsupported);
    const value = VALUE_PARSERS[spec.kind](raw, spec, where);
    checkValue(spec, raw, value, where);
    const list = values.get(spec.name) ?? [];
    list.push({ value, raw, origin });
    values.set(spec.name, list);
  };

  // under --strict an unknown directive is the first thing reported (uWSGI checks it first)
  if (loader.strict) {
    for (const entry of loader.entries) {
      if (findOption(entry.key) || loader.declared.has(entry.key) || isPlaceholderOnPurpose(loader, entry))
        continue;
      throw new UwsgiError(
        'ERR_CONFIG_STRICT_UNKNOWN',
        `[strict-mode] unknown config directive: ${entry.key} (${formatOrigin(entry.origin)})`,
      );
    }
  }

  for (const entry of loader.entries) {
    const spec = findOption(entry.key);
    if (spec) {
      apply(spec, entry.value, entry.origin);
      continue;
    }
    const declared = loader.declared.get(entry.key);
    if (declared !== undefined) {
      for (const [key, raw] of expandDeclared(declared.template, entry.value)) {
        const target = findOption(key);
        if (target)
          apply(target, raw, { kind: 'derived', from: entry.origin, why: `declared option ${entry.key}` });
      }
      continue;
    }
    if (isPlaceholderOnPurpose(loader, entry)) continue;
    if (!loader.usedAsPlaceholder.has(entry.key)) {
      warnings.push({
        code: 'unknown-option',
        key: entry.key,
        message: `unknown option "${entry.key}" (${formatOrigin(entry.origin)}) is not used as a placeholder either: ignored${hint(entry.key)}`,
      });
    }
  }

  const frozen = new Map<string, readonly ResolvedOption[]>();
  for (const [name, list] of values) frozen.set(name, Object.freeze(list.map((v) => Object.freeze(v))));
  const all = (name: OptionName) => frozen.get(name) ?? [];
  return Object.freeze({
    entries: Object.freeze(loader.entries.map((e) => Object.freeze({ ...e }))),
    warnings: Object.freeze(warnings),
    strict: loader.strict,
    // the casts are the one place where a row's kind meets its parser: VALUE_PARSERS[kind] returns ValueOf<N>
    get: <N extends OptionName>(name: N) => all(name).at(-1) as ResolvedOption<ValueOf<N>> | undefined,
    all: <N extends OptionName>(name: N) => all(name) as readonly ResolvedOption<ValueOf<N>>[],
    value: <N extends OptionName>(name: N) =>
      (all(name).at(-1)?.value ?? defaultOf(name)) as EffectiveValue<N>,
  });
}

/**
 * An option's default from its row, parsed and checked by its kind; undefined when the row has
 * none. A default that does not parse throws (test/unit/config/option-values.test.ts checks all).
 */
function defaultOf(name: OptionName): OptionValue | undefined {
  const spec = findOption(name);
  if (spec?.default === undefined) return undefined;
  const value = VALUE_PARSERS[spec.kind](spec.default, spec, 'the option table');
  checkValue(spec, spec.default, value, 'the option table');
  return value;
}

function hint(key: string): string {
  const near = suggestOption(key);
  return near ? ` (did you mean "${near}"?)` : '';
}

/** Placeholders defined with set / set-placeholder are meant as such, strict or not. */
function isPlaceholderOnPurpose(loader: ConfigLoader, entry: ConfigEntry): boolean {
  return loader.declaredPlaceholders.has(entry.key) || entry.origin.kind === 'derived';
}
