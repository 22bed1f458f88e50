// Is an option served? Run by resolve() on every option occurrence, before anything binds or
// forks: an option, plugin or app file of a capability not served yet stops the start
// (not-served-yet.ts); a plugin with no counterpart is uWSGI's missing plugin (plugins.ts); under
// --strict an app file that no loader accepts is refused. Options served by no module otherwise
// keep today's warning (an error under --strict).

import { extname } from 'node:path';
import { UwsgiError } from '../errors.js';
import { PYTHON_APP_EXTENSIONS } from '../python/python-files.js';
import type { ConfigWarning } from './loader.js';
import {
  appFileNotServed,
  insteadOf,
  type NotServedYet,
  optionNotServed,
  pluginNotServed,
} from './not-served-yet.js';
import type { OptionSpec } from './option.js';
import { BUILT_IN_PLUGINS, pluginNames } from './plugins.js';
import { SERVED_OPTIONS, UNSERVED_OPTIONS } from './served-options.js';
import { SUBSYSTEM_STATUS } from './subsystem-status.js';

/** Extensions the JS app loader imports (src/worker/app-loader.ts: node's, and tsx's for TS). */
export const JS_APP_EXTENSIONS: ReadonlySet<string> = new Set([
  '.js',
  '.mjs',
  '.cjs',
  '.ts',
  '.mts',
  '.cts',
  '.tsx',
]);

export interface ServedContext {
  readonly strict: boolean;
  /** Where the occurrence comes from, formatted (`app.ini:3`, `command line --http`). */
  readonly where: string;
  warn(warning: ConfigWarning): void;
}

function notServed(what: string, row: NotServedYet, instead: string, where: string): UwsgiError {
  return new UwsgiError(
    'ERR_CONFIG_NOT_SERVED_YET',
    `${what} (${where}) needs ${row.capability}, which uwsgi-ts does not serve yet: ${instead}`,
  );
}

/**
 * The file of an `app`/`mount` value: `[/PREFIX=]FILE[:EXPORT]`, where a `:` after the last `/`
 * (and not a drive-like `C:`) starts the export name, as the master splits it.
 */
export function appFile(option: 'app' | 'mount', value: string): string {
  const file = option === 'mount' ? value.slice(value.indexOf('=') + 1) : value;
  const colon = file.lastIndexOf(':');
  return colon > file.lastIndexOf('/') && colon > 1 ? file.slice(0, colon) : file;
}

/** Used by a module today: its subsystem is ready, or the option is listed in served-options.ts. */
export function isServed(spec: OptionSpec): boolean {
  const status = SUBSYSTEM_STATUS[spec.subsystem];
  return (status.state === 'ready' && !UNSERVED_OPTIONS.has(spec.name)) || SERVED_OPTIONS.has(spec.name);
}

/** The missing capability an option needs, if any (not-served-yet.ts). */
export function capabilityOf(spec: OptionSpec): NotServedYet | undefined {
  return optionNotServed(spec.name, spec.subsystem, isServed(spec));
}

type ValueRule = (spec: OptionSpec, value: string, ctx: ServedContext) => void;

/**
 * `plugins`/`need-plugins`, run the moment the option is read (immediate.ts), as uWSGI loads a
 * plugin then: a plugin of a capability not served yet stops the start; one with no counterpart
 * is uWSGI 2.0.21's missing plugin: `unable to load plugin "foo"` and exit 1 for need-plugin, a
 * warning for plugin (test/fixtures/config/uwsgi-2.0.21-plugins.json).
 */
export function checkPlugins(option: string, value: string, ctx: ServedContext): void {
  const need = option === 'need-plugins';
  for (const name of pluginNames(value)) {
    const row = pluginNotServed(name);
    if (row) throw notServed(`plugin "${name}" of option "${option}"`, row, row.instead, ctx.where);
    if (BUILT_IN_PLUGINS.has(name)) continue;
    const message = `unable to load plugin "${name}" (${option}, ${ctx.where}): uwsgi-ts has no counterpart`;
    if (need) throw new UwsgiError('ERR_CONFIG_PLUGIN_NOT_FOUND', message);
    ctx.warn({ code: 'plugin-not-found', key: option, message });
  }
}

const app =
  (option: 'app' | 'mount'): ValueRule =>
  (_spec, value, ctx) => {
    if (option === 'mount' && !value.includes('=')) {
      throw new UwsgiError('ERR_CONFIG_BAD_VALUE', `mount needs /mountpoint=app: "${value}" (${ctx.where})`);
    }
    const file = appFile(option, value);
    const ext = extname(file).toLowerCase();
    const row = appFileNotServed(ext);
    if (row) throw notServed(`app file "${file}" of option "${option}"`, row, row.instead, ctx.where);
    if (ctx.strict && !JS_APP_EXTENSIONS.has(ext) && !PYTHON_APP_EXTENSIONS.has(ext)) {
      throw new UwsgiError(
        'ERR_CONFIG_NO_LOADER',
        `[strict-mode] no app loader accepts "${file}" (${option}, ${ctx.where}): give a ${[...JS_APP_EXTENSIONS].join(' ')} file`,
      );
    }
  };

/** Options whose value, not just their presence, can name something not served (plugins: above). */
const VALUE_RULES: Readonly<Record<string, ValueRule>> = {
  app: app('app'),
  mount: app('mount'),
};

/**
 * Checks one occurrence of an option. Throws for what cannot start; returns the warning of an
 * option no module serves yet (once per option: the caller keeps `warned`).
 */
export function checkServed(spec: OptionSpec, value: string, ctx: ServedContext, warned: Set<string>): void {
  const status = SUBSYSTEM_STATUS[spec.subsystem];
  const served = isServed(spec);
  const row = optionNotServed(spec.name, spec.subsystem, served);
  if (row) throw notServed(`option "${spec.name}"`, row, insteadOf(row, spec.name), ctx.where);
  VALUE_RULES[spec.name]?.(spec, value, ctx);
  if (served || warned.has(spec.name)) return;
  warned.add(spec.name);
  const what =
    status.state === 'never'
      ? `is not supported by uwsgi-ts (${status.note}${spec.instead ? `; ${spec.instead}` : ''})`
      : `is not supported yet by uwsgi-ts (${status.state === 'planned' ? status.note : 'this option is not served yet'})`;
  const message = `option "${spec.name}" (${ctx.where}) ${what}`;
  if (ctx.strict) throw new UwsgiError('ERR_CONFIG_NOT_SUPPORTED', message);
  ctx.warn({ code: 'not-supported', key: spec.name, message });
}
