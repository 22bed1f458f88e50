// From the exported-options list to one frozen, typed configuration: unknown keys checked
// (warning, or error under --strict), declared options expanded, values parsed by kind,
// options of subsystems not served yet reported. Modules downstream trust what comes out.

import { UwsgiError } from '../errors.js';
import { expandDeclared } from './declared-option.js';
import { type ConfigEntry, formatOrigin, type Origin } from './entry.js';
import type { ConfigLoader, ConfigWarning } from './loader.js';
import type { OptionSpec, ValueKind } from './option.js';
import { findOption, suggestOption } from './option-registry.js';
import type { KindOf, OptionName } from './option-table.js';
import { SERVED_OPTIONS, UNSERVED_OPTIONS } from './served-options.js';
import { SUBSYSTEM_STATUS } from './subsystem-status.js';
import { type OptionValue, VALUE_PARSERS } from './value-kinds.js';

export interface ResolvedOption<V extends OptionValue = OptionValue> {
  readonly value: V;
  /** The raw string after expansion. */
  readonly raw: string;
  readonly origin: Origin;
}

/** The typed value of an option, derived from its row's kind (STYLE.md rule 2). */
export type ValueOf<N extends OptionName> = KindValue<KindOf<N>>;
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
  /** The effective value: the last one given, else the table's default, else undefined. */
  value<N extends OptionName>(name: N): ValueOf<N> | undefined;
}

export function resolveConfig(loader: ConfigLoader): Config {
  const values = new Map<string, ResolvedOption[]>();
  const warnings: ConfigWarning[] = [...loader.warnings];
  const warnedUnsupported = new Set<string>();

  const apply = (spec: OptionSpec, raw: string, origin: Origin) => {
    const value = VALUE_PARSERS[spec.kind](raw, spec, formatOrigin(origin));
    const list = values.get(spec.name) ?? [];
    list.push({ value, raw, origin });
    values.set(spec.name, list);
    const status = SUBSYSTEM_STATUS[spec.subsystem];
    const served =
      (status.state === 'ready' && !UNSERVED_OPTIONS.has(spec.name)) || SERVED_OPTIONS.has(spec.name);
    if (served || warnedUnsupported.has(spec.name)) return;
    warnedUnsupported.add(spec.name);
    const what =
      status.state === 'never'
        ? `is not supported by uwsgi-ts (${status.note}${spec.instead ? `; ${spec.instead}` : ''})`
        : `is not supported yet by uwsgi-ts (${status.state === 'planned' ? status.note : 'this option is not served yet'})`;
    const message = `option "${spec.name}" (${formatOrigin(origin)}) ${what}`;
    if (loader.strict) throw new UwsgiError('ERR_CONFIG_NOT_SUPPORTED', message);
    warnings.push({ code: 'not-supported', key: spec.name, message });
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
      (all(name).at(-1)?.value ?? defaultOf(name)) as ValueOf<N> | undefined,
  });
}

/** An option's default from its row, parsed by its kind; undefined when the row has none. */
function defaultOf(name: OptionName): OptionValue | undefined {
  const spec = findOption(name);
  if (spec?.default === undefined) return undefined;
  try {
    return VALUE_PARSERS[spec.kind](spec.default, spec, 'the option table');
  } catch {
    return undefined;
  }
}

function hint(key: string): string {
  const near = suggestOption(key);
  return near ? ` (did you mean "${near}"?)` : '';
}

/** Placeholders defined with set / set-placeholder are meant as such, strict or not. */
function isPlaceholderOnPurpose(loader: ConfigLoader, entry: ConfigEntry): boolean {
  return loader.declaredPlaceholders.has(entry.key) || entry.origin.kind === 'derived';
}
