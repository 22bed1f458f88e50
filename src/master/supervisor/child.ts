// What the supervisor needs of a child process (a ChildProcess fits), and the one way the master
// sends to a child: a child may have exited, or be exiting, at any moment, so a send never throws
// and never leaves an error for the 'error' event (an unhandled ERR_IPC_CHANNEL_CLOSED there once
// took the whole master down when two reloads overlapped).

export interface ChildProcessLike {
  readonly pid?: number | undefined;
  /** false once the IPC channel is closed (a fake for tests may leave it undefined). */
  readonly connected?: boolean;
  send(
    message: unknown,
    handle?: unknown,
    options?: object,
    callback?: (error: Error | null) => void,
  ): boolean;
  kill(signal: NodeJS.Signals): boolean;
  on(event: 'message', listener: (message: unknown) => void): this;
  on(event: 'exit', listener: (code: number | null, signal: NodeJS.Signals | null) => void): this;
}

/** Ignores an asynchronous send failure: the child's exit is what the supervisor acts on. */
const ignore = (): void => {};

/**
 * Sends `message` (and `handle`, a listening socket) to `child`; false when the channel is closed
 * or the send fails. The callback form keeps a late failure off the child's 'error' event.
 */
export function safeSend(child: ChildProcessLike, message: unknown, handle?: unknown): boolean {
  if (child.connected === false) return false;
  try {
    return child.send(message, handle, {}, ignore);
  } catch {
    return false;
  }
}

/** Sends `signal` to `child`; false when it is already gone. */
export function safeKill(child: ChildProcessLike, signal: NodeJS.Signals): boolean {
  try {
    return child.kill(signal);
  } catch {
    return false;
  }
}

const SIGNAL_NUMBERS: Readonly<Record<string, number>> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGABRT: 6,
  SIGKILL: 9,
  SIGSEGV: 11,
  SIGTERM: 15,
};

/** `, killed by signal 9` / `, exit code 1` / nothing: how uWSGI words a child's end. */
export function howItEnded(code: number | null, signal: NodeJS.Signals | null): string {
  if (signal) return `, killed by signal ${SIGNAL_NUMBERS[signal] ?? signal}`;
  return code ? `, exit code ${code}` : '';
}
