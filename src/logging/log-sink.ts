// The master's side of the log (uWSGI's log-master, core/logging.c uwsgi_master_log): every line
// of the instance ends here when the master owns the log, and goes through log-date, log-drain,
// log-filter, log-route, the encoder chains and the loggers to its destination. Request lines
// have their own chain (req-logger, log-req-route, log-req-encoder) when one is configured;
// otherwise they are treated as any other line, as uWSGI does.

import { statSync } from 'node:fs';
import { encodeFor, type LogEncoder } from './encoders.js';
import { LateTarget, type LogTarget, type LogText } from './log-targets.js';
import type { Logger } from './loggers.js';

export interface LogRoute {
  readonly pattern: RegExp;
  /** The logger named in the route; undefined when no logger has that name (the route is inert). */
  readonly logger: Logger | undefined;
}

/** One chain: what a line goes through after it is accepted. */
export interface LogChain {
  readonly routes: readonly LogRoute[];
  readonly loggers: readonly Logger[];
  readonly encoders: readonly LogEncoder[];
}

export interface LogSinkOptions {
  /** The instance's own log: the logto file, a UDP address, or stderr. */
  readonly output: LogTarget;
  /** `log-date`/`log-prefix`: the text put before the master's and workers' own lines. */
  readonly prefix?: ((epochMs: number) => string) | undefined;
  /**
   * `log-master-bufsize`: a line read from a worker longer than this many bytes is cut (its
   * newline kept); 0 or absent: no limit. Request lines have their own limit.
   */
  readonly maxLine?: { readonly general: number; readonly request: number };
  /** `log-drain`: lines matching any are dropped. */
  readonly drains?: readonly RegExp[];
  /** `log-filter`: when any, only lines matching one are kept. */
  readonly filters?: readonly RegExp[];
  readonly general?: LogChain;
  /** The request chain; undefined: request lines go through the general chain. */
  readonly request?: LogChain | undefined;
  /**
   * The master is the only writer of the output. When workers write to it themselves (they
   * inherited its fd), it can be neither rotated nor reopened: they would keep the old file.
   */
  readonly owned?: boolean;
  /** `touch-logrotate` / `touch-logreopen`: files whose mtime is polled every second. */
  readonly touchRotate?: readonly string[];
  readonly touchReopen?: readonly string[];
  readonly now?: () => number;
}

const EMPTY_CHAIN: LogChain = { routes: [], loggers: [], encoders: [] };

const isPlain = (chain: LogChain) =>
  chain.routes.length === 0 && chain.loggers.length === 0 && chain.encoders.length === 0;

/** Every text handed to the sink is one or more complete lines, each ending with `\n`. */
export class LogSink {
  readonly output: LogTarget;
  private readonly prefix: ((epochMs: number) => string) | undefined;
  private readonly drains: readonly RegExp[];
  private readonly filters: readonly RegExp[];
  private readonly general: LogChain;
  private readonly request: LogChain | undefined;
  private readonly now: () => number;
  /**
   * No drains, filters, routes, encoders or loggers, and an output that takes blocks: what a
   * worker wrote goes out in one write, bytes as read (no decoding, no splitting).
   */
  private plainGeneral: boolean;
  private plainRequest: boolean;
  /** log-alarm: sees every line before drains and filters (src/alarm/alarms.ts). */
  private observer: ((line: string) => void) | undefined;
  private readonly owned: boolean;
  private readonly touchTimer: NodeJS.Timeout | undefined;
  private readonly maxGeneral: number;
  private readonly maxRequest: number;

  constructor(options: LogSinkOptions) {
    this.output = options.output;
    this.prefix = options.prefix;
    this.drains = options.drains ?? [];
    this.filters = options.filters ?? [];
    this.general = options.general ?? EMPTY_CHAIN;
    this.request = options.request;
    this.now = options.now ?? Date.now;
    const blocks = this.output.perLine !== true;
    this.plainGeneral =
      blocks && this.drains.length === 0 && this.filters.length === 0 && isPlain(this.general);
    this.plainRequest = blocks && (this.request ? isPlain(this.request) : this.plainGeneral);
    this.owned = options.owned ?? true;
    this.maxGeneral = options.maxLine?.general ?? 0;
    this.maxRequest = options.maxLine?.request ?? 0;
    const rotate = touchWatch(options.touchRotate ?? []);
    const reopen = touchWatch(options.touchReopen ?? []);
    if (rotate || reopen) {
      // uwsgi_check_logrotate(): a rotation wins over a reopen in the same check
      this.touchTimer = setInterval(() => {
        const rotated = rotate?.() ?? false;
        const reopened = reopen?.() ?? false;
        if (rotated) this.rotate();
        else if (reopened) this.reopen();
      }, 1000);
      this.touchTimer.unref();
    }
  }

  /**
   * A line of the instance's own (the master's, a worker's): the log-date prefix is put before
   * it, as uwsgi_log() does in the process that writes it.
   */
  line(line: string): void {
    const text = line.endsWith('\n') ? line : `${line}\n`;
    this.accept(this.prefix ? this.prefix(this.now()) + text : text);
  }

  /** A block of complete lines: a worker's output (not prefixed) or its own lines (prefixed). */
  lines(input: LogText, prefixed: boolean): void {
    const block = cutLines(input, this.maxGeneral);
    if (this.plainGeneral && !(prefixed && this.prefix)) {
      this.output.write(block);
      return;
    }
    forEachLine(text(block), (line) => {
      if (prefixed) this.line(line);
      else this.accept(line);
    });
  }

  /** A block of complete request lines (never prefixed: uWSGI writes them raw). */
  requests(input: LogText): void {
    const block = cutLines(input, this.maxRequest);
    if (this.plainRequest) {
      this.output.write(block);
      return;
    }
    const chain = this.request;
    if (chain) forEachLine(text(block), (line) => this.deliver(chain, line));
    else forEachLine(text(block), (line) => this.accept(line));
  }

  /**
   * Privileges are dropped: `logto2` opens its destination now (uWSGI opens it at this point so
   * the file belongs to the uid). An error (the uid cannot write there) is thrown.
   */
  afterPrivileges(): void {
    if (this.output instanceof LateTarget) this.output.open();
  }

  /** Rotates the log file (FIFO `L`, touch-logrotate); needs the master to own the log. */
  rotate(): void {
    if (this.refused('rotation')) return;
    this.output.rotate?.();
  }

  /** Reopens the log file (FIFO `l`, touch-logreopen, log-reopen on reload). */
  reopen(): void {
    if (this.refused('reopening')) return;
    this.output.reopen?.();
  }

  private refused(what: string): boolean {
    if (this.owned) return false;
    this.line(`log ${what} needs log-master (the workers write to the log file themselves)`);
    return true;
  }

  close(): void {
    if (this.touchTimer) clearInterval(this.touchTimer);
    const seen = new Set<LogTarget>([this.output]);
    for (const chain of [this.general, this.request ?? EMPTY_CHAIN])
      for (const l of chain.loggers) seen.add(l.target);
    for (const t of seen) t.close();
  }

  /**
   * Every line the sink accepts is shown to `fn` first (uWSGI checks log-alarm before
   * log-drain); the sink then splits blocks into lines, so none passes unseen.
   */
  observe(fn: (line: string) => void): void {
    this.observer = fn;
    this.plainGeneral = false;
    this.plainRequest = false;
  }

  /** uwsgi_master_log(): the alarm check, drains, filters, then the general chain. */
  private accept(line: string): void {
    this.observer?.(line);
    for (const re of this.drains) if (re.test(line)) return;
    if (this.filters.length > 0 && !this.filters.some((re) => re.test(line))) return;
    this.deliver(this.general, line);
  }

  /** Routes first (a routed line goes nowhere else), then every unnamed logger, else the log. */
  private deliver(chain: LogChain, line: string): void {
    let routed = false;
    for (const route of chain.routes) {
      if (route.logger && route.pattern.test(line)) {
        route.logger.target.write(encodeFor(chain.encoders, route.logger.id, line));
        routed = true;
      }
    }
    if (routed) return;
    let raw = true;
    for (const logger of chain.loggers) {
      if (logger.id !== undefined) continue;
      logger.target.write(encodeFor(chain.encoders, undefined, line));
      raw = false;
    }
    if (raw) this.output.write(encodeFor(chain.encoders, undefined, line));
  }
}

/** uwsgi_check_touches(): true when one of the files got a newer mtime since the last check. */
function touchWatch(paths: readonly string[]): (() => boolean) | undefined {
  if (paths.length === 0) return undefined;
  const mtime = (path: string) => {
    try {
      return statSync(path).mtimeMs;
    } catch {
      return 0;
    }
  };
  const seen = paths.map(mtime);
  return () => {
    let touched = false;
    paths.forEach((path, i) => {
      const now = mtime(path);
      if (now > (seen[i] ?? 0) && (seen[i] ?? 0) > 0) touched = true;
      if (now > 0) seen[i] = now;
    });
    return touched;
  };
}

/** Where a cut line may end: not inside a UTF-8 sequence (at most 3 bytes back). */
function charBoundary(bytes: Buffer, end: number): number {
  for (let i = end; i > end - 4 && i > 0; i--) if (((bytes[i] ?? 0) & 0xc0) !== 0x80) return i;
  return end;
}

/** Lines longer than `max` bytes cut to `max` (newline kept); the block as it is when none is. */
export function cutLines(block: LogText, max: number): LogText {
  if (max <= 0 || block.length <= max) return block;
  const bytes = typeof block === 'string' ? Buffer.from(block) : block;
  // the common case: no line is too long, nothing is allocated
  let from = 0;
  for (;;) {
    const nl = bytes.indexOf(0x0a, from);
    const end = nl < 0 ? bytes.length : nl;
    if (end - from > max) break;
    if (nl < 0) return block;
    from = nl + 1;
  }
  const parts: Buffer[] = [bytes.subarray(0, from)];
  while (from < bytes.length) {
    const nl = bytes.indexOf(0x0a, from);
    const end = nl < 0 ? bytes.length : nl;
    if (end - from > max) parts.push(bytes.subarray(from, charBoundary(bytes, from + max)), NEWLINE);
    else parts.push(bytes.subarray(from, nl < 0 ? end : end + 1));
    from = end + 1;
  }
  return Buffer.concat(parts);
}

const NEWLINE = Buffer.from('\n');

const text = (block: LogText) => (typeof block === 'string' ? block : block.toString('utf8'));

function forEachLine(block: string, fn: (line: string) => void): void {
  let from = 0;
  while (from < block.length) {
    const nl = block.indexOf('\n', from);
    const end = nl < 0 ? block.length : nl + 1;
    fn(nl < 0 ? `${block.slice(from)}\n` : block.slice(from, end));
    from = end;
  }
}
