// From the exported-options list to one frozen, typed configuration: unknown keys checked
// (warning, or error under --strict), declared options expanded, values parsed by kind,
// options of subsystems not served yet reported. Modules downstream trust what comes out.

import { UwsgiError } from '../errors.js';
import { expandDeclared } from './declared-option.js';
import { type ConfigEntry, formatOrigin, type Origin } from './entry.js';
import type { ConfigLoader, ConfigWarning } from './loader.js';
import type { OptionSpec } from './option.js';
import { findOption } from './option-registry.js';
import { SUBSYSTEM_STATUS } from './subsystem-status.js';
import { type OptionValue, VALUE_PARSERS } from './value-kinds.js';

export interface ResolvedOption {
  readonly value: OptionValue;
  /** The raw string after expansion. */
  readonly raw: string;
  readonly origin: Origin;
}

export interface Config {
  /** Every exported option in order, as --show-config prints them. */
  readonly entries: readonly Readonly<ConfigEntry>[];
  readonly warnings: readonly ConfigWarning[];
  readonly strict: boolean;
  /** The last value of a scalar option (by canonical name), undefined when never given. */
  get(name: string): ResolvedOption | undefined;
  /** Every value of an option, in order (list options; also works for scalars). */
  all(name: string): readonly ResolvedOption[];
  flag(name: string): boolean;
  int(name: string, fallback: number): number;
  string(name: string): string | undefined;
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
    if (status.state === 'ready' || warnedUnsupported.has(spec.name)) return;
    warnedUnsupported.add(spec.name);
    const what =
      status.state === 'planned'
        ? `is not supported yet by uwsgi-ts (${status.note})`
        : `is not supported by uwsgi-ts (${status.note}${spec.instead ? `; ${spec.instead}` : ''})`;
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
        message: `unknown option "${entry.key}" (${formatOrigin(entry.origin)}) is not used as a placeholder either: ignored`,
      });
    }
  }

  const frozen = new Map<string, readonly ResolvedOption[]>();
  for (const [name, list] of values) frozen.set(name, Object.freeze(list.map((v) => Object.freeze(v))));
  const last = (name: string) => frozen.get(canonical(name))?.at(-1);
  return Object.freeze({
    entries: Object.freeze(loader.entries.map((e) => Object.freeze({ ...e }))),
    warnings: Object.freeze(warnings),
    strict: loader.strict,
    get: last,
    all: (name: string) => frozen.get(canonical(name)) ?? [],
    flag: (name: string) => last(name)?.value === true,
    int: (name: string, fallback: number) => {
      const v = last(name)?.value;
      return typeof v === 'number' ? v : fallback;
    },
    string: (name: string) => {
      const v = last(name)?.value;
      return typeof v === 'string' ? v : undefined;
    },
  });
}

/** Placeholders defined with set / set-placeholder are meant as such, strict or not. */
function isPlaceholderOnPurpose(loader: ConfigLoader, entry: ConfigEntry): boolean {
  return loader.declaredPlaceholders.has(entry.key) || entry.origin.kind === 'derived';
}

function canonical(name: string): string {
  return findOption(name)?.name ?? name;
}
