// One scan of a spool directory (reference §8): the `uwsgi_spoolfile_on_*` regular files, and the
// files of its numbered priority subdirectories. With spooler-ordered everything is in version
// order and a numbered directory is entered where it sorts (`1/`, `2/` before the top files, as
// the manual's example shows); without it the top files come first, in directory order, then the
// numbered subdirectories. (uWSGI scans priorities only when ordered; a task left unrun for that
// would be a trap, so we scan them either way.) Claims left by a spooler process that no longer
// exists are put back under their spool name, so a task is never lost to a crash.

import { type Dirent, readdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { parseClaim, SPOOL_PREFIX } from './spool-name.js';

export interface SpoolEntry {
  readonly dir: string;
  readonly name: string;
}

/** Numbers compare as numbers, the rest byte by byte (glibc's versionsort, for the names we meet). */
export function versionCompare(a: string, b: string): number {
  const re = /(\d+)|(\D+)/g;
  const pa = a.match(re) ?? [];
  const pb = b.match(re) ?? [];
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i] as string;
    const y = pb[i] as string;
    if (x === y) continue;
    const nx = /^\d/.test(x);
    const ny = /^\d/.test(y);
    if (nx && ny) {
      const d = x.length - y.length || (x < y ? -1 : 1);
      return d;
    }
    return x < y ? -1 : 1;
  }
  return pa.length - pb.length;
}

function read(dir: string): Dirent[] {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The files of one directory that are tasks; dead claims are restored on the way. */
function tasksIn(dir: string, entries: readonly Dirent[]): string[] {
  const names: string[] = [];
  for (const e of entries) {
    if (e.name.startsWith(SPOOL_PREFIX)) {
      if (e.isFile()) names.push(e.name);
      continue;
    }
    const claim = parseClaim(e.name);
    if (claim && claim.pid !== process.pid && !alive(claim.pid)) {
      try {
        renameSync(join(dir, e.name), join(dir, claim.name));
        names.push(claim.name);
      } catch {
        // another spooler restored it first
      }
    }
  }
  return names;
}

/** The tasks of `dir` in the order they are tried, and the priority directories seen. */
export function scanSpool(dir: string, ordered: boolean): { tasks: SpoolEntry[]; subdirs: string[] } {
  const entries = read(dir);
  const numbered = entries.filter((e) => e.isDirectory() && /^\d+$/.test(e.name)).map((e) => e.name);
  const top = tasksIn(dir, entries);
  const subdirs = numbered.map((n) => join(dir, n));
  if (!ordered) {
    const tasks: SpoolEntry[] = top.map((name) => ({ dir, name }));
    for (const sub of subdirs) for (const name of tasksIn(sub, read(sub))) tasks.push({ dir: sub, name });
    return { tasks, subdirs };
  }
  const tasks: SpoolEntry[] = [];
  const names = [...top, ...numbered].sort(versionCompare);
  const isDir = new Set(numbered);
  for (const name of names) {
    if (!isDir.has(name)) {
      tasks.push({ dir, name });
      continue;
    }
    const sub = join(dir, name);
    for (const task of tasksIn(sub, read(sub)).sort(versionCompare)) tasks.push({ dir: sub, name: task });
  }
  return { tasks, subdirs };
}
