// When the master owns the log, a worker's stdout and stderr and its request-log pipe (fd 4) are
// pipes the master reads (uWSGI's log-master dup2()s a socketpair onto the worker's fds 1 and 2,
// with a second one for request lines). Chunks are cut at newlines so a line never straddles a
// rotation; a worker's pipes are read to their end after it exits, so no line is lost. Otherwise
// the worker writes its log itself (the logto file or the master's stderr, inherited). Either way
// fd 5 is the pipe of the worker's harakiri watchdog (src/worker/harakiri-watchdog.ts).

import { fstatSync, writeSync } from 'node:fs';
import type { Readable } from 'node:stream';
import type { LogSink } from './log-sink.js';
import { REQUEST_LOG_FD } from './request-log.js';

/**
 * The spawn `stdio` of a worker whose log the master reads: stdout, stderr, ipc, request log,
 * watchdog.
 */
export const PIPED_WORKER_STDIO = ['ignore', 'pipe', 'pipe', 'ipc', 'pipe', 'pipe'] as const;

/** The spawn `stdio` of a worker that writes its log to `log` itself: no fd 4, the watchdog's fd 5. */
export function ownLogWorkerStdio(log: 'inherit' | number) {
  return ['ignore', log, log, 'ipc', 'ignore', 'pipe'] as const;
}

/** The stdio index (and the worker's fd) of the harakiri watchdog's pipe (WATCHDOG_FD). */
const WATCHDOG_STDIO = 5;

/** A line longer than this without a newline is written as it is (a runaway print). */
const MAX_PARTIAL = 64 * 1024;

/** What the reader needs of a child process (a ChildProcess fits). */
export interface PipedChild {
  readonly stdio: ReadonlyArray<unknown>;
  once(event: 'exit', listener: () => void): unknown;
}

const NEWLINE = Buffer.from('\n');

/**
 * Cuts a pipe's bytes at the last newline of what has arrived: complete lines are delivered as
 * bytes (a UTF-8 character never straddles a newline), the rest waits for the next chunk.
 */
function readLines(stream: Readable, deliver: (block: Buffer) => void): void {
  let partial: Buffer | undefined;
  stream.on('data', (chunk: Buffer) => {
    const data = partial ? Buffer.concat([partial, chunk]) : chunk;
    const last = data.lastIndexOf(0x0a);
    if (last < 0) {
      partial = data;
      if (partial.length > MAX_PARTIAL) {
        deliver(Buffer.concat([partial, NEWLINE]));
        partial = undefined;
      }
      return;
    }
    // a copy: the chunk's memory is not ours to keep
    partial = last + 1 < data.length ? Buffer.from(data.subarray(last + 1)) : undefined;
    deliver(data.subarray(0, last + 1));
  });
  stream.on('end', () => {
    if (partial) deliver(Buffer.concat([partial, NEWLINE]));
    partial = undefined;
  });
  stream.on('error', () => {
    // the worker died in the middle of a write: what was read is kept
  });
}

/**
 * Reads a spawned worker's stdout and stderr (what the app prints, written as it is: uWSGI puts
 * no log-date before a print()) and its request-log pipe into the sink. The worker's own lines
 * come over IPC (log-master) and are prefixed by the master.
 */
export function readWorkerOutput(child: PipedChild, sink: LogSink): void {
  const [, stdout, stderr, , requests] = child.stdio as ReadonlyArray<Readable | null | undefined>;
  const streams = [stdout, stderr, requests].filter((s): s is Readable => !!s);
  if (stdout) readLines(stdout, (block) => sink.lines(block, false));
  if (stderr) readLines(stderr, (block) => sink.lines(block, false));
  if (requests) readLines(requests, (block) => sink.requests(block));
  child.once('exit', () => {
    // a grandchild may hold the pipes open: read what is there, then let go
    const timer = setTimeout(() => {
      for (const s of streams) s.destroy();
    }, 2000);
    timer.unref();
  });
}

export { REQUEST_LOG_FD };

/**
 * Reads the harakiri watchdog's reports of a spawned worker (one JSON line each, rare: only a
 * blocked event loop writes one) and delivers them parsed, as if they were IPC messages; the
 * receiver checks them as it checks IPC (isWorkerMessage).
 */
export function readWatchdogReports(child: PipedChild, deliver: (message: unknown) => void): void {
  const stream = child.stdio[WATCHDOG_STDIO] as Readable | null | undefined;
  if (!stream) return;
  readLines(stream, (block) => {
    for (const line of block.toString('utf8').split('\n')) {
      if (line === '') continue;
      try {
        deliver(JSON.parse(line));
      } catch {
        // not JSON: not a report
      }
    }
  });
  child.once('exit', () => {
    const timer = setTimeout(() => stream.destroy(), 2000);
    timer.unref();
  });
}

/**
 * How a worker that writes its own log writes it: straight to fd 2 when that is a regular file
 * (logto, daemonize: opened O_APPEND, so every write, a whole batch of lines, lands whole at the
 * end, as uWSGI's workers write the shared log fd), else through process.stderr (a pipe or a
 * TTY). process.stderr on a file is a synchronous stream too, but its Writable machinery cost
 * ~2% of a worker's time with a line per request.
 */
export function ownLogWriter(): (text: string) => void {
  if (!stderrIsFile()) return (text) => void process.stderr.write(text);
  return (text) => {
    try {
      const written = writeSync(2, text);
      // a regular file takes a write whole unless the disk is full: then the rest, as bytes
      if (written !== text.length && written < Buffer.byteLength(text)) {
        const bytes = Buffer.from(text, 'utf8');
        for (let at = written; at < bytes.length; ) at += writeSync(2, bytes, at);
      }
    } catch {
      // the disk is full or the file gone: the line is lost, as process.stderr would lose it
    }
  };
}

/**
 * The same log for bytes (the request log's batches: no round trip through a string), or
 * undefined when fd 2 is not a regular file (then the text writer's stream takes them).
 */
export function ownLogBytesWriter(): ((bytes: Uint8Array) => void) | undefined {
  if (!stderrIsFile()) return undefined;
  return (bytes) => {
    try {
      for (let at = 0; at < bytes.length; ) at += writeSync(2, bytes, at);
    } catch {
      // the disk is full or the file gone: as above
    }
  };
}

function stderrIsFile(): boolean {
  try {
    return fstatSync(2).isFile();
  } catch {
    return false;
  }
}
