// Opening a file the static server may send, and knowing what was really opened: the descriptor's
// own path (/proc/self/fd/N) is read after open(), so the containment check looks at the file that
// will be sent, not at a path a symlink swap could change in between (realpath() then open() would
// leave that window). O_NONBLOCK: a FIFO planted under a root must not hang the worker in open().
// Synchronous on purpose: a lookup is a few syscalls on local metadata, as in uWSGI's worker; a
// thrown ENOENT is avoided (stat first, throwIfNoEntry: false) since most lookups of check-static
// miss and an exception costs more than the syscall.

import {
  closeSync,
  constants,
  fstatSync,
  openSync,
  readlinkSync,
  realpathSync,
  type Stats,
  statSync,
} from 'node:fs';

const OPEN_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK;

export interface OpenedFile {
  readonly fd: number;
  /** The real path of what `fd` is (no symlink in it). */
  readonly real: string;
  readonly stats: Stats;
}

/** stat(2) following symlinks; undefined when the path does not exist or cannot be looked at. */
export function statPath(path: string): Stats | undefined {
  try {
    return statSync(path, { throwIfNoEntry: false });
  } catch {
    // ENOTDIR, EACCES, ENAMETOOLONG, ELOOP, a NUL byte: nothing to serve there
    return undefined;
  }
}

/** realpath(3); undefined when the path does not resolve. */
export function realPath(path: string): string | undefined {
  try {
    return realpathSync.native(path);
  } catch {
    return undefined;
  }
}

let procFd = true;

/** The real path of an open descriptor (realpath of `path` where /proc is not mounted). */
function descriptorPath(fd: number, path: string): string | undefined {
  if (procFd) {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      procFd = false;
    }
  }
  return realPath(path);
}

/** Opens `path` read-only; undefined when it cannot be opened. The caller closes `fd`. */
export function openFile(path: string): OpenedFile | undefined {
  let fd: number;
  try {
    fd = openSync(path, OPEN_FLAGS);
  } catch {
    return undefined;
  }
  try {
    const real = descriptorPath(fd, path);
    if (real === undefined) {
      closeSync(fd);
      return undefined;
    }
    return { fd, real, stats: fstatSync(fd) };
  } catch {
    closeSync(fd);
    return undefined;
  }
}

/** closeSync that never throws (the descriptor may already be gone with its stream). */
export function closeFile(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already closed
  }
}

/**
 * Whether `real` is `base` or inside it (a path-segment boundary: `/www` does not contain
 * `/www-private`).
 */
export function within(real: string, base: string): boolean {
  if (real === base) return true;
  if (!real.startsWith(base)) return false;
  return base.endsWith('/') || real.charCodeAt(base.length) === 47;
}
