// One attached daemon as the supervisor sees a child (src/master/supervisor/child.ts): a shell
// command started in a process group of its own, so that stopping it reaches everything it forked
// (`stop` = the daemon's stop signal to the whole group, `kill` = that signal or SIGKILL to the
// group). A smart daemon (smart-attach-daemon) is followed by its pidfile: its shell exits once the
// daemon has forked away, and its death is noticed by polling the pid, as uWSGI polls it.
// When the daemon ends, what is left of its group is killed, so a respawn never doubles it.

import { type ChildProcess, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import type { ChildProcessLike } from '../master/supervisor/child.js';
import type { DaemonSpec } from './daemon-config.js';

/** How often a smart daemon's pid is checked (uWSGI checks at each master cycle, about 1 s). */
const POLL_MS = 500;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Signals a whole process group (and the pid itself, should it have left the group). */
export function killTree(pid: number, signal: NodeJS.Signals | number): void {
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, signal);
    } catch {
      // gone already
    }
  }
}

/** The pid a pidfile names, when that process is alive. */
export function pidFromFile(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
    return pid > 0 && alive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

export class DaemonProcess extends EventEmitter implements ChildProcessLike {
  readonly pid: number | undefined;
  /** No IPC: `send` is the stop request. */
  readonly connected = false;
  private shell: ChildProcess | undefined;
  /** The daemon itself once its pidfile names it (smart daemons), else the shell. */
  private target: number | undefined;
  private poll: ReturnType<typeof setInterval> | undefined;
  private ended = false;

  constructor(
    private readonly spec: DaemonSpec,
    stdio: 'inherit' | number,
    log: (line: string) => void,
    /** daemons-honour-stdin: the master's stdin; else /dev/null, as uWSGI gives them. */
    stdin: 'ignore' | 'inherit' = 'ignore',
  ) {
    super();
    const adopted = spec.pidfile ? pidFromFile(spec.pidfile) : undefined;
    if (adopted !== undefined && spec.daemonize) {
      // uWSGI: a smart daemon already running (its pidfile names a live process) is not started again
      this.pid = adopted;
      this.target = adopted;
      this.watchPid();
      return;
    }
    const child = spawn('/bin/sh', ['-c', spec.cmd], {
      detached: true,
      stdio: [stdin, stdio, stdio],
      ...(spec.chdir !== undefined ? { cwd: spec.chdir } : {}),
      ...(spec.uid !== undefined ? { uid: spec.uid } : {}),
      ...(spec.gid !== undefined ? { gid: spec.gid } : {}),
    });
    this.shell = child;
    this.pid = child.pid;
    this.target = child.pid;
    child.on('error', (err) => {
      log(`[uwsgi-daemons] "${spec.cmd}": ${err.message}`);
      this.end(127, null);
    });
    child.on('exit', (code, signal) => {
      if (spec.daemonize) {
        // the shell of a self-daemonizing command exits at once; what it started lives on (and
        // may not have left the shell's group yet): followed by its pidfile from now on
        this.watchPid();
        return;
      }
      // the group may outlive its leader (a forked child): nothing of it stays behind
      if (child.pid !== undefined) killTree(child.pid, 'SIGKILL');
      this.end(code, signal);
    });
  }

  /** Smart daemons: the pidfile names the daemon; its death is the daemon's exit. */
  private watchPid(): void {
    let confirmed = this.target !== undefined && this.target !== this.shell?.pid;
    let waited = 0;
    this.poll = setInterval(() => {
      const pid = this.spec.pidfile ? pidFromFile(this.spec.pidfile) : undefined;
      if (pid !== undefined) {
        this.target = pid;
        confirmed = true;
      } else if (confirmed ? this.target === undefined || !alive(this.target) : ++waited > 20) {
        // dead, or its pidfile never named a live process (10 s after the shell exited)
        this.end(confirmed ? 0 : 1, null);
      }
    }, POLL_MS);
    this.poll.unref();
  }

  private end(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.ended) return;
    this.ended = true;
    if (this.poll) clearInterval(this.poll);
    this.emit('exit', code, signal);
  }

  /** The supervisor's `stop`: the daemon's stop signal to its group. */
  send(): boolean {
    this.kill(this.spec.stopSignal);
    return true;
  }

  kill(signal: NodeJS.Signals): boolean {
    if (this.ended) return false;
    const target = this.target ?? this.pid;
    if (target !== undefined) killTree(target, signal);
    if (this.shell?.pid !== undefined && this.shell.exitCode === null) killTree(this.shell.pid, signal);
    // a smart daemon is not our child: once it is gone, say so without waiting for the poll
    if (this.spec.daemonize && target !== undefined && signal === 'SIGKILL') {
      setTimeout(() => {
        if (!alive(target)) this.end(null, 'SIGKILL');
      }, 50).unref();
    }
    return true;
  }
}
