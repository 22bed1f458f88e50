// Starts the real CLI as a server for a test: waits until every worker is ready, gives back the
// bound address(es), the process and its log, and stops the whole process group on close().
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { CLI, REPO } from './cli.js';

export interface RunningServer {
  readonly proc: ChildProcess;
  readonly pid: number;
  /** TCP ports of the sockets, in the order they were bound (`uwsgi socket N bound to TCP address`). */
  readonly ports: readonly number[];
  /** The first TCP port. */
  readonly port: number;
  /** Everything the server wrote to stderr and stdout so far. */
  log(): string;
  /** Resolves with the first match of `re` in the log (now or later), rejects after `timeoutMs`. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** SIGINT (immediate stop), then SIGKILL after 5 s; resolves when the process has exited. */
  close(): Promise<void>;
}

export interface StartOptions {
  readonly cwd?: string;
  readonly env?: Readonly<Record<string, string>>;
  /** Wait for this many `... ready` workers (default: the master's `all workers ready` line). */
  readonly timeoutMs?: number;
  /** Do not wait for readiness (for servers expected to fail). */
  readonly noWait?: boolean;
}

/** The master logs this once every worker of the first generation serves (ours, not uWSGI's). */
export const READY_LINE = /uwsgi-ts: all workers ready/;

export async function startServer(
  args: readonly string[],
  options: StartOptions = {},
): Promise<RunningServer> {
  // stderr joins stdout in one pipe (`2>&1`, then exec: the pid is the server's): every process's
  // lines, whichever of the two it writes to, arrive in the order they were written
  const proc = spawn('/bin/sh', ['-c', 'exec "$@" 2>&1', 'sh', process.execPath, CLI, ...args], {
    cwd: options.cwd ?? REPO,
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let text = '';
  const waiters = new Set<() => void>();
  const onData = (d: Buffer) => {
    text += d.toString('utf8');
    for (const w of waiters) w();
  };
  proc.stdout?.on('data', onData);
  proc.stderr?.on('data', onData);
  const exited = once(proc, 'exit');

  const waitFor = (re: RegExp, timeoutMs = 10_000) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const check = () => {
        const m = text.match(re);
        if (m) {
          waiters.delete(check);
          clearTimeout(timer);
          resolve(m);
        }
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`timed out waiting for ${re} in:\n${text}`));
      }, timeoutMs);
      waiters.add(check);
      check();
    });

  const close = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    try {
      process.kill(-(proc.pid ?? 0), 'SIGINT');
    } catch {
      return;
    }
    const kill = setTimeout(() => {
      try {
        process.kill(-(proc.pid ?? 0), 'SIGKILL');
      } catch {
        // gone
      }
    }, 5000);
    await exited;
    clearTimeout(kill);
    // 'exit' can come before the last lines are read: wait for the pipe's end too (a process
    // that outlives the group and holds it open gets one second)
    const out = proc.stdout;
    if (out && !out.readableEnded) {
      const ended = new AbortController();
      await Promise.race([
        once(out, 'end').finally(() => ended.abort()),
        sleep(1000, undefined, { signal: ended.signal }).catch(() => {}),
      ]);
    }
  };

  if (!options.noWait) {
    try {
      await Promise.race([
        waitFor(READY_LINE, options.timeoutMs ?? 15_000),
        exited.then(() => {
          throw new Error(`server exited before it was ready:\n${text}`);
        }),
      ]);
    } catch (err) {
      await close();
      throw err;
    }
  }
  const ports = [...text.matchAll(/bound to TCP address \S*:(\d+) fd/g)].map((m) => Number(m[1]));
  return {
    proc,
    pid: proc.pid ?? 0,
    ports,
    port: ports[0] ?? 0,
    log: () => text,
    waitFor,
    close,
  };
}
