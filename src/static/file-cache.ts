// Static files kept in memory per worker, each hit checked against a fresh stat(2) of the path.
// Why: a first serving costs stat, open, readlink(/proc/self/fd), fstat, read and close (~40 µs for
// 4 KB measured on the shared 2-core box, more than the rest of the request), and copying a 1 MB
// file out of the page cache costs about twice what sending it from memory does (Node has no
// sendfile(2) for sockets); a hit costs the stat alone. A hit is the same inode (device and inode
// number) with the same size, mtime and ctime as the file that was verified inside its root and
// read, so a symlink swapped since, a rewrite, a rename or a chmod all miss and go through the full
// check again. Bounded: files up to CACHE_FILE_BYTES, CACHE_BUDGET_BYTES in all per worker, the
// oldest out first. bench/static-files.mjs measures it.

import type { Stats } from 'node:fs';

/** A file ready to answer: verified inside its root, with its body (small) or an open fd (large). */
export interface LoadedFile {
  readonly real: string;
  readonly size: number;
  /** mtime, whole seconds (Last-Modified, If-Modified-Since, -mtime Expires). */
  readonly mtimeS: number;
  readonly lastModified: string;
  /** The whole content of a small file; undefined for a large one (then `fd` is open). */
  readonly body: Buffer | undefined;
  /** An open descriptor to stream and close; -1 when `body` holds the content. */
  readonly fd: number;
  /** For a file read whole on its way out: gives the cache the body once read. */
  readonly keep?: (body: Buffer) => void;
}

/** Files up to this size are cached (and read whole); larger ones always stream from the file. */
export const CACHE_FILE_BYTES = 1024 * 1024;
/** Per worker: sixteen 1 MB files, or some thousands of small ones. */
export const CACHE_BUDGET_BYTES = 16 * 1024 * 1024;

interface Entry {
  /** The root the file was verified against (a hit must come through the same one). */
  readonly owner: object;
  readonly dev: number;
  readonly ino: number;
  readonly size: number;
  readonly mtimeMs: number;
  readonly ctimeMs: number;
  readonly file: LoadedFile;
}

export class FileCache {
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;

  constructor(private readonly budget = CACHE_BUDGET_BYTES) {}

  /** The cached file at `path` when `stats` (a stat of it now) says it has not changed. */
  get(path: string, stats: Stats, owner: object): LoadedFile | undefined {
    const e = this.entries.get(path);
    if (
      e === undefined ||
      e.owner !== owner ||
      e.ino !== stats.ino ||
      e.dev !== stats.dev ||
      e.size !== stats.size ||
      e.mtimeMs !== stats.mtimeMs ||
      e.ctimeMs !== stats.ctimeMs
    ) {
      return undefined;
    }
    return e.file;
  }

  /** Keeps a small file read through `path`; `stats` is the fstat of the descriptor it was read from. */
  put(path: string, stats: Stats, owner: object, file: LoadedFile): void {
    const body = file.body;
    if (body === undefined || body.length > CACHE_FILE_BYTES) return;
    this.delete(path);
    while (this.bytes + body.length > this.budget && this.entries.size > 0) {
      const oldest = this.entries.keys().next().value as string;
      this.delete(oldest);
    }
    this.entries.set(path, {
      owner,
      dev: stats.dev,
      ino: stats.ino,
      size: stats.size,
      mtimeMs: stats.mtimeMs,
      ctimeMs: stats.ctimeMs,
      file,
    });
    this.bytes += body.length;
  }

  get size(): number {
    return this.entries.size;
  }

  private delete(path: string): void {
    const e = this.entries.get(path);
    if (e === undefined) return;
    this.entries.delete(path);
    this.bytes -= e.file.body?.length ?? 0;
  }
}
