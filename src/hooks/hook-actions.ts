// The hook actions (`hook-* = ACTION:ARGS`), one row each: what a line may say, and what it does.
// Names and argument forms are uWSGI 2.0.21's (checked against its binary: `write:FILE STRING`,
// "(max 60 seconds)" for the wait_for_* actions...). Actions that call C functions or need a
// syscall Node cannot make are rows that refuse at start, with what to write instead.

import { spawn } from 'node:child_process';
import {
  appendFileSync,
  chmodSync,
  chownSync,
  closeSync,
  constants,
  mkdirSync,
  openSync,
  statSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import net from 'node:net';
import { accountId } from '../os/accounts.js';

export interface HookContext {
  /** A whole log line (no newline). */
  log(line: string): void;
  /**
   * The environment `putenv:` changes and `exec:` runs with, when not this process's own (the
   * Emperor's as-emperor commands get UWSGI_VASSAL_CONFIG/UWSGI_VASSAL_PID in a copy).
   */
  readonly env?: Record<string, string | undefined>;
  /** The label of an exec-* command's line instead of the phase's (as-emperor's names the vassal). */
  readonly commandLabel?: string;
  /** uWSGI logs `command "..." exited with code: N` after each as-emperor command. */
  readonly reportExit?: boolean;
}

export interface HookAction {
  /** Why the argument is wrong (`must be: <file> <string>`), checked when the config is read. */
  check?(arg: string): string | undefined;
  /** Set for an action uwsgi-ts will not run: the start stops with this text. */
  readonly refused?: string;
  /** Runs the action; throws an Error whose message is the line uWSGI would log. */
  run(arg: string, ctx: HookContext): Promise<void> | void;
}

/** `FILE STRING`: split at the first space. */
function fileAndText(arg: string): [string, string] {
  const space = arg.indexOf(' ');
  return space < 0 ? [arg, ''] : [arg.slice(0, space), arg.slice(space + 1)];
}

const needsText = (arg: string) => (arg.indexOf(' ') > 0 ? undefined : 'must be: <file> <string>');

/** Node's error as uWSGI's `call(): strerror` line. */
function sysError(call: string, path: string, err: unknown): Error {
  const e = err as NodeJS.ErrnoException;
  const why = e.code ? `${e.message.split(':')[0] ?? e.code}` : String(err);
  return new Error(`${call}("${path}"): ${why}`);
}

function fsCall(call: string, path: string, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    throw sysError(call, path, err);
  }
}

/** `sh -c COMMAND`, its output into the log line by line; a non-zero exit fails the hook. */
export function runCommand(command: string, ctx: HookContext): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', command], {
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(ctx.env ? { env: ctx.env } : {}),
    });
    const forward = (stream: NodeJS.ReadableStream) => {
      let rest = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        const lines = (rest + chunk).split('\n');
        rest = lines.pop() ?? '';
        for (const line of lines) ctx.log(line);
      });
      stream.on('end', () => {
        if (rest !== '') ctx.log(rest);
      });
    };
    if (child.stdout) forward(child.stdout);
    if (child.stderr) forward(child.stderr);
    child.on('error', (err) => reject(new Error(`command "${command}" could not start: ${err.message}`)));
    child.on('close', (code, signal) => {
      if (ctx.reportExit && code !== null) ctx.log(`command "${command}" exited with code: ${code}`);
      if (code === 0) resolve();
      else if (signal) reject(new Error(`command "${command}" was killed by signal ${signal}`));
      else reject(new Error(`command "${command}" exited with non-zero code: ${code}`));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** uWSGI's wait_for_* actions: look once a second for up to 60 seconds. */
function waitFor(what: (arg: string) => boolean | Promise<boolean>): HookAction {
  return {
    async run(arg, ctx) {
      ctx.log(`waiting for ${arg} (max 60 seconds) ...`);
      for (let i = 0; i < 60; i++) {
        if (await what(arg)) return;
        await sleep(1000);
      }
      throw new Error(`giving up waiting for ${arg}`);
    },
  };
}

function statOf(path: string): ReturnType<typeof statSync> | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

/** Connects to a unix path or HOST:PORT once; true when it accepts. */
function accepts(address: string): Promise<boolean> {
  return new Promise((resolve) => {
    const colon = address.lastIndexOf(':');
    const socket =
      address.includes('/') || colon < 0
        ? net.connect(address)
        : net.connect(Number(address.slice(colon + 1)), address.slice(0, colon) || '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Opens a FIFO for writing without blocking (ENXIO while nobody reads it) and writes. */
function writeFifo(path: string, text: string): void {
  const fd = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
}

const C_ONLY = 'calls a C function, which uwsgi-ts cannot: write the work as exec:COMMAND';

export const HOOK_ACTIONS: Readonly<Record<string, HookAction>> = {
  exec: { run: (arg, ctx) => runCommand(arg, ctx) },
  cd: { run: (arg) => fsCall('chdir', arg, () => process.chdir(arg)) },
  mkdir: { run: (arg) => fsCall('mkdir', arg, () => mkdirSync(arg, 0o777)) },
  putenv: {
    run: (arg, ctx) => {
      // putenv(3): NAME=VALUE sets, a bare NAME removes
      const env = ctx.env ?? process.env;
      const eq = arg.indexOf('=');
      if (eq > 0) env[arg.slice(0, eq)] = arg.slice(eq + 1);
      else if (arg !== '') delete env[arg];
    },
  },
  unlink: { run: (arg) => fsCall('unlink', arg, () => unlinkSync(arg)) },
  print: { run: (arg, ctx) => ctx.log(arg) },
  write: {
    check: needsText,
    run: (arg) => {
      const [file, text] = fileAndText(arg);
      fsCall('open', file, () => writeFileSync(file, text));
    },
  },
  writen: {
    check: needsText,
    run: (arg) => {
      const [file, text] = fileAndText(arg);
      fsCall('open', file, () => writeFileSync(file, `${text}\n`));
    },
  },
  append: {
    check: needsText,
    run: (arg) => {
      const [file, text] = fileAndText(arg);
      fsCall('open', file, () => appendFileSync(file, text));
    },
  },
  // uWSGI allows appendn without a string: a bare newline
  appendn: {
    run: (arg) => {
      const [file, text] = fileAndText(arg);
      fsCall('open', file, () => appendFileSync(file, `${text}\n`));
    },
  },
  creat: { run: (arg) => fsCall('open', arg, () => closeSync(openSync(arg, 'w'))) },
  writefifo: {
    check: needsText,
    run: (arg) => {
      const [file, text] = fileAndText(arg);
      fsCall('open', file, () => writeFifo(file, text));
    },
  },
  // the same, retried every second until a reader has the FIFO open
  spinningfifo: {
    check: needsText,
    async run(arg) {
      const [file, text] = fileAndText(arg);
      for (;;) {
        try {
          writeFifo(file, text);
          return;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENXIO') throw sysError('open', file, err);
        }
        await sleep(1000);
      }
    },
  },
  chmod: {
    check: (arg) => (/^\S+ [0-7]{1,4}$/.test(arg) ? undefined : 'must be: <file> <mode>'),
    run: (arg) => {
      const [file, mode] = fileAndText(arg);
      fsCall('chmod', file, () => chmodSync(file, Number.parseInt(mode, 8)));
    },
  },
  chown: {
    check: (arg) => (arg.split(' ').length === 3 ? undefined : 'must be: <file> <uid> <gid>'),
    run: (arg) => {
      const [file = '', user = '', group = ''] = arg.split(' ');
      const uid = accountId('user', user);
      const gid = accountId('group', group);
      if (uid === undefined) throw new Error(`unknown user "${user}"`);
      if (gid === undefined) throw new Error(`unknown group "${group}"`);
      fsCall('chown', file, () => chownSync(file, uid, gid));
    },
  },
  sticky: {
    run: (arg) => fsCall('chmod', arg, () => chmodSync(arg, (statSync(arg).mode & 0o7777) | 0o1000)),
  },
  wait_for_fs: waitFor((arg) => statOf(arg) !== undefined),
  wait_for_file: waitFor((arg) => statOf(arg)?.isFile() === true),
  wait_for_dir: waitFor((arg) => statOf(arg)?.isDirectory() === true),
  wait_for_socket: waitFor(accepts),
  exit: {
    // uWSGI 2.0.21 exits 0 whatever the number (README: hooks); the number is honoured here
    run: (arg) => process.exit(Number.parseInt(arg, 10) || 0),
  },
  call: { refused: C_ONLY, run: () => {} },
  callret: { refused: C_ONLY, run: () => {} },
  callint: { refused: C_ONLY, run: () => {} },
  callintret: { refused: C_ONLY, run: () => {} },
  mount: { refused: 'needs mount(2), which Node cannot call: write exec:mount ARGS', run: () => {} },
  umount: { refused: 'needs umount(2), which Node cannot call: write exec:umount ARGS', run: () => {} },
  unix_signal: {
    refused: 'installs a C signal handler: register a uwsgi signal handler in the app instead',
    run: () => {},
  },
  rpc: { refused: 'calls an RPC function, which hooks do not do yet: write exec:COMMAND', run: () => {} },
  retryrpc: {
    refused: 'calls an RPC function, which hooks do not do yet: write exec:COMMAND',
    run: () => {},
  },
};
