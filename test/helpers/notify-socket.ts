// A NOTIFY_SOCKET for a test: a unix datagram socket, as systemd binds it, that records every
// datagram. Node has no unix datagram sockets, so the listener is a few lines of python3 (on
// every machine here, SPEC); tests skip when it is missing.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';

const LISTENER = `
import socket, sys, json
path = sys.argv[1]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(('\\0' + path[1:]) if path.startswith('@') else path)
print(json.dumps({"listening": True}), flush=True)
while True:
    data = s.recv(65536)
    print(json.dumps({"message": data.decode()}), flush=True)
`;

export const noPython =
  spawnSync('python3', ['-c', 'import socket'], { stdio: 'ignore' }).status === 0
    ? undefined
    : 'python3 is needed to listen on a unix datagram socket';

export interface NotifySocket {
  readonly path: string;
  /** Every datagram so far, in order. */
  readonly messages: string[];
  /** Resolves with the first datagram from index `from` on whose lines include `line`. */
  waitFor(line: string, from?: number, timeoutMs?: number): Promise<number>;
  close(): Promise<void>;
}

export async function notifySocket(path: string): Promise<NotifySocket> {
  const child: ChildProcess = spawn('python3', ['-c', LISTENER, path], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const messages: string[] = [];
  const waiters = new Set<() => void>();
  let buffered = '';
  let listening: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    listening = resolve;
  });
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    let nl = buffered.indexOf('\n');
    while (nl >= 0) {
      const event = JSON.parse(buffered.slice(0, nl)) as { listening?: boolean; message?: string };
      buffered = buffered.slice(nl + 1);
      if (event.listening) listening();
      if (event.message !== undefined) messages.push(event.message);
      nl = buffered.indexOf('\n');
    }
    for (const w of waiters) w();
  });
  await ready;
  return {
    path,
    messages,
    waitFor(line, from = 0, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const i = messages.findIndex((m, n) => n >= from && m.split('\n').includes(line));
          if (i < 0) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(i);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no ${line} after message ${from} in ${JSON.stringify(messages)}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    async close() {
      if (child.exitCode !== null) return;
      child.kill('SIGKILL');
      await once(child, 'exit');
    },
  };
}
