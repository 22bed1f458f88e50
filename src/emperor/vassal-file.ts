// What a monitor finds: one vassal config, by name, with what the Emperor compares between scans
// (its mtime) and runs it as (its owner, for tyrant mode). The extension table is uWSGI's list of
// valid vassals and the config flag each is given with (reference §6.3).

import { lstatSync, type Stats, statSync } from 'node:fs';
import { basename, dirname, extname } from 'node:path';

export interface VassalFile {
  /** The vassal's id: its file name (`a.ini`), unique across the monitors. */
  readonly name: string;
  readonly path: string;
  /** The monitor's directory: the vassal's cwd. */
  readonly dir: string;
  /** The config flag the vassal is started with (`--ini`). */
  readonly flag: string;
  readonly mtimeMs: number;
  readonly uid: number;
  readonly gid: number;
  /** The monitor that found it (emperor-stats `monitor`). */
  readonly monitor: string;
  /** The config text when the monitor holds it (pg://): pushed over UWSGI_EMPEROR_FD_CONFIG. */
  readonly config?: string;
}

/** uWSGI's valid vassal extensions and the flag each is loaded with. */
export const VASSAL_EXTENSIONS: Readonly<Record<string, string>> = {
  '.ini': '--ini',
  '.xml': '--xml',
  '.yml': '--yaml',
  '.yaml': '--yaml',
  '.json': '--json',
  '.js': '--json',
};

export interface ScanRules {
  /** `emperor-extra-extension`: loaded with `--config`. */
  readonly extra: readonly string[];
  /** `emperor-nofollow`: a symlink's own mtime, not its target's. */
  readonly nofollow: boolean;
}

/** The vassal at `path`, or undefined when it is not a vassal (extension, too long, gone). */
export function vassalFile(path: string, monitor: string, rules: ScanRules): VassalFile | undefined {
  const name = basename(path);
  // uWSGI: a vassal name must fit in 255 bytes with its terminator
  if (Buffer.byteLength(name) >= 255) return undefined;
  const ext = extname(name);
  const flag = VASSAL_EXTENSIONS[ext] ?? (rules.extra.some((e) => name.endsWith(e)) ? '--config' : undefined);
  if (!flag) return undefined;
  let st: Stats;
  try {
    st = rules.nofollow ? lstatSync(path) : statSync(path);
  } catch {
    return undefined;
  }
  if (!st.isFile() && !st.isSymbolicLink()) return undefined;
  return { name, path, dir: dirname(path), flag, mtimeMs: st.mtimeMs, uid: st.uid, gid: st.gid, monitor };
}
