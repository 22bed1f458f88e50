// The whole pipeline of reference §3.1 in order: environment, argv options, positional config
// files, the expansion passes, then resolution into a frozen Config.

import { readFileSync, realpathSync } from 'node:fs';
import { cpus, hostname, userInfo } from 'node:os';
import { VERSION } from '../version.js';
import { type ConfigHost, ConfigLoader } from './loader.js';
import type { MagicHost } from './magic.js';
import { type Config, resolveConfig } from './resolve.js';
import { readArgv } from './sources/argv.js';
import { envOptions } from './sources/env.js';

/** Options of ours that steer the CLI itself and are not part of the printed configuration. */
export const CLI_ONLY_OPTIONS: ReadonlySet<string> = new Set(['dry-run']);

export interface Loaded {
  readonly config: Config;
  readonly loader: ConfigLoader;
}

/** Read and expand everything, then resolve (which checks values and unknown keys). */
export function loadConfig(argv: readonly string[], host: ConfigHost): Loaded {
  const loader = readConfig(argv, host);
  return { config: resolveConfig(loader), loader };
}

/** Steps 1-5 of reference §3.1: the exported-options list, expanded, before any check. */
export function readConfig(argv: readonly string[], host: ConfigHost): ConfigLoader {
  const loader = new ConfigLoader(host);
  for (const { key, value, name } of envOptions(host.env)) loader.add(key, value, { kind: 'env', name });
  const positional = readArgv(
    argv,
    (name) => loader.declared.has(name),
    (o) => {
      if (!CLI_ONLY_OPTIONS.has(o.key))
        loader.add(o.key, o.value, { kind: 'argv', index: o.index, flag: o.flag });
    },
  );
  for (const p of positional) {
    // uWSGI skips arguments starting with `[` (reference §3.1 step 2)
    if (p.value.startsWith('[')) continue;
    loader.loadConfig(p.value, undefined, { kind: 'argv', index: p.index, flag: p.value });
  }
  loader.configure();
  return loader;
}

/** getgrgid for %G: Node has none, so read /etc/group; the number when there is no entry. */
function groupName(gid: number): string {
  try {
    for (const line of readFileSync('/etc/group', 'utf8').split('\n')) {
      const [name, , id] = line.split(':');
      if (name && id === String(gid)) return name;
    }
  } catch {
    // no /etc/group: fall through
  }
  return String(gid);
}

/** The real process as a MagicHost. */
export function processMagicHost(cwd = process.cwd()): MagicHost {
  const user = (() => {
    try {
      return userInfo();
    } catch {
      return { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0, username: '' };
    }
  })();
  const uid = process.getuid?.() ?? user.uid;
  const gid = process.getgid?.() ?? user.gid;
  const now = BigInt(Date.now()) * 1000n;
  return {
    cwd,
    hostname: hostname(),
    cores: cpus().length,
    uid,
    user: user.username,
    gid,
    group: groupName(gid),
    startMicros: now,
    version: VERSION,
    binary: binaryPath(),
  };
}

/** %b: the uwsgi-ts script that is running (uWSGI prints its own binary). */
function binaryPath(): string {
  const script = process.argv[1];
  if (!script) return process.execPath;
  try {
    return realpathSync(script);
  } catch {
    return script;
  }
}
