// The command line, read as uWSGI's getopt_long reads it: `--name value`, `--name=value`,
// unambiguous prefixes of long names, short flags (`-s x`, `-sx`, clustered `-Mp3`), and
// non-option arguments kept apart and read as config files after all the options.

import { UwsgiError } from '../../errors.js';
import type { OptionSpec } from '../option.js';
import { allOptionNames, findOption, findShortOption, suggestOption } from '../option-registry.js';

export interface ArgvOption {
  /** The option's name as uWSGI prints it: the long name typed, or the long name of a short flag. */
  readonly key: string;
  readonly value: string;
  readonly index: number;
  /** As typed, for messages (`--socket`, `-s`). */
  readonly flag: string;
}

/** A non-option argument (a config file), read after all the options. */
export interface ArgvPositional {
  readonly value: string;
  readonly index: number;
}

/**
 * Options declared while the command line is read (`--declare-option foo=... --foo x`): uWSGI
 * runs immediate options as getopt returns them, so a declaration is usable further right.
 */
export type DeclaredLookup = (name: string) => boolean;

/** A flag with no value is the string `true` (observed: `--master` prints `master = true`). */
const FLAG_VALUE = 'true';

const DECLARED_SPEC: OptionSpec = {
  name: '',
  arg: 'required',
  kind: 'string',
  subsystem: 'config',
  help: '',
};

function resolveLong(
  name: string,
  flag: string,
  declared: DeclaredLookup,
): { key: string; spec: OptionSpec } {
  const exact = findOption(name);
  if (exact) return { key: name, spec: exact };
  if (declared(name)) return { key: name, spec: DECLARED_SPEC };
  const candidates = [...allOptionNames()].filter((n) => n.startsWith(name));
  const specs = new Set(candidates.map((n) => findOption(n)));
  if (candidates.length > 0 && specs.size === 1) {
    const key = candidates.sort((a, b) => a.length - b.length)[0] ?? name;
    const spec = findOption(key);
    if (spec) return { key, spec };
  }
  if (candidates.length > 1) {
    throw new UwsgiError(
      'ERR_CONFIG_UNKNOWN_OPTION',
      `option '${flag}' is ambiguous (${candidates.slice(0, 4).join(', ')}...)`,
    );
  }
  const hint = suggestOption(name);
  throw new UwsgiError(
    'ERR_CONFIG_UNKNOWN_OPTION',
    `unrecognized option '${flag}'${hint ? ` (did you mean '--${hint}'?)` : ''}`,
  );
}

/** Calls `onOption` for each option in order (it may declare more) and returns the rest. */
export function readArgv(
  argv: readonly string[],
  declared: DeclaredLookup,
  onOption: (option: ArgvOption) => void,
): ArgvPositional[] {
  const options = { push: onOption };
  const positional: ArgvPositional[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--') {
      for (let j = i + 1; j < argv.length; j++) positional.push({ value: argv[j] ?? '', index: j });
      break;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = arg.slice(2, eq < 0 ? undefined : eq);
      const flag = `--${name}`;
      const { key, spec } = resolveLong(name, flag, declared);
      if (eq >= 0) {
        if (spec.arg === 'none') {
          throw new UwsgiError(
            'ERR_CONFIG_UNEXPECTED_ARGUMENT',
            `option '${flag}' doesn't allow an argument`,
          );
        }
        options.push({ key, value: arg.slice(eq + 1), index: i, flag });
      } else if (spec.arg === 'required') {
        if (i + 1 >= argv.length) {
          throw new UwsgiError('ERR_CONFIG_MISSING_ARGUMENT', `option '${flag}' requires an argument`);
        }
        i++;
        options.push({ key, value: argv[i] ?? '', index: i - 1, flag });
      } else options.push({ key, value: FLAG_VALUE, index: i, flag });
      continue;
    }
    if (arg.startsWith('-') && arg.length > 1) {
      for (let c = 1; c < arg.length; c++) {
        const letter = arg[c] ?? '';
        const flag = `-${letter}`;
        const spec = findShortOption(letter);
        if (!spec) throw new UwsgiError('ERR_CONFIG_UNKNOWN_OPTION', `invalid option -- '${letter}'`);
        if (spec.arg === 'none') {
          options.push({ key: spec.name, value: FLAG_VALUE, index: i, flag });
          continue;
        }
        const rest = arg.slice(c + 1);
        if (rest !== '') options.push({ key: spec.name, value: rest, index: i, flag });
        else if (spec.arg === 'optional') options.push({ key: spec.name, value: FLAG_VALUE, index: i, flag });
        else {
          if (i + 1 >= argv.length) {
            throw new UwsgiError('ERR_CONFIG_MISSING_ARGUMENT', `option requires an argument -- '${letter}'`);
          }
          i++;
          options.push({ key: spec.name, value: argv[i] ?? '', index: i - 1, flag });
        }
        break;
      }
      continue;
    }
    positional.push({ value: arg, index: i });
  }
  return positional;
}
