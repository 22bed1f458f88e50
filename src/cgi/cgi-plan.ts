// The CGI part of a worker's plan, computed by the master from the frozen Config (uWSGI's cgi
// plugin options, seed manual "Running CGI scripts on uWSGI"): where scripts live, which run
// through a helper, the index scripts, the allowed extensions and the limits. It crosses IPC, so
// it is plain data; the worker resolves each request against it (cgi-resolve.ts).

import { resolve } from 'node:path';
import type { Config } from '../config/resolve.js';
import { UwsgiError } from '../errors.js';

/** `cgi = [MOUNTPOINT=]PATH`: a directory of scripts, or one script, under a URL prefix. */
export interface CgiMount {
  /** '' (every path) or `/prefix` without a trailing slash. */
  readonly mountpoint: string;
  /** Absolute path of the directory or the script. */
  readonly path: string;
}

/** `cgi-helper = .EXT=COMMAND`: scripts ending in EXT run as `COMMAND [ARGS...] SCRIPT`. */
export interface CgiHelper {
  /** Lower case, dot included (extension comparison is not case sensitive: the manual). */
  readonly ext: string;
  /** The program and its arguments (split on blanks; never a shell). */
  readonly argv: readonly string[];
}

export interface CgiPlan {
  readonly mounts: readonly CgiMount[];
  readonly helpers: readonly CgiHelper[];
  readonly index: readonly string[];
  /** Lower case; empty = every extension. */
  readonly allowedExt: readonly string[];
  /** Real paths a script may resolve under besides its own directory (`cgi-safe`). */
  readonly safe: readonly string[];
  /** Vars removed from the script's environment (`cgi-unset`). */
  readonly unset: readonly string[];
  readonly timeoutS: number;
  /** The most bytes a script's header block may take (`cgi-buffer-size`). */
  readonly bufferSize: number;
  /** `cgi-from-docroot`: the request's DOCUMENT_ROOT is the script directory. */
  readonly fromDocroot: boolean;
  /** `cgi-path-info` (uWSGI: "disable PATH_INFO management"): no script/PATH_INFO split. */
  readonly noPathInfo: boolean;
  /** `cgi-close-stdin-on-eof`: the script's stdin ends with the request body. */
  readonly closeStdinOnEof: boolean;
  /** `cgi-do-not-kill-on-error`: a script whose client left runs on (until cgi-timeout). */
  readonly keepOnError: boolean;
}

/** `[MOUNTPOINT=]PATH`: a mountpoint starts with `/` and comes before the first `=`. */
export function parseCgiMount(value: string, cwd: string): CgiMount {
  const eq = value.indexOf('=');
  const hasMount = eq > 0 && value.startsWith('/');
  const mount = hasMount ? value.slice(0, eq).replace(/\/+$/, '') : '';
  const path = hasMount ? value.slice(eq + 1) : value;
  return { mountpoint: mount, path: resolve(cwd, path) };
}

/** `.EXT=COMMAND`; the leading dot is optional, as in uWSGI's own examples both are seen. */
export function parseCgiHelper(value: string): CgiHelper {
  const eq = value.indexOf('=');
  const command = eq < 0 ? '' : value.slice(eq + 1).trim();
  if (eq <= 0 || command === '') {
    throw new UwsgiError('ERR_CONFIG_BAD_VALUE', `cgi-helper "${value}": expected .EXT=COMMAND`);
  }
  const ext = value.slice(0, eq).trim().toLowerCase();
  return { ext: ext.startsWith('.') ? ext : `.${ext}`, argv: command.split(/\s+/) };
}

function dotted(ext: string): string {
  const lower = ext.trim().toLowerCase();
  return lower.startsWith('.') ? lower : `.${lower}`;
}

/** The plan, or undefined when neither `cgi` nor `cgi-from-docroot` is set. */
export function cgiPlan(c: Config, cwd = process.cwd()): CgiPlan | undefined {
  const mounts = c.all('cgi').map((o) => parseCgiMount(String(o.value), cwd));
  const fromDocroot = c.value('cgi-from-docroot') === true;
  if (mounts.length === 0 && !fromDocroot) return undefined;
  return {
    mounts,
    helpers: c.all('cgi-map-helper').map((o) => parseCgiHelper(String(o.value))),
    index: c.all('cgi-index').map((o) => String(o.value)),
    allowedExt: c.all('cgi-allowed-ext').map((o) => dotted(String(o.value))),
    safe: c.all('cgi-safe').map((o) => resolve(cwd, String(o.value))),
    unset: c.all('cgi-unset').map((o) => String(o.value)),
    timeoutS: Number(c.value('cgi-timeout')),
    bufferSize: Number(c.value('cgi-buffer-size')),
    fromDocroot,
    noPathInfo: c.value('cgi-path-info') === true,
    closeStdinOnEof: c.value('cgi-close-stdin-on-eof') === true,
    keepOnError: c.value('cgi-do-not-kill-on-error') === true,
  };
}
