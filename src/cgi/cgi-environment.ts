// The environment of a CGI script (RFC 3875 §4.1): the worker's own environment (a uWSGI CGI
// child inherits its worker's, so PATH reaches `#!/usr/bin/env` scripts and helpers), every var
// of the request as received, then the script meta-vars uWSGI sets (observed on 2.0.21:
// GATEWAY_INTERFACE, SCRIPT_NAME, SCRIPT_FILENAME, PATH_INFO, PATH_TRANSLATED, DOCUMENT_ROOT = the
// cgi directory, REDIRECT_STATUS=200 so php-cgi's force-redirect check passes), less `cgi-unset`.

import { VERSION } from '../version.js';
import type { CgiScript } from './cgi-resolve.js';

/**
 * Vars a client must not set in a script's environment: `Proxy:` becomes HTTP_PROXY, which many
 * HTTP libraries read as their proxy ("httpoxy", CVE-2016-5385).
 */
const CLIENT_FORBIDDEN = new Set(['HTTP_PROXY']);

/** A key or value execve() cannot carry (NUL), or a key that would split at `=`. */
function unfit(key: string, value: string): boolean {
  return key.includes('=') || key.includes('\0') || value.includes('\0');
}

export function cgiEnvironment(
  vars: ReadonlyMap<string, string>,
  script: CgiScript,
  unset: readonly string[],
  base: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) if (v !== undefined) env[k] = v;
  for (const [k, v] of vars) {
    if (CLIENT_FORBIDDEN.has(k) || unfit(k, v)) continue;
    env[k] = v;
  }
  env['GATEWAY_INTERFACE'] = 'CGI/1.1';
  env['SERVER_SOFTWARE'] = `uwsgi-ts/${VERSION}`;
  env['SCRIPT_NAME'] = script.scriptName;
  env['SCRIPT_FILENAME'] = script.filename;
  env['PATH_INFO'] = script.pathInfo;
  env['PATH_TRANSLATED'] = script.pathInfo === '' ? '' : `${script.translatedBase}${script.pathInfo}`;
  env['DOCUMENT_ROOT'] = script.documentRoot;
  env['REDIRECT_STATUS'] = '200';
  for (const name of unset) delete env[name];
  return env;
}
