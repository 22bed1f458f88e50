// The static-file part of a worker's plan (src/worker/plan.ts), computed by the master from the
// frozen Config (reference §2.7): the roots and maps in uWSGI's lookup order, index files, skipped
// extensions, static-safe paths, Expires and gzip rules, the mime files, honour-range and
// file-serve-mode. Regexps travel as source text (the plan crosses IPC) and are compiled here once
// so a bad one stops the start-up, naming its option and origin.

import { formatOrigin } from '../config/entry.js';
import type { Config, ResolvedOption } from '../config/resolve.js';
import { UwsgiError } from '../errors.js';
import { compilePcre } from '../routing/pcre.js';
import { DEFAULT_MIME_FILE } from './mime-types.js';

/** `static-map = /prefix=path` (appendUri false) or `static-map2` (the whole PATH_INFO is appended). */
export interface StaticMount {
  readonly prefix: string;
  readonly target: string;
  readonly appendUri: boolean;
}

/** What an Expires regexp is matched against: the file's real path, PATH_INFO or REQUEST_URI. */
export type ExpiresSubject = 'filename' | 'path-info' | 'uri';

/** `static-expires* = REGEXP SECONDS`: Expires is now (or the file's mtime) + seconds. */
export interface ExpiresRule {
  readonly subject: ExpiresSubject;
  readonly regexp: string;
  readonly seconds: number;
  readonly fromMtime: boolean;
}

/** `static-expires-type(-mtime) = TYPE=SECONDS`: by the mime type sent. */
export interface TypeExpiresRule {
  readonly type: string;
  readonly seconds: number;
  readonly fromMtime: boolean;
}

/** Which files have a `FILE.gz` twin worth looking for (reference §2.7 static-gzip*). */
export interface GzipRules {
  readonly all: boolean;
  /** static-gzip-dir / -prefix: the real path starts with one of these. */
  readonly prefixes: readonly string[];
  /** static-gzip-ext / -suffix: the real path ends with one of these. */
  readonly suffixes: readonly string[];
  /** static-gzip: a PCRE matching the real path. */
  readonly regexps: readonly string[];
}

/** file-serve-mode: send the file, or name it in a header for the front end to send. */
export type FileServeMode = 'direct' | 'x-sendfile' | 'x-accel-redirect';

export interface StaticPlan {
  /** check-static directories, in order. */
  readonly checkStatic: readonly string[];
  /** check-static-docroot: DOCUMENT_ROOT (from the front end) is a root too. */
  readonly checkDocroot: boolean;
  /** static-map entries, then static-map2 entries (uWSGI's order: observed). */
  readonly mounts: readonly StaticMount[];
  readonly index: readonly string[];
  readonly skipExt: readonly string[];
  readonly safe: readonly string[];
  /** In the order uWSGI tries the families: filename, path-info, uri (each plain before -mtime). */
  readonly expires: readonly ExpiresRule[];
  /** Plain before -mtime. */
  readonly typeExpires: readonly TypeExpiresRule[];
  readonly gzip: GzipRules;
  /** The files of the mime dictionary; undefined when uWSGI would build none (no such option set). */
  readonly mimeFiles: readonly string[] | undefined;
  readonly honourRange: boolean;
  readonly serveMode: FileServeMode;
  /** offload-threads as configured (README: Node streams files through libuv's pool anyway). */
  readonly offloadThreads: number;
}

/**
 * Options that make uWSGI 2.0.21 build its mime dictionary (observed with `${mime[PATH_INFO]}`:
 * `honour-range` and `offload-threads` do not, every other static option does).
 */
export const MIME_DICTIONARY_OPTIONS = [
  'check-static',
  'check-static-docroot',
  'static-map',
  'static-map2',
  'static-index',
  'static-skip-ext',
  'static-safe',
  'static-expires-type',
  'static-expires-type-mtime',
  'static-expires',
  'static-expires-mtime',
  'static-expires-uri',
  'static-expires-uri-mtime',
  'static-expires-path-info',
  'static-expires-path-info-mtime',
  'static-gzip',
  'static-gzip-all',
  'static-gzip-dir',
  'static-gzip-ext',
  'mimefile',
  'file-serve-mode',
] as const;

/** The options this module reads (listed in SERVED_OPTIONS). */
export const STATIC_OPTIONS = [...MIME_DICTIONARY_OPTIONS, 'honour-range', 'offload-threads'] as const;

/** file-serve-mode values; anything else serves the file itself, as 2.0.21 does (observed). */
const SERVE_MODES: Readonly<Record<string, FileServeMode>> = {
  'x-sendfile': 'x-sendfile',
  'x-accel-redirect': 'x-accel-redirect',
  nginx: 'x-accel-redirect',
};

const EXPIRES_OPTIONS = [
  ['static-expires', 'filename', false],
  ['static-expires-mtime', 'filename', true],
  ['static-expires-path-info', 'path-info', false],
  ['static-expires-path-info-mtime', 'path-info', true],
  ['static-expires-uri', 'uri', false],
  ['static-expires-uri-mtime', 'uri', true],
] as const;

function bad(option: string, o: ResolvedOption, why: string): UwsgiError {
  return new UwsgiError('ERR_CONFIG_BAD_VALUE', `${option} = ${o.raw}: ${why} (${formatOrigin(o.origin)})`);
}

function seconds(option: string, o: ResolvedOption, text: string): number {
  const trimmed = text.trim();
  if (!/^\d+$/.test(trimmed)) throw bad(option, o, `"${trimmed}" is not a number of seconds`);
  return Number(trimmed);
}

function regexp(option: string, o: ResolvedOption, source: string): string {
  try {
    compilePcre(source);
  } catch (err) {
    throw new UwsgiError(
      'ERR_CONFIG_BAD_VALUE',
      `${option} = ${o.raw}: bad regexp (${err instanceof Error ? err.message : String(err)}) (${formatOrigin(o.origin)})`,
      { cause: err },
    );
  }
  return source;
}

function mounts(config: Config, option: 'static-map' | 'static-map2'): StaticMount[] {
  return config.all(option).map((o) => {
    const value = String(o.value);
    const eq = value.indexOf('=');
    if (eq <= 0) throw bad(option, o, 'expected /mountpoint=path');
    return { prefix: value.slice(0, eq), target: value.slice(eq + 1), appendUri: option === 'static-map2' };
  });
}

const strings = (config: Config, name: Parameters<Config['all']>[0]) =>
  config.all(name).map((o) => String(o.value));

/**
 * The static part of a worker's plan; undefined when no static option is set (the worker then
 * builds nothing and the request path pays one comparison).
 * @example staticPlan(config)?.checkStatic // ['/var/www']
 */
export function staticPlan(config: Config): StaticPlan | undefined {
  const wantsMime = MIME_DICTIONARY_OPTIONS.some((name) => config.all(name).length > 0);
  const honourRange = config.value('honour-range') === true;
  if (!wantsMime && !honourRange) return undefined;
  const expires: ExpiresRule[] = [];
  for (const [option, subject, fromMtime] of EXPIRES_OPTIONS) {
    for (const o of config.all(option)) {
      const value = String(o.value);
      const space = value.lastIndexOf(' ');
      if (space <= 0) throw bad(option, o, 'expected REGEXP SECONDS');
      expires.push({
        subject,
        regexp: regexp(option, o, value.slice(0, space)),
        seconds: seconds(option, o, value.slice(space + 1)),
        fromMtime,
      });
    }
  }
  const typeExpires: TypeExpiresRule[] = [];
  for (const [option, fromMtime] of [
    ['static-expires-type', false],
    ['static-expires-type-mtime', true],
  ] as const) {
    for (const o of config.all(option)) {
      const value = String(o.value);
      const eq = value.indexOf('=');
      if (eq <= 0) throw bad(option, o, 'expected TYPE=SECONDS');
      typeExpires.push({
        type: value.slice(0, eq),
        seconds: seconds(option, o, value.slice(eq + 1)),
        fromMtime,
      });
    }
  }
  const mimeFiles = strings(config, 'mimefile');
  return {
    checkStatic: strings(config, 'check-static'),
    checkDocroot: config.value('check-static-docroot') === true,
    mounts: [...mounts(config, 'static-map'), ...mounts(config, 'static-map2')],
    index: strings(config, 'static-index'),
    skipExt: strings(config, 'static-skip-ext'),
    safe: strings(config, 'static-safe'),
    expires,
    typeExpires,
    gzip: {
      all: config.value('static-gzip-all') === true,
      prefixes: strings(config, 'static-gzip-dir'),
      suffixes: strings(config, 'static-gzip-ext'),
      regexps: config.all('static-gzip').map((o) => regexp('static-gzip', o, String(o.value))),
    },
    mimeFiles: wantsMime ? (mimeFiles.length > 0 ? mimeFiles : [DEFAULT_MIME_FILE]) : undefined,
    honourRange,
    serveMode: SERVE_MODES[String(config.value('file-serve-mode') ?? '')] ?? 'direct',
    offloadThreads: config.value('offload-threads'),
  };
}

/** The plan of a worker whose config sets no static option (the routing offloads still serve files). */
export const NO_STATIC: StaticPlan = Object.freeze({
  checkStatic: [],
  checkDocroot: false,
  mounts: [],
  index: [],
  skipExt: [],
  safe: [],
  expires: [],
  typeExpires: [],
  gzip: { all: false, prefixes: [], suffixes: [], regexps: [] },
  mimeFiles: undefined,
  honourRange: false,
  serveMode: 'direct',
  offloadThreads: 0,
});
