// The master FIFO (reference §6.1): `master-fifo = path` (repeatable; slots 0-9, the first is
// active). Every byte written to it is one command, looked up in a table; unknown bytes are
// ignored. The FIFO is opened read-write so that writers closing it never give an EOF.

import { execFileSync } from 'node:child_process';
import { openSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import { UwsgiError } from '../errors.js';

/** What the FIFO can ask of the master. */
export interface FifoActions {
  gracefulReload(): void;
  brutalReload(): void;
  chainReload(): void;
  gracefulStop(): void;
  brutalStop(): void;
  reopenLogs(): void;
  rotateLogs(): void;
  rewritePidfiles(): void;
  statsToLog(): void;
  /** Cheaper: one worker more / fewer. */
  cheaperIncrease(): void;
  cheaperDecrease(): void;
  /** `S`: block or re-enable the subscription announces. */
  toggleSubscriptions?(): void;
  /** `E`: an Emperor rescans its monitors now (only the Emperor has it). */
  emperorRescan?(): void;
  log(line: string): void;
}

type Command = (actions: FifoActions, fifo: MasterFifo) => void;

const unsupported =
  (what: string): Command =>
  (actions) =>
    actions.log(`master fifo: ${what} is not available in uwsgi-ts yet`);

/** One row per command byte (reference §6.1). */
export const FIFO_COMMANDS: Readonly<Record<string, Command>> = {
  r: (a) => a.gracefulReload(),
  w: (a) => a.gracefulReload(),
  R: (a) => a.brutalReload(),
  W: (a) => a.brutalReload(),
  c: (a) => a.chainReload(),
  q: (a) => a.gracefulStop(),
  Q: (a) => a.brutalStop(),
  l: (a) => a.reopenLogs(),
  L: (a) => a.rotateLogs(),
  P: (a) => a.rewritePidfiles(),
  s: (a) => a.statsToLog(),
  '+': (a) => a.cheaperIncrease(),
  '-': (a) => a.cheaperDecrease(),
  C: unsupported('going cheap (C)'),
  p: unsupported('pause (p)'),
  S: (a) =>
    a.toggleSubscriptions
      ? a.toggleSubscriptions()
      : a.log('master fifo: S needs subscriptions (subscribe-to or subscribe2)'),
  B: unsupported('emperor reinforcements (B)'),
  E: (a) =>
    a.emperorRescan
      ? a.emperorRescan()
      : a.log('master fifo: E rescans an Emperor: this instance is not one'),
  f: unsupported('re-forking the master (f)'),
  ...Object.fromEntries(
    Array.from({ length: 10 }, (_, n): [string, Command] => [String(n), (_a, fifo) => fifo.activate(n)]),
  ),
};

function makeFifo(path: string): void {
  try {
    if (statSync(path).isFIFO()) return;
    rmSync(path, { force: true });
  } catch {
    // not there yet
  }
  try {
    execFileSync('mkfifo', ['-m', '600', path], { stdio: 'ignore' });
  } catch (cause) {
    throw new UwsgiError('ERR_CONFIG_BAD_VALUE', `cannot create the master fifo ${path}`, { cause });
  }
}

export class MasterFifo {
  private socket: net.Socket | undefined;
  private active = 0;

  constructor(
    private readonly paths: readonly string[],
    private readonly actions: FifoActions,
  ) {}

  start(): void {
    this.open(0);
  }

  private open(slot: number): void {
    const path = this.paths[slot];
    if (path === undefined) return;
    this.socket?.destroy();
    makeFifo(path);
    const socket = new net.Socket({ fd: openSync(path, 'r+'), readable: true, writable: false });
    socket.on('data', (chunk: Buffer) => {
      for (const byte of chunk) FIFO_COMMANDS[String.fromCharCode(byte)]?.(this.actions, this);
    });
    socket.on('error', (err) => this.actions.log(`master fifo ${path}: ${err.message}`));
    socket.unref();
    this.socket = socket;
    this.active = slot;
  }

  /** `0`..`9`: switch to another configured FIFO. */
  activate(slot: number): void {
    if (slot === this.active || this.paths[slot] === undefined) return;
    this.open(slot);
    this.actions.log(`active master fifo is now ${this.paths[slot]}`);
  }

  close(): void {
    this.socket?.destroy();
    this.socket = undefined;
  }

  /** The FIFO files, for vacuum. */
  get files(): readonly string[] {
    return this.paths;
  }
}
