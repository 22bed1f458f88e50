// The config loader: uWSGI's "exported options" list and everything that feeds it (reference
// §3.1). Sources call `add()`; immediate options run at once (see immediate.ts); `configure()`
// then runs the $(), @(), %() passes over the rest and the configure-time options.

import { UwsgiError } from '../errors.js';
import { type ConfigFormat, formatOf, splitSection } from './config-path.js';
import { type DeclaredOption, expandDeclared } from './declared-option.js';
import { type ConfigEntry, formatOrigin, type Origin } from './entry.js';
import { evaluatePlaceholder, expandPass } from './expand.js';
import { CONFIGURE_HANDLERS, IMMEDIATE_HANDLERS } from './immediate.js';
import { LOGIC_CLOSERS, LOGIC_OPENERS, type LogicContext, type LogicOpener } from './logic.js';
import { fileMagic, type MagicHost, magicTable, substituteMagic } from './magic.js';
import { findOption } from './option-registry.js';
import { isPlainPath, readSource } from './read-source.js';
import { readIniSection } from './sources/ini.js';
import { readJsonSection } from './sources/json.js';
import { readYamlSection } from './sources/yaml.js';
import { parseFlag } from './value-kinds.js';

/** The world the loader reads from and writes to; injected so tests control it. */
export interface ConfigHost {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly magic: MagicHost;
  /** A log line (stderr in the CLI). */
  log(line: string): void;
  /** `print`/`iprint` output (stdout in the CLI). */
  print(text: string): void;
  hasPlugin(name: string): boolean;
}

/** A problem that does not stop the start, shown once at start-up. */
export interface ConfigWarning {
  readonly code: 'unknown-option' | 'not-supported' | 'missing-section' | 'plugin-not-found';
  readonly key: string;
  readonly message: string;
}

interface OpenLogic {
  readonly name: string;
  readonly opener: LogicOpener;
  readonly arg: string;
}

const DEFAULT_SECTION = 'uwsgi';
const MAX_DEPTH = 64;

export class ConfigLoader implements LogicContext {
  readonly entries: ConfigEntry[] = [];
  readonly warnings: ConfigWarning[] = [];
  /** Names defined with `declare-option(2)`, and their templates. */
  readonly declared = new Map<string, DeclaredOption>();
  /** Keys found by a `%()` lookup: an unknown key used so is a placeholder, not a typo. */
  readonly usedAsPlaceholder = new Set<string>();
  /** Keys defined through set / set-placeholder: placeholders on purpose. */
  readonly declaredPlaceholders = new Set<string>();
  strict = false;
  readonly injectBefore: string[] = [];
  readonly injectAfter: string[] = [];

  private readonly first = new Map<string, ConfigEntry>();
  private logic: OpenLogic | undefined;
  private logicRunning = false;
  private lastFile: { source: string; format: ConfigFormat } | undefined;
  private firstFileMagic: Map<string, string> | undefined;
  private depth = 0;

  constructor(readonly host: ConfigHost) {}

  get env(): Readonly<Record<string, string | undefined>> {
    return this.host.env;
  }
  get cwd(): string {
    return this.host.cwd;
  }
  get hostname(): string {
    return this.host.magic.hostname;
  }
  hasPlugin(name: string): boolean {
    return this.host.hasPlugin(name);
  }

  /** Whether the last occurrence of a flag option turns it on (before resolution). */
  lastFlag(name: string): boolean {
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const e = this.entries[i];
      if (e?.key === name) return parseFlag(e.value);
    }
    return false;
  }

  /** The value of the first exported option called `name` (uWSGI's placeholder rule). */
  firstValue(name: string): string | undefined {
    return this.first.get(name)?.value;
  }

  /** uWSGI's add_exported_option: route through an open logic block, else append and run if immediate. */
  add(key: string, value: string, origin: Origin, configured = false): void {
    const logic = this.logic;
    if (logic && !this.logicRunning) {
      if (LOGIC_CLOSERS.has(key)) {
        this.logic = undefined;
      } else {
        this.logicRunning = true;
        try {
          for (const each of logic.opener(logic.arg, this)) {
            this.add(key, each === undefined ? value : value.replaceAll('%(_)', each), origin);
          }
        } finally {
          this.logicRunning = false;
        }
        return;
      }
    }
    const entry: ConfigEntry = { key, value, origin, configured };
    this.entries.push(entry);
    if (!this.first.has(key)) this.first.set(key, entry);
    const spec = findOption(key);
    if (spec?.immediate) {
      entry.configured = true;
      const handler = IMMEDIATE_HANDLERS[spec.name];
      handler?.(this, entry);
      return;
    }
    const declared = spec ? undefined : this.declared.get(key);
    if (declared?.immediate) {
      entry.configured = true;
      this.runDeclared(entry, declared);
    }
  }

  /** Runs the config-level effects (print, include...) of what a declared option stands for. */
  private runDeclared(entry: ConfigEntry, declared: DeclaredOption): void {
    for (const [key, value] of expandDeclared(declared.template, entry.value)) {
      const spec = findOption(key);
      if (!spec) continue;
      const handler = IMMEDIATE_HANDLERS[spec.name] ?? CONFIGURE_HANDLERS[spec.name];
      handler?.(this, {
        key,
        value,
        origin: { kind: 'derived', from: entry.origin, why: `declared option ${entry.key}` },
        configured: true,
      });
    }
  }

  /** Opens a for/if block (called by the opener options' immediate handlers). */
  openLogic(name: string, arg: string, origin: Origin): void {
    const opener = LOGIC_OPENERS[name];
    if (!opener) return;
    if (this.logic || this.logicRunning) {
      throw new UwsgiError(
        'ERR_CONFIG_RECURSIVE_LOGIC',
        `recursive logic in options is not supported (option = ${name}, at ${formatOrigin(origin)})`,
      );
    }
    this.logic = { name, opener, arg };
  }

  /** A block left open at the end of the config is closed silently, as in uWSGI. */
  get openBlock(): string | undefined {
    return this.logic?.name;
  }

  /**
   * Reads a config file given as `path[:section]` (or `:section` for the last file again) in
   * `format`, or by its extension when `format` is undefined.
   */
  loadConfig(spec: string, format: ConfigFormat | undefined, origin: Origin): void {
    let { source, section } = splitSection(spec);
    let kind = format;
    if (source === '' && section !== undefined) {
      if (!this.lastFile) {
        throw new UwsgiError(
          'ERR_CONFIG_FILE_NOT_FOUND',
          `"${spec}" names a section but no config file was read before (${formatOrigin(origin)})`,
        );
      }
      source = this.lastFile.source;
      kind ??= this.lastFile.format;
    }
    kind ??= formatOf(spec);
    if (kind === undefined) {
      throw new UwsgiError(
        'ERR_CONFIG_UNKNOWN_FORMAT',
        `unable to load configuration from ${spec}: unknown extension (${formatOrigin(origin)})`,
      );
    }
    if (kind === 'xml') {
      throw new UwsgiError(
        'ERR_CONFIG_UNKNOWN_FORMAT',
        `xml config files are not supported by uwsgi-ts: ${spec} (${formatOrigin(origin)}); convert it to ini`,
      );
    }
    if (this.depth >= MAX_DEPTH) {
      throw new UwsgiError(
        'ERR_CONFIG_INCLUDE_DEPTH',
        `config files include each other more than ${MAX_DEPTH} deep at ${spec} (${formatOrigin(origin)})`,
      );
    }
    this.lastFile = { source, format: kind };
    let text: string;
    try {
      // a UTF-8 byte order mark is dropped (uWSGI keeps it and then misses the first section header)
      text = readSource(source, this.host.cwd).replace(/^\ufeff/, '');
    } catch (err) {
      if (err instanceof UwsgiError) {
        throw new UwsgiError(
          'ERR_CONFIG_FILE_NOT_FOUND',
          `${err.message} (config file named at ${formatOrigin(origin)})`,
          { cause: err },
        );
      }
      throw err;
    }
    this.host.log(`[uWSGI] getting ${kind.toUpperCase()} configuration from ${source}`);
    const fileVars = fileMagic(source, section ?? '', this.host.cwd);
    // a stdin/fd/exec source has no path: it never becomes "the first file" of %O %P... (observed: empty)
    const plain = isPlainPath(source);
    if (plain) this.firstFileMagic ??= fileVars;
    const raw =
      this.injectBefore.join('\n') +
      (this.injectBefore.length ? '\n' : '') +
      text +
      (this.injectAfter.length ? `\n${this.injectAfter.join('\n')}` : '');
    const expanded = substituteMagic(
      raw,
      magicTable(this.host.magic, fileVars, this.firstFileMagic ?? new Map()),
    );
    // `file.ini:` (empty section) reads the default one (observed)
    const wanted = section || DEFAULT_SECTION;
    const read =
      kind === 'ini'
        ? readIniSection(expanded, wanted)
        : kind === 'json'
          ? readJsonSection(expanded, wanted, source)
          : readYamlSection(expanded, wanted, source);
    if (!read.found) {
      throw new UwsgiError(
        'ERR_CONFIG_SECTION_NOT_FOUND',
        `can't find section "${wanted}" in ${kind} configuration file ${source} (${formatOrigin(origin)})`,
      );
    }
    this.depth++;
    try {
      for (const line of read.lines)
        this.add(line.key, line.value, { kind: 'file', path: source, line: line.line });
    } finally {
      this.depth--;
    }
  }

  /**
   * uwsgi_configure: expand the values of every option not yet applied, then apply the
   * configure-time ones (inherit, print...) in order. What `inherit` appends is applied in turn
   * but never expanded (observed: an inherited `%(name)` stays as written).
   */
  configure(): void {
    this.expandAll(this.entries.filter((e) => !e.configured));
    for (let i = 0; i < this.entries.length; i++) {
      const entry = this.entries[i];
      if (!entry || entry.configured) continue;
      entry.configured = true;
      const spec = findOption(entry.key);
      if (spec) CONFIGURE_HANDLERS[spec.name]?.(this, entry);
      else {
        const declared = this.declared.get(entry.key);
        if (declared) this.runDeclared(entry, declared);
      }
    }
  }

  private expandAll(pending: readonly ConfigEntry[]): void {
    const env = this.host.env;
    const readFile = (path: string) => readSource(path, this.host.cwd).replace(/[\n\r]$/, '');
    const lookup = (name: string): string | undefined => {
      const hit = this.first.get(name);
      if (hit) this.usedAsPlaceholder.add(name);
      return hit?.value;
    };
    const placeholder = (content: string) => evaluatePlaceholder(content, lookup);
    for (const [opener, resolver] of [
      ['$', (name: string) => env[name]],
      ['@', readFile],
      ['%', placeholder],
    ] as const) {
      for (const e of pending) {
        try {
          e.value = expandPass(e.value, opener, resolver);
        } catch (cause) {
          const why = cause instanceof Error ? cause.message : String(cause);
          throw new UwsgiError(
            'ERR_CONFIG_READ',
            `cannot expand option "${e.key}" (${formatOrigin(e.origin)}): ${why}`,
            { cause },
          );
        }
      }
    }
  }

  /** The block `--show-config` prints (reference §3; byte-identical to uWSGI 2.0.21). */
  showConfig(): string {
    let out = '\n;uWSGI instance configuration\n[uwsgi]\n';
    for (const e of this.entries) out += `${e.key} = ${e.value}\n`;
    return `${out};end of configuration\n\n`;
  }
}
