// Reading a verified file for its answer, and sending its bytes as a response body. Three sizes:
// a small file (up to SYNC_READ_BYTES) is read in one synchronous read and sent with one write;
// a medium one (up to CACHE_FILE_BYTES) is read whole by libuv's thread pool, sent, and handed
// to the cache; a large one streams from the thread pool with backpressure. The pool reads are
// what uWSGI's offload threads do: the event loop (the "worker") stays free while bytes move.
// Why whole reads: copying a file out of the page cache is most of what a 1 MB answer costs on
// Node (no sendfile(2) for sockets), and a cached body skips it (bench/static-files.mjs).

import { createReadStream, read, readSync, type Stats } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { pipeline } from 'node:stream';
import { httpDate } from './expires.js';
import { CACHE_FILE_BYTES, type LoadedFile } from './file-cache.js';
import { closeFile } from './open-file.js';

/** Files up to this size are read synchronously as they are opened (a few µs from the page cache). */
export const SYNC_READ_BYTES = 64 * 1024;

/** Larger reads for streamed files: fewer thread-pool round trips per megabyte. */
const STREAM_CHUNK_BYTES = 512 * 1024;

/**
 * The file behind an open descriptor, ready to answer: a small one read whole (and `fd` closed),
 * a larger one left open. undefined when the read fails (`fd` closed).
 */
export function loadOpened(fd: number, real: string, stats: Stats): LoadedFile | undefined {
  const size = stats.size;
  const mtimeS = Math.floor(stats.mtimeMs / 1000);
  const lastModified = httpDate(mtimeS);
  if (size > SYNC_READ_BYTES) return { real, size, mtimeS, lastModified, body: undefined, fd };
  const body = Buffer.allocUnsafe(size);
  let got = 0;
  try {
    while (got < size) {
      const n = readSync(fd, body, got, size - got, got);
      if (n === 0) break;
      got += n;
    }
  } catch {
    got = -1;
  } finally {
    closeFile(fd);
  }
  // the file shrank since fstat (or could not be read): nothing consistent to send
  if (got !== size) return undefined;
  return { real, size, mtimeS, lastModified, body, fd: -1 };
}

/** Closes what an answer without a body leaves open. */
export function releaseFile(file: LoadedFile): void {
  if (file.fd >= 0) closeFile(file.fd);
}

function onPipelineEnd(this: ServerResponse, err: Error | null | undefined): void {
  // the client went away, or the file could not be read: nothing more can be said on this response
  if (err) this.destroy();
}

function endWith(res: ServerResponse, body: Buffer, start: number, length: number): void {
  res.end(start === 0 && length === body.length ? body : body.subarray(start, start + length));
}

/** Reads `fd` whole into `body` from `at` on, through the thread pool; `done(ok)` once. */
function readWhole(fd: number, body: Buffer, at: number, done: (ok: boolean) => void): void {
  read(fd, body, at, body.length - at, at, (err, n) => {
    if (err || n === 0) done(false);
    else if (at + n >= body.length) done(true);
    else readWhole(fd, body, at + n, done);
  });
}

/**
 * Writes bytes `start..start+length-1` of the file as the body of `res` and ends it (HEAD: none).
 * A medium file's whole body, once read, goes to its `keep` (the cache).
 * @example sendFileBody(res, file, 0, file.size, false)
 */
export function sendFileBody(
  res: ServerResponse,
  file: LoadedFile,
  start: number,
  length: number,
  headOnly: boolean,
): void {
  const body = file.body;
  if (body !== undefined) {
    if (headOnly || length === 0) res.end();
    else endWith(res, body, start, length);
    return;
  }
  if (headOnly || length === 0) {
    closeFile(file.fd);
    res.end();
    return;
  }
  const fd = file.fd;
  if (file.size <= CACHE_FILE_BYTES) {
    const whole = Buffer.allocUnsafe(file.size);
    readWhole(fd, whole, 0, (ok) => {
      closeFile(fd);
      if (!ok) {
        res.destroy();
        return;
      }
      endWith(res, whole, start, length);
      file.keep?.(whole);
    });
    return;
  }
  const stream = createReadStream('', {
    fd,
    start,
    end: start + length - 1,
    autoClose: true,
    highWaterMark: STREAM_CHUNK_BYTES,
  });
  pipeline(stream, res, onPipelineEnd.bind(res));
}
