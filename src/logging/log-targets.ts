// Where the master writes log lines: a file (rotated by size, renamed and reopened as uWSGI does),
// an inherited fd (stderr), a UDP address, or the system log. Writes are synchronous where the
// OS allows it, so a line logged just before the master exits is not lost.

import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { closeSync, existsSync, fchmodSync, fstatSync, openSync, renameSync, writeSync } from 'node:fs';
import { isIP } from 'node:net';
import { UwsgiError } from '../errors.js';
import { ctime } from './ctime.js';

/** Text, or bytes read from a worker's pipe (complete UTF-8 lines, passed through undecoded). */
export type LogText = string | Buffer;

export interface LogTarget {
  /**
   * One message (a line, or what an encoder made of it). A target that is not `perLine` also
   * takes a block of several complete lines in one call.
   */
  write(text: LogText): void;
  /** Each write is one message on the wire (a datagram): blocks must be split into lines first. */
  readonly perLine?: boolean;
  /** Rename the file aside and start a new one (files only). */
  rotate?(): void;
  /** Close and open the file again, e.g. after logrotate moved it (files only). */
  reopen?(): void;
  close(): void;
}

/**
 * Writes to an fd the master does not own. stderr goes through process.stderr: when it is a pipe
 * (systemd, docker, a test) Node made it non-blocking, and a synchronous write to a full pipe
 * would fail (EAGAIN) and lose the line; the stream queues instead and drains before exit.
 */
export class FdTarget implements LogTarget {
  private readonly stream: NodeJS.WriteStream | undefined;

  constructor(readonly fd: number) {
    this.stream = fd === 2 ? process.stderr : fd === 1 ? process.stdout : undefined;
    // a reader that went away (EPIPE) must not kill the master
    if (this.stream && this.stream.listenerCount('error') === 0) this.stream.on('error', () => {});
  }

  write(text: LogText): void {
    try {
      if (this.stream) this.stream.write(text);
      else writeText(this.fd, text);
    } catch {
      // a closed log must not kill the master
    }
  }

  close(): void {}
}

export interface LogFileOptions {
  /** An fd already open on the file (the logto file opened by the CLI); else the file is opened. */
  readonly fd?: number;
  /** Rotate once the file is larger than this many bytes; 0 = never. */
  readonly maxSize?: number;
  /** Name of the rotated file; default `<path>.<unix time>`. */
  readonly backupName?: string | undefined;
  /** Permission bits forced on the file (`logfile-chmod`). */
  readonly chmod?: number | undefined;
  readonly now?: () => number;
}

/** uWSGI's log file mode: S_IRUSR|S_IWUSR|S_IRGRP. */
export const LOG_FILE_MODE = 0o640;

/** Opens a log file for appending (or truncating, `log-truncate`), as uWSGI's logto() does. */
export function openLogFile(path: string, truncate = false, chmod?: number): number {
  try {
    const fd = openSync(path, truncate ? 'w' : 'a', LOG_FILE_MODE);
    if (chmod !== undefined) fchmodSync(fd, chmod);
    return fd;
  } catch (err) {
    throw new UwsgiError(
      'ERR_CONFIG_FILE_NOT_FOUND',
      `unable to open the log file ${path}: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
}

/** A log file the master owns: it counts what it writes and rotates past `maxSize`. */
export class LogFile implements LogTarget {
  private fdNow: number;
  private size: number;
  private readonly maxSize: number;
  private readonly backupName: string | undefined;
  private readonly chmod: number | undefined;
  private readonly now: () => number;

  constructor(
    readonly path: string,
    options: LogFileOptions = {},
  ) {
    this.chmod = options.chmod;
    this.fdNow = options.fd ?? openLogFile(path, false, this.chmod);
    this.size = fstatSync(this.fdNow).size;
    this.maxSize = options.maxSize ?? 0;
    this.backupName = options.backupName;
    this.now = options.now ?? Date.now;
  }

  get fd(): number {
    return this.fdNow;
  }

  write(text: LogText): void {
    try {
      this.size += writeText(this.fdNow, text);
    } catch {
      return;
    }
    if (this.maxSize > 0 && this.size > this.maxSize) this.rotate();
  }

  /**
   * uWSGI's uwsgi_log_do_rotate(): a last line in the old file, rename, a new empty file. Unlike
   * uWSGI, a second rotation within the same second does not overwrite the first backup: it
   * gets a `.1`, `.2`... suffix (uWSGI loses those lines).
   */
  rotate(): void {
    const now = this.now();
    let name = this.backupName;
    if (name === undefined) {
      const base = `${this.path}.${Math.floor(now / 1000)}`;
      name = base;
      for (let n = 1; existsSync(name); n++) name = `${base}.${n}`;
    }
    this.raw(`${ctime(now)} - logsize: ${this.size}, triggering rotation to ${name}...\n`);
    try {
      renameSync(this.path, name);
    } catch (err) {
      this.raw(`unable to rotate log: rename(): ${err instanceof Error ? err.message : String(err)}\n`);
      return;
    }
    const old = this.fdNow;
    try {
      this.fdNow = openSync(this.path, 'w', LOG_FILE_MODE);
      if (this.chmod !== undefined) fchmodSync(this.fdNow, this.chmod);
    } catch (err) {
      this.raw(`unable to open ${this.path}: ${err instanceof Error ? err.message : String(err)}\n`);
      return;
    }
    this.size = 0;
    closeQuietly(old);
  }

  /** uWSGI's uwsgi_log_reopen(), with its two lines. */
  reopen(): void {
    const unix = Math.floor(this.now() / 1000);
    this.raw(`[${unix}] logsize: ${this.size}, triggering log-reopen...\n`);
    let fd: number;
    try {
      fd = openSync(this.path, 'a', LOG_FILE_MODE);
      if (this.chmod !== undefined) fchmodSync(fd, this.chmod);
    } catch (err) {
      this.raw(`unable to reopen ${this.path}: ${err instanceof Error ? err.message : String(err)}\n`);
      return;
    }
    closeQuietly(this.fdNow);
    this.fdNow = fd;
    this.size = fstatSync(fd).size;
    this.raw(`[${unix}] ${this.path} reopened.\n`);
  }

  close(): void {
    closeQuietly(this.fdNow);
  }

  /** A line of the rotation machinery itself: counted, never triggers a rotation. */
  private raw(text: string): void {
    try {
      this.size += writeSync(this.fdNow, text);
    } catch {
      // nothing to do: the file is gone
    }
  }
}

/** writeSync() with either kind of text (its overloads take one or the other). */
function writeText(fd: number, text: LogText): number {
  return typeof text === 'string' ? writeSync(fd, text) : writeSync(fd, text);
}

function closeQuietly(fd: number): void {
  try {
    if (fd > 2) closeSync(fd);
  } catch {
    // already closed
  }
}

/** `HOST:PORT` -> host and port; IPv6 as `[::1]:514`. */
export function parseUdpAddress(value: string, where: string): { host: string; port: number } {
  const colon = value.lastIndexOf(':');
  let host = colon > 0 ? value.slice(0, colon) : '';
  const port = Number(value.slice(colon + 1));
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  if (colon <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535 || host === '') {
    throw new UwsgiError('ERR_CONFIG_BAD_VALUE', `invalid udp address "${value}" (${where})`);
  }
  return { host, port };
}

/** How a message becomes datagrams: none (dropped), one, or several (split). */
export type Datagrams = (text: LogText) => readonly LogText[];

/** One datagram per message, `prefix` before it. */
export function prefixed(prefix: string): Datagrams {
  if (prefix === '') return (text) => [text];
  const bytes = Buffer.from(prefix);
  return (text) => [typeof text === 'string' ? prefix + text : Buffer.concat([bytes, text])];
}

/**
 * Datagrams to a UDP address (uWSGI's `logto HOST:PORT`, the `socket` logger with its prefix,
 * the `rsyslog` logger with its framing). The socket is connected once and never keeps the
 * master alive.
 */
export class UdpTarget implements LogTarget {
  readonly perLine = true;
  private readonly socket: dgram.Socket;
  private readonly datagrams: Datagrams;
  private connected = false;
  private pending: LogText[] = [];

  constructor(host: string, port: number, framing: string | Datagrams = '') {
    this.datagrams = typeof framing === 'string' ? prefixed(framing) : framing;
    this.socket = dgram.createSocket(isIP(host) === 6 ? 'udp6' : 'udp4');
    this.socket.on('error', () => {
      // an unreachable collector drops lines, as UDP does
    });
    this.socket.connect(port, host, () => {
      this.connected = true;
      for (const packet of this.pending) this.socket.send(packet);
      this.pending = [];
    });
    this.socket.unref();
  }

  write(text: LogText): void {
    for (const packet of this.datagrams(text)) {
      if (this.connected) this.socket.send(packet);
      else this.pending.push(packet);
    }
  }

  close(): void {
    try {
      this.socket.close();
    } catch {
      // already closed
    }
  }
}

/**
 * `logto2`: the destination is opened only once privileges are dropped (so a file belongs to the
 * uid); until then lines go to `early` (stderr, or the logto file), as uWSGI writes them.
 */
export class LateTarget implements LogTarget {
  readonly perLine: boolean;
  private current: LogTarget;
  private opened = false;

  constructor(
    private readonly early: LogTarget,
    private readonly openLate: () => LogTarget,
    perLine: boolean,
  ) {
    this.current = early;
    this.perLine = perLine;
  }

  /** Opens the destination; an error (a file the uid cannot write) is thrown to the caller. */
  open(): void {
    if (this.opened) return;
    this.current = this.openLate();
    this.opened = true;
  }

  write(text: LogText): void {
    this.current.write(text);
  }

  rotate(): void {
    this.current.rotate?.();
  }

  reopen(): void {
    this.current.reopen?.();
  }

  close(): void {
    this.current.close();
    if (this.current !== this.early) this.early.close();
  }
}

/** syslog(3) facilities by name (plugins/syslog). */
export const SYSLOG_FACILITIES: ReadonlySet<string> = new Set([
  'auth',
  'authpriv',
  'cron',
  'daemon',
  'ftp',
  'kern',
  'lpr',
  'mail',
  'news',
  'security',
  'syslog',
  'user',
  'uucp',
  'local0',
  'local1',
  'local2',
  'local3',
  'local4',
  'local5',
  'local6',
  'local7',
]);

/** The system log socket; `UWSGI_TS_SYSLOG_SOCKET` points it elsewhere (tests). */
export function syslogSocketPath(): string {
  return process.env['UWSGI_TS_SYSLOG_SOCKET'] || '/dev/log';
}

/**
 * The system log, as uWSGI's `syslog` logger writes it with syslog(3): `<PRI>Mmm dd hh:mm:ss
 * IDENT: line` on /dev/log, priority INFO. Node has no unix datagram sockets, so the messages go
 * through util-linux's `logger`, which writes that same local format to the socket (datagram,
 * or stream when the socket is one); it is started once and fed one line per message.
 */
export class SyslogTarget implements LogTarget {
  readonly perLine = true;
  private readonly child: ReturnType<typeof spawn>;
  private failed = false;

  constructor(ident: string, facility: string) {
    this.child = spawn(
      'logger',
      ['-u', syslogSocketPath(), '-t', ident, '-p', `${facility}.info`, '-S', '65536', '--socket-errors=off'],
      { stdio: ['pipe', 'ignore', 'ignore'] },
    );
    this.child.on('error', (err) => {
      if (this.failed) return;
      this.failed = true;
      process.stderr.write(`uwsgi-ts: the syslog logger needs util-linux's logger command: ${err.message}\n`);
    });
    this.child.stdin?.on('error', () => {
      this.failed = true;
    });
    this.child.unref();
    (this.child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  }

  write(text: LogText): void {
    if (this.failed) return;
    const line = typeof text === 'string' ? text : text.toString('utf8');
    this.child.stdin?.write(line.endsWith('\n') ? line : `${line}\n`);
  }

  close(): void {
    this.child.stdin?.end();
  }
}
