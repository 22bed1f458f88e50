// Reads what a config path or an @() names: a plain file, `-` (stdin), `fd://N`, `exec://cmd`,
// `emperor://NAME` (the config an Emperor pushed).
// uWSGI's readable schemes are in reference §3.5; the ones that only make sense inside a C binary
// (`sym://`, `call://`, `data://`) are refused by name.

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { readEmperorConfig } from '../emperor/config-pipe.js';
import { UwsgiError } from '../errors.js';

const UNSUPPORTED_SCHEMES = [
  'sym://',
  'call://',
  'callint://',
  'data://',
  'section://',
  'http://',
  'https://',
];

/** The whole content named by `source`, as a string. Throws ERR_CONFIG_READ with the source named. */
export function readSource(source: string, cwd: string): string {
  try {
    if (source === '-') return readFileSync(0, 'utf8');
    if (source.startsWith('fd://')) {
      const fd = Number(source.slice(5));
      if (!Number.isInteger(fd) || fd < 0) throw new Error(`bad file descriptor "${source.slice(5)}"`);
      return readFileSync(fd, 'utf8');
    }
    if (source.startsWith('exec://')) {
      const run = spawnSync('/bin/sh', ['-c', source.slice(7)], {
        cwd,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      if (run.error) throw run.error;
      if (run.status !== 0) throw new Error(`command exited with status ${run.status ?? run.signal}`);
      return run.stdout;
    }
    // a vassal whose Emperor pushes its config (src/emperor/config-pipe.ts)
    if (source.startsWith('emperor://')) return readEmperorConfig(process.env);
    const scheme = UNSUPPORTED_SCHEMES.find((s) => source.startsWith(s));
    if (scheme) throw new Error(`the ${scheme} scheme is not supported by uwsgi-ts`);
    return readFileSync(resolve(cwd, source), 'utf8');
  } catch (cause) {
    const why =
      cause instanceof Error ? ((cause as NodeJS.ErrnoException).code ?? cause.message) : String(cause);
    throw new UwsgiError('ERR_CONFIG_READ', `cannot read "${source}": ${why}`, { cause });
  }
}

/** True when `source` names a plain file path (not stdin, not a scheme). */
export function isPlainPath(source: string): boolean {
  return source !== '-' && !/^[a-z]+:\/\//.test(source);
}
