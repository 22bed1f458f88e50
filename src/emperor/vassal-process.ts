// One vassal process as the generic supervisor sees a child (src/master/supervisor/child.ts):
// the supervisor's messages become the one-byte messages of reference §6.3 on the vassal's end of
// a stream socket pair, and the vassal's bytes become messages for the Emperor's table. The pair
// is a 'pipe' stdio slot of the spawn (3, or the one after systemd's sockets): libuv makes it with
// socketpair(AF_UNIX, SOCK_STREAM), what uWSGI's Emperor gives, so a uWSGI vassal works unchanged.

import { type ChildProcess, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import type { ChildProcessLike } from '../master/supervisor/child.js';
import { encodeConfigPacket } from './config-pipe.js';
import { decodeFromVassal, encodeToVassal, type FromVassal, type ToVassal } from './emperor-messages.js';
import type { VassalCommand } from './vassal-command.js';

export interface VassalMessage {
  readonly t: FromVassal;
}

/** What the supervisor sends (`stop` when it retires a child) and the Emperor's own `reload`. */
const SUPERVISOR_TO_BYTES: Readonly<Record<string, (graceful: boolean) => ToVassal>> = {
  stop: (graceful) => (graceful ? 'graceful-stop' : 'stop'),
  reload: () => 'reload',
};

export interface SpawnVassalOptions {
  readonly command: VassalCommand;
  /** The fd vassals log to (the Emperor's log). */
  readonly logFd: number;
  /** `emperor-graceful-shutdown`: a stop is byte 2, not byte 0. */
  readonly gracefulStop: boolean;
  /** Tyrant mode: the vassal's owner. */
  readonly uid?: number;
  readonly gid?: number;
}

export class VassalProcess extends EventEmitter implements ChildProcessLike {
  readonly pid: number | undefined;
  private readonly child: ChildProcess;
  private readonly link: (Readable & Writable) | undefined;
  private readonly configLink: (Readable & Writable) | undefined;
  private open = true;

  constructor(private readonly options: SpawnVassalOptions) {
    super();
    const { command, logFd } = options;
    const log = logFd === 2 ? 'inherit' : logFd;
    this.child = spawn(command.file, command.args, {
      cwd: command.cwd,
      env: command.env,
      // uWSGI: stdin is /dev/null (an on-demand vassal's socket), the log is the Emperor's, the emperor fd is the pair's end
      stdio: [
        command.stdin ?? 'ignore',
        log,
        log,
        ...command.inherit,
        'pipe',
        ...(command.configFd !== undefined ? ['pipe' as const] : []),
      ],
      ...(options.uid !== undefined ? { uid: options.uid } : {}),
      ...(options.gid !== undefined ? { gid: options.gid } : {}),
    });
    this.pid = this.child.pid;
    this.link = this.child.stdio[command.emperorFd] as (Readable & Writable) | undefined;
    if (command.configFd !== undefined) {
      this.configLink = this.child.stdio[command.configFd] as (Readable & Writable) | undefined;
      // a vassal gone mid-write: its exit is what counts
      this.configLink?.on('error', () => {});
    }
    this.link?.on('data', (chunk: Buffer) => {
      for (const t of decodeFromVassal(chunk)) this.emit('message', { t } satisfies VassalMessage);
    });
    const closed = () => {
      this.open = false;
    };
    this.link?.on('close', closed);
    // a vassal gone mid-write: its exit is what the supervisor acts on
    this.link?.on('error', closed);
    this.child.on('error', (err) => {
      closed();
      this.emit('spawn-error', err);
      // a spawn that failed (ENOENT wrapper, EACCES) never exits: report it as an exit
      if (this.child.pid === undefined) this.emit('exit', 1, null);
    });
    this.child.on('exit', (code, signal) => {
      closed();
      this.emit('exit', code, signal);
    });
  }

  get connected(): boolean {
    return this.open;
  }

  send(
    message: unknown,
    _handle?: unknown,
    _options?: object,
    callback?: (error: Error | null) => void,
  ): boolean {
    const t = typeof message === 'object' && message !== null ? (message as { t?: unknown }).t : undefined;
    const toBytes = typeof t === 'string' ? SUPERVISOR_TO_BYTES[t] : undefined;
    if (!toBytes || !this.open || !this.link) return false;
    this.link.write(encodeToVassal(toBytes(this.options.gracefulStop)), (err) => callback?.(err ?? null));
    return true;
  }

  /** UWSGI_EMPEROR_FD_CONFIG: pushes the vassal its config (at the spawn, and when it asks). */
  pushConfig(config: string): void {
    if (this.configLink && !this.configLink.destroyed) this.configLink.write(encodeConfigPacket(config));
  }

  kill(signal: NodeJS.Signals): boolean {
    return this.child.kill(signal);
  }
}
