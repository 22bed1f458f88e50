// Plain TCP backends and clients for the rawrouter and sslrouter tests: small node:net servers on
// port 0 (a greeting server that speaks first, an echo), a client that sends, half-closes and
// reads until the far end closes, and the port of a corerouter from the master's log line.
import net from 'node:net';
import type { RunningServer } from './server.js';

export interface TcpBackend {
  readonly port: number;
  readonly server: net.Server;
  /** Connections accepted so far. */
  accepted(): number;
  close(): Promise<void>;
}

export async function tcpBackend(onConnection: (socket: net.Socket) => void): Promise<TcpBackend> {
  let count = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    count++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    onConnection(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    port: (server.address() as net.AddressInfo).port,
    server,
    accepted: () => count,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Says `NAME\n` as soon as a client connects (before it sends anything), then echoes. */
export function greeter(name: string): (socket: net.Socket) => void {
  return (socket) => {
    socket.write(`${name}\n`);
    socket.pipe(socket);
  };
}

/** Connects, sends `data` (if any) then half-closes, and resolves with all it read until close. */
export function exchange(port: number, data?: Buffer | string, timeoutMs = 20_000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const s = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true }, () => {
      if (data !== undefined) s.end(data);
    });
    s.on('data', (d: Buffer) => chunks.push(d));
    s.on('end', () => s.end());
    s.on('close', () => resolve(Buffer.concat(chunks)));
    s.on('error', reject);
    s.setTimeout(timeoutMs, () => s.destroy(new Error('timed out')));
  });
}

/** Reads from `socket` until `re` matches what arrived (as latin1 text). */
export function readUntil(socket: net.Socket, re: RegExp, timeoutMs = 15_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => {
      socket.off('data', onData);
      reject(new Error(`timed out waiting for ${re}; got ${JSON.stringify(text)}`));
    }, timeoutMs);
    const onData = (d: Buffer) => {
      text += d.toString('latin1');
      if (re.test(text)) {
        clearTimeout(timer);
        socket.off('data', onData);
        resolve(text);
      }
    };
    socket.on('data', onData);
  });
}

/** The real port of a corerouter's first socket ("uWSGI rawrouter bound on 127.0.0.1:PORT fd N"). */
export function corerouterPort(server: RunningServer, gateway: 'rawrouter' | 'sslrouter'): number {
  const m = server.log().match(new RegExp(`uWSGI ${gateway} bound on \\S*:(\\d+) fd`));
  if (!m) throw new Error(`no ${gateway} address in the log:\n${server.log()}`);
  return Number(m[1]);
}

/** The port of a gateway's stats server, and its JSON read once. */
export async function gatewayStats(server: RunningServer, gateway: string): Promise<Record<string, unknown>> {
  const m = server.log().match(new RegExp(`${gateway} stats server enabled on \\S*:(\\d+) fd`));
  if (!m) throw new Error(`no ${gateway} stats server in the log:\n${server.log()}`);
  const text = (await exchange(Number(m[1]))).toString('utf8');
  return JSON.parse(text) as Record<string, unknown>;
}
