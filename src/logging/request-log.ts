// The worker side of the request log: whether a finished request is logged (uWSGI's
// log_request(): `disable-logging` and the log-4xx/5xx/zero/slow/big/ioerror exceptions), its
// line (uWSGI's default line, reference §9, or the compiled `log-format`) and where the line goes
// (the worker's own log, or the request-log pipe the master reads when it owns the log).
//   [pid: P|app: A|req: R/T] ADDR (USER) {N vars in B bytes} [CTIME] METHOD URI => generated X bytes
//   in T msecs (PROTO STATUS) H headers in HB bytes (1 switches on core C)

import { writeSync } from 'node:fs';
import { ctime } from './ctime.js';
import { ascii, LineBuffer } from './line-buffer.js';
import { compileLogFormat } from './log-format.js';
import { memoryUsage, type RequestFacts } from './request-facts.js';

export { ctime } from './ctime.js';
export type { RequestFacts } from './request-facts.js';

/** The file descriptor of a worker's request-log pipe when the master owns the log (spawn stdio). */
export const REQUEST_LOG_FD = 4;

/** The request-log part of a worker's plan, computed once by the master from the config. */
export interface RequestLogSettings {
  /** Every request is logged (no `disable-logging`). */
  readonly all: boolean;
  /** `log-micros`: the default line reports microseconds. */
  readonly micros: boolean;
  /** `log-format`; undefined: uWSGI's default line. */
  readonly format: string | undefined;
  /** What `%(ftime)` prints (`logformat-strftime` with a `log-date` format); undefined: ltime. */
  readonly ftime: string | undefined;
  /** `log-x-forwarded-for`: the client address is the X-Forwarded-For header when present. */
  readonly xForwardedFor: boolean;
  /** `memory-report`: the default line starts with the worker's address space and rss. */
  readonly memoryReport: boolean;
  /** With `disable-logging`, the requests still logged (0 / false = that test is off). */
  readonly when: {
    readonly status4xx: boolean;
    readonly status5xx: boolean;
    readonly zero: boolean;
    readonly slowMs: number;
    readonly bigBytes: number;
    readonly ioError: boolean;
  };
  /** Request lines are written to REQUEST_LOG_FD, a pipe the master reads (it owns the log). */
  readonly toMaster: boolean;
}

/** What the dispatcher logs: the facts, and REMOTE_USER when it is known without the vars. */
export interface LoggedRequest extends RequestFacts {
  /** undefined: read REMOTE_USER from `vars` (an HTTP request's vars are built only if read). */
  readonly remoteUser?: string | undefined;
}

/** uWSGI's default request line. */
export function formatDefaultLine(r: LoggedRequest, micros: boolean): string {
  const time = micros ? `${r.elapsedMicros} micros` : `${Math.floor(r.elapsedMicros / 1000)} msecs`;
  const reqs = r.appRequests === 0 ? -1 : r.appRequests;
  const user = r.remoteUser ?? r.vars.get('REMOTE_USER') ?? '';
  return `[pid: ${r.pid}|app: ${r.appId}|req: ${reqs}/${r.workerRequests}] ${r.remoteAddr} (${user}) {${r.varCount} vars in ${r.varBytes} bytes} [${ctime(r.startMs)}] ${r.method} ${r.uri} => generated ${r.bodyBytes} bytes in ${time} (${r.protocol} ${r.status}) ${r.headerCount} headers in ${r.headerBytes} bytes (1 switches on core ${r.core})\n`;
}

/** `--memory-report`'s prefix of the default line. */
function memoryPrefix(): string {
  const { vsz, rss } = memoryUsage();
  const mb = (n: number) => Math.floor(n / 1024 / 1024);
  return `{address space usage: ${vsz} bytes/${mb(vsz)}MB} {rss usage: ${rss} bytes/${mb(rss)}MB} `;
}

// The constant parts of the default line, encoded once.
const PID = ascii('[pid: ');
const APP = ascii('|app: ');
const REQ = ascii('|req: ');
const SLASH = ascii('/');
const CLOSE_SP = ascii('] ');
const SP_OPEN = ascii(' (');
const USER_END = ascii(') {');
const VARS_IN = ascii(' vars in ');
const BYTES_TIME = ascii(' bytes} [');
const SP = ascii(' ');
const GENERATED = ascii(' => generated ');
const BYTES_IN = ascii(' bytes in ');
const MICROS = ascii(' micros (');
const MSECS = ascii(' msecs (');
const STATUS_END = ascii(') ');
const HEADERS_IN = ascii(' headers in ');
const CORE = ascii(' bytes (1 switches on core ');
const END = ascii(')\n');

/** formatDefaultLine() written as bytes into `out` (the same bytes; no string is built). */
export function writeDefaultLine(out: LineBuffer, r: LoggedRequest, micros: boolean): void {
  out.bytes(PID);
  out.int(r.pid);
  out.bytes(APP);
  out.int(r.appId);
  out.bytes(REQ);
  out.int(r.appRequests === 0 ? -1 : r.appRequests);
  out.bytes(SLASH);
  out.int(r.workerRequests);
  out.bytes(CLOSE_SP);
  out.text(r.remoteAddr);
  out.bytes(SP_OPEN);
  out.text(r.remoteUser ?? r.vars.get('REMOTE_USER') ?? '');
  out.bytes(USER_END);
  out.int(r.varCount);
  out.bytes(VARS_IN);
  out.int(r.varBytes);
  out.bytes(BYTES_TIME);
  out.text(ctime(r.startMs));
  out.bytes(CLOSE_SP);
  out.text(r.method);
  out.bytes(SP);
  out.text(r.uri);
  out.bytes(GENERATED);
  out.int(r.bodyBytes);
  out.bytes(BYTES_IN);
  if (micros) {
    out.int(r.elapsedMicros);
    out.bytes(MICROS);
  } else {
    out.int(Math.floor(r.elapsedMicros / 1000));
    out.bytes(MSECS);
  }
  out.text(r.protocol);
  out.bytes(SP);
  out.int(r.status);
  out.bytes(STATUS_END);
  out.int(r.headerCount);
  out.bytes(HEADERS_IN);
  out.int(r.headerBytes);
  out.bytes(CORE);
  out.int(r.core);
  out.bytes(END);
}

/**
 * Request lines are written once per event-loop turn: under load a turn finishes several
 * requests, and one write (one syscall, one wakeup of the master) carries all their lines
 * (measured: 59 us of CPU per logged request through the master instead of 67 us line by line).
 * They are also formatted then, one after the other: formatting each line as its request ended,
 * between the HTTP code of two requests, cost 3-5 µs more per request under load (the formatting
 * code was evicted from the CPU caches every time; bench/ops-overhead.mjs). The facts read the
 * finished request and response, which do not change in the meantime. What is pending is written
 * at exit too; only a SIGKILL (harakiri) loses the lines of the worker's last turn.
 */
class LineBatch {
  private readonly buffer = new LineBuffer();
  private pending: LoggedRequest[] = [];
  private scheduled = false;
  private readonly flushBound = () => this.flush();

  constructor(
    private readonly format: (out: LineBuffer, r: LoggedRequest) => void,
    private readonly out: (bytes: Buffer) => void,
  ) {
    process.on('exit', this.flushBound);
  }

  add(facts: LoggedRequest): void {
    this.pending.push(facts);
    if (this.pending.length >= FLUSH_AT) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flushBound);
    }
  }

  flush(): void {
    this.scheduled = false;
    const pending = this.pending;
    if (pending.length === 0) return;
    this.pending = [];
    const buffer = this.buffer;
    for (const facts of pending) this.format(buffer, facts);
    // the view is only valid until the next line: every sink writes it synchronously
    this.out(buffer.take());
  }
}

/** Lines per write at most (a turn that finishes more writes more than once). */
const FLUSH_AT = 256;

/** The pipe is blocking: the worker waits while the master is behind rather than drop a line. */
function writeToMaster(bytes: Buffer): void {
  try {
    for (let at = 0; at < bytes.length; ) at += writeSync(REQUEST_LOG_FD, bytes, at);
  } catch {
    // the master is gone: the worker exits on 'disconnect'
  }
}

/** One per worker: decides, formats and writes the line of each finished request. */
export class RequestLog {
  readonly settings: RequestLogSettings;
  /** The client address is read from X-Forwarded-For first. */
  readonly xForwardedFor: boolean;
  private readonly batch: LineBatch;
  private readonly filtered: boolean;

  /**
   * `log` is the worker's own log (used unless the master reads request lines from a pipe);
   * `logBytes` the same log taking bytes, when it can (a file: no string is made of a batch).
   */
  constructor(
    settings: RequestLogSettings,
    log: (line: string) => void,
    logBytes?: (bytes: Uint8Array) => void,
  ) {
    this.settings = settings;
    this.xForwardedFor = settings.xForwardedFor;
    const custom = settings.format;
    const micros = settings.micros;
    let format: (out: LineBuffer, r: LoggedRequest) => void;
    if (custom !== undefined) {
      const compiled = compileLogFormat(custom, { ftime: settings.ftime });
      format = (out, r) => out.text(compiled(r));
    } else if (settings.memoryReport) {
      format = (out, r) => {
        out.text(memoryPrefix());
        writeDefaultLine(out, r, micros);
      };
    } else format = (out, r) => writeDefaultLine(out, r, micros);
    // bytes to the master or the logto file; one string per batch for a stream (a pipe, a TTY)
    const out = settings.toMaster
      ? writeToMaster
      : (logBytes ?? ((bytes: Buffer) => log(bytes.toString('utf8'))));
    this.batch = new LineBatch(format, out);
    this.filtered = !settings.all;
  }

  /**
   * uWSGI's log_request(): everything is logged unless `disable-logging`; then only what one of
   * the tests matches (>= for slow and big, as uWSGI compares). An I/O error is a read or a write
   * error (uWSGI 2.0 requires both, which never happens for a client that just went away).
   */
  wants(status: number, bodyBytes: number, elapsedMicros: number, ioErrors: number): boolean {
    if (!this.filtered) return true;
    const w = this.settings.when;
    return (
      (w.zero && bodyBytes === 0) ||
      (w.slowMs > 0 && Math.floor(elapsedMicros / 1000) >= w.slowMs) ||
      (w.status4xx && status >= 400 && status <= 499) ||
      (w.status5xx && status >= 500 && status <= 599) ||
      (w.bigBytes > 0 && bodyBytes >= w.bigBytes) ||
      (w.ioError && ioErrors > 0)
    );
  }

  /** Logs a finished request: its line is formatted and written at the end of this turn. */
  log(facts: LoggedRequest): void {
    this.batch.add(facts);
  }
}
