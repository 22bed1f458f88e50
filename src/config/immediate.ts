// What the config-handling options do. IMMEDIATE_HANDLERS run the moment the option is read
// (reference §3.1 step 3: ini, include, set, for, if-*...); CONFIGURE_HANDLERS run when the
// option is applied, after the expansion passes (inherit, print). A row per option.

import { UwsgiError } from '../errors.js';
import { splitSection } from './config-path.js';
import type { ConfigEntry } from './entry.js';
import { formatOrigin } from './entry.js';
import type { ConfigLoader, ConfigWarning } from './loader.js';
import { LOGIC_OPENERS } from './logic.js';
import { findOption } from './option-registry.js';
import { checkPlugins } from './served-check.js';

export type ConfigHandler = (loader: ConfigLoader, entry: ConfigEntry) => void;

/** `K=V` split at the first `=`; uWSGI refuses a value without `=` ("invalid placeholder/--set value"). */
function keyValue(entry: ConfigEntry): [string, string] {
  const eq = entry.value.indexOf('=');
  if (eq < 0) {
    throw new UwsgiError(
      'ERR_CONFIG_BAD_VALUE',
      `invalid value for option "${entry.key}": "${entry.value}" is not NAME=VALUE (${formatOrigin(entry.origin)})`,
    );
  }
  return [entry.value.slice(0, eq), entry.value.slice(eq + 1)];
}

const derived = (entry: ConfigEntry, why: string) => ({ kind: 'derived', from: entry.origin, why }) as const;

const loadAs =
  (format: 'ini' | 'json' | 'yaml' | 'xml' | undefined): ConfigHandler =>
  (loader, entry) =>
    loader.loadConfig(entry.value, format, entry.origin);

const setPlaceholder: ConfigHandler = (loader, entry) => {
  const [key, value] = keyValue(entry);
  if (findOption(key)) {
    throw new UwsgiError(
      'ERR_CONFIG_PLACEHOLDER_IS_OPTION',
      `"${key}" is an option, not a placeholder name (${entry.key} at ${formatOrigin(entry.origin)})`,
    );
  }
  loader.declaredPlaceholders.add(key);
  // added as already applied: its value is never expanded (observed: `set-ph y=%(x)` prints `y = %(x)`)
  loader.add(key, value, derived(entry, entry.key), true);
};

/** `set`: an option when the name is one, else a placeholder (uWSGI's `-S`). */
const set: ConfigHandler = (loader, entry) => {
  const [key, value] = keyValue(entry);
  if (!findOption(key)) loader.declaredPlaceholders.add(key);
  loader.add(key, value, derived(entry, entry.key), true);
};

/** `declare-option = name=opt1=$1;opt2=$2`: `name = A B` later applies opt1=A, opt2=B. */
const declareOption =
  (immediate: boolean): ConfigHandler =>
  (loader, entry) => {
    const [name, template] = keyValue(entry);
    loader.declared.set(name, { template, immediate });
  };

const openLogic =
  (name: string): ConfigHandler =>
  (loader, entry) =>
    loader.openLogic(name, entry.value, entry.origin);

const nothing: ConfigHandler = () => {};

const pluginContext = (loader: ConfigLoader, entry: ConfigEntry) => ({
  strict: loader.strict,
  where: formatOrigin(entry.origin),
  // printed at once, as uWSGI prints its "UNABLE to load" line: a later `exit` must not hide it
  warn: (w: ConfigWarning) => loader.host.log(`uwsgi-ts: warning: ${w.message}`),
});

const logicRows = Object.fromEntries(Object.keys(LOGIC_OPENERS).map((name) => [name, openLogic(name)]));

export const IMMEDIATE_HANDLERS: Readonly<Record<string, ConfigHandler>> = {
  ini: loadAs('ini'),
  yaml: loadAs('yaml'),
  json: (loader, entry) => {
    loader.loadConfig(entry.value, 'json', entry.origin);
    // uWSGI 2.0.21 cuts the section off the printed value for json only (observed:
    // `--json app.json:prod` prints `json = app.json`)
    entry.value = splitSection(entry.value).source;
  },
  xml: loadAs('xml'),
  config: loadAs(undefined),
  include: loadAs(undefined),
  set,
  'set-placeholder': setPlaceholder,
  'set-ph': setPlaceholder,
  'declare-option': declareOption(true),
  strict: (loader, entry) => {
    loader.strict =
      entry.value !== 'false' && entry.value !== 'off' && entry.value !== 'no' && entry.value !== '0';
  },
  ...logicRows,
  endfor: nothing,
  'end-for': nothing,
  endif: nothing,
  'end-if': nothing,
  end: nothing,
  iprint: (loader, entry) => loader.host.print(`${entry.value}\n`),
  'inject-before': (loader, entry) => {
    loader.injectBefore.push(entry.value);
  },
  'inject-after': (loader, entry) => {
    loader.injectAfter.push(entry.value);
  },
  // uWSGI loads a plugin when the option is read: a missing one is reported then (served-check.ts)
  plugins: (loader, entry) => checkPlugins('plugins', entry.value, pluginContext(loader, entry)),
  'need-plugins': (loader, entry) => checkPlugins('need-plugins', entry.value, pluginContext(loader, entry)),
  exit: (_loader, entry) => {
    const code = entry.value === '' || entry.value === 'true' ? 0 : Number.parseInt(entry.value, 10) || 0;
    throw new UwsgiError('ERR_CONFIG_EXIT', `exit requested at ${formatOrigin(entry.origin)}`, {
      exitCode: code,
    });
  },
};

export const CONFIGURE_HANDLERS: Readonly<Record<string, ConfigHandler>> = {
  // not immediate in uWSGI 2.0.21: its value is expanded first, then the option is declared
  'declare-option2': declareOption(false),
  inherit: loadAs(undefined),
  print: (loader, entry) => loader.host.print(`${entry.value}\n`),
};
