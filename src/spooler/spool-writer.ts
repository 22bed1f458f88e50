// Enqueueing (reference §8): a task becomes a spool file in its spooler directory (or its
// `priority` subdirectory), written under a temporary name, its mtime set to `at` when given, then
// renamed to its spool name: the rename is atomic, so a spooler never reads a half-written task
// (uWSGI locks the file with fcntl while it writes; a name outside `uwsgi_spoolfile_on_*` keeps
// both implementations away in the same way). Used by spool() in any process and by modifier1 17.

import { mkdirSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UwsgiError } from '../errors.js';
import { encodeSpoolFile } from '../protocol/spool-file.js';
import { spoolFileName, TEMP_PREFIX } from './spool-name.js';
import type { SpoolTargets } from './spooler-config.js';

export interface WrittenTask {
  readonly path: string;
  readonly bytes: number;
}

/**
 * Writes one task. `vars` in order; the special vars keep their uWSGI meaning: `spooler` (the
 * absolute directory, one of the targets), `priority` (a subdirectory), `at` (unix time, not run
 * before). Throws ERR_SPOOL_* (unknown spooler, bad priority or at, too big, not writable).
 */
export function writeSpoolTask(
  targets: SpoolTargets,
  vars: ReadonlyMap<string, Buffer>,
  body: Buffer | undefined,
): WrittenTask {
  const wanted = vars.get('spooler')?.toString('utf8');
  const dir = wanted ?? targets.dirs[0] ?? targets.external[0];
  if (
    dir === undefined ||
    (wanted !== undefined && !targets.dirs.includes(wanted) && !targets.external.includes(wanted))
  ) {
    throw new UwsgiError(
      'ERR_SPOOL_UNKNOWN_SPOOLER',
      wanted === undefined
        ? 'this instance has no spooler (spooler = DIR, or spooler-external = DIR)'
        : `unable to find spooler "${wanted}" (this instance has: ${[...targets.dirs, ...targets.external].join(', ') || 'none'})`,
    );
  }
  let target = dir;
  const priority = vars.get('priority')?.toString('utf8');
  if (priority !== undefined) {
    if (!/^[A-Za-z0-9_-]+$/.test(priority)) {
      throw new UwsgiError(
        'ERR_SPOOL_BAD_ARGUMENT',
        `spool(): priority "${priority.slice(0, 40)}" must be a plain directory name (uWSGI scans numbers only)`,
      );
    }
    target = join(dir, priority);
    // uWSGI creates the priority subdirectory 0777 (minus the umask)
    mkdirSync(target, { recursive: true, mode: 0o777 });
  }
  let at: number | undefined;
  const atRaw = vars.get('at')?.toString('utf8');
  if (atRaw !== undefined) {
    at = Math.trunc(Number(atRaw));
    if (!Number.isFinite(at) || at < 0) {
      throw new UwsgiError(
        'ERR_SPOOL_BAD_ARGUMENT',
        `spool(): at "${atRaw.slice(0, 40)}" is not a unix time`,
      );
    }
  }
  const data = encodeSpoolFile(vars, body);
  const name = spoolFileName(targets.hostname);
  const temp = join(target, `${TEMP_PREFIX}${name}`);
  const path = join(target, name);
  try {
    writeFileSync(temp, data, { flag: 'wx', mode: 0o600 });
    // uWSGI: the file's mtime is `at`; a spooler skips it while the mtime is in the future
    if (at !== undefined) utimesSync(temp, at, at);
    renameSync(temp, path);
  } catch (err) {
    rmSync(temp, { force: true });
    throw new UwsgiError('ERR_SPOOL_WRITE', `unable to write spool file ${path}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return { path, bytes: data.length };
}
