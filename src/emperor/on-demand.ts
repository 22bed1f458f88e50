// On-demand vassals (reference §6.3 "On-demand"; seed manual "The uWSGI Emperor", on demand): the
// Emperor binds the vassal's socket itself, waits for the first connection WITHOUT accepting it,
// then spawns the vassal with the listening socket as its fd 0 (a vassal takes a listening stdin
// as its socket 0: src/net/stdin-socket.ts), so the client that woke it is served by it. A vassal
// that goes idle (die-on-idle: byte 22) is stopped and the Emperor waits on the socket again.
// uWSGI 2.0.21's lines and behaviour: test/fixtures/emperor-on-demand/uwsgi-2.0.21.txt.

import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import type { Config } from '../config/resolve.js';
import { UwsgiError } from '../errors.js';
import { describeAddress, parseAddress, type SocketAddress } from '../net/address.js';
import { listenAddon } from '../net/early-listen.js';
import { createServerHandle, type NativeHandle } from '../net/native-handle.js';
import { os } from '../net/os-errno.js';
import type { VassalFile } from './vassal-file.js';

type SourceOption = 'emperor-on-demand-extension' | 'emperor-on-demand-directory' | 'emperor-on-demand-exec';

/** Where each option finds a vassal's socket name; undefined: this vassal is not on demand. */
const SOURCES: ReadonlyArray<
  readonly [SourceOption, (value: string, file: VassalFile) => string | undefined]
> = [
  // the file NAME.EXT next to the vassal holds the socket name (a missing one: a normal vassal)
  ['emperor-on-demand-extension', (ext, file) => firstLine(readOrUndefined(`${file.path}${ext}`))],
  // DIR/NAME-without-its-extension.socket
  [
    'emperor-on-demand-directory',
    (dir, file) => join(dir, `${basename(file.name, extname(file.name))}.socket`),
  ],
  // uWSGI runs `COMMAND NAME` through the shell in the vassals dir and reads the name it prints
  [
    'emperor-on-demand-exec',
    (command, file) =>
      firstLine(
        execFileSync('/bin/sh', ['-c', `${command} ${shellQuote(file.name)}`], {
          cwd: file.dir,
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'inherit'],
          timeout: 10_000,
        }),
      ),
  ],
];

/** The socket vassal `file` is started on, or undefined when it is a normal vassal. */
export function onDemandSocketName(config: Config, file: VassalFile): string | undefined {
  for (const [option, source] of SOURCES) {
    const value = config.value(option);
    if (!value) continue;
    const name = source(value, file);
    if (name) return name;
  }
  return undefined;
}

/** Is any on-demand option set? */
export function onDemandConfigured(config: Config): boolean {
  return SOURCES.some(([option]) => Boolean(config.value(option)));
}

/** How often a waiting socket is polled (the master's cheap mode polls its queues as often). */
const POLL_MS = 100;

/** A socket the Emperor holds for one vassal: bound, listening, never accepted on here. */
export class OnDemandSocket {
  readonly handle: NativeHandle;
  readonly address: SocketAddress;
  readonly name: string;
  private timer: NodeJS.Timeout | undefined;
  private readonly unixPath: string | undefined;

  constructor(name: string, backlog: number, where: string) {
    const native = listenAddon();
    if (!native?.readable)
      throw new UwsgiError(
        'ERR_EMPEROR_NOT_SUPPORTED',
        'on-demand vassals need the native listen addon (build/Release/uwsgi_ts_listen.node): rebuild with npm rebuild',
      );
    this.name = name;
    this.address = parseAddress(name, where);
    const a = this.address;
    let handle: NativeHandle | number;
    if (a.kind === 'tcp') handle = createServerHandle(a.host, a.port, a.family);
    else if (a.kind === 'unix' || a.kind === 'abstract') {
      const path = a.kind === 'unix' ? a.path : `\0${a.name}`;
      // a socket file left by an earlier Emperor (uWSGI leaves them) is replaced
      if (a.kind === 'unix' && existsSync(path) && statSync(path).isSocket()) unlinkSync(path);
      handle = createServerHandle(path, -1, -1);
    } else
      throw new UwsgiError('ERR_SOCKET_BAD_ADDRESS', `on-demand socket "${name}": not an address (${where})`);
    if (typeof handle === 'number')
      throw new UwsgiError('ERR_SOCKET_BIND', `cannot bind ${describeAddress(a)}: ${os(handle)} (${where})`);
    this.handle = handle;
    if (a.kind === 'unix') {
      this.unixPath = a.path;
      // uWSGI: every local user may connect to an on-demand socket
      chmodSync(a.path, 0o666);
    }
    native.listen(handle.fd, backlog);
  }

  /** Calls `wake` once, when the first connection waits in the queue. */
  waitForConnection(wake: () => void): void {
    this.stopWaiting();
    const native = listenAddon();
    this.timer = setInterval(() => {
      if (!native?.readable?.(this.handle.fd)) return;
      this.stopWaiting();
      wake();
    }, POLL_MS);
  }

  stopWaiting(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The vassal is gone for good: the socket is closed and its file removed. */
  close(): void {
    this.stopWaiting();
    this.handle.close();
    if (this.unixPath) {
      try {
        unlinkSync(this.unixPath);
      } catch {
        // already gone
      }
    }
  }
}

/** uWSGI's line when a vassal waits (again) for its first connection. */
export function waitingLine(vassal: string, socket: string, again: boolean): string {
  return again
    ? `[uwsgi-emperor] ${vassal} -> back to "on demand" mode, waiting for connections on socket "${socket}" ...`
    : `[uwsgi-emperor] ${vassal} -> "on demand" instance detected, waiting for connections on socket "${socket}" ...`;
}

function readOrUndefined(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function firstLine(text: string | undefined): string | undefined {
  const line = text?.split('\n')[0]?.trim();
  return line ? line : undefined;
}

function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}
