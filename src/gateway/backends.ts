// A gateway's static backends (`http-to`, `fastrouter-to`): round robin over the list, and on a
// refused or timed-out connect the next one in the list, until each was tried once (seed manual
// "The uWSGI HTTP/HTTPS router": "static routing ... round robin"; uWSGI also fails over).

import net from 'node:net';
import type { SocketAddress } from '../net/address.js';

export type BackendAddress = Extract<
  SocketAddress,
  { kind: 'tcp' } | { kind: 'unix' } | { kind: 'abstract' }
>;

export interface Backend {
  /** As written in the config (`127.0.0.1:3031`), for log lines. */
  readonly name: string;
  readonly address: BackendAddress;
}

export function connectOnce(backend: Backend, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const a = backend.address;
    const socket =
      a.kind === 'tcp'
        ? net.connect({ host: a.host, port: a.port })
        : net.connect({ path: a.kind === 'unix' ? a.path : `\0${a.name}` });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(Object.assign(new Error('Connection timed out'), { code: 'ETIMEDOUT' }));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      socket.setNoDelay(true);
      resolve(socket);
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

export class BackendList {
  private next = 0;
  /** Requests each backend took, by name (the stats' `static_nodes` hits). */
  readonly hits = new Map<string, number>();

  constructor(
    readonly backends: readonly Backend[],
    private readonly connectTimeoutMs: number,
    private readonly log: (line: string) => void,
  ) {}

  /** The static backends from the next one in the round, the others after it (failover order). */
  order(): Backend[] {
    const n = this.backends.length;
    if (n === 0) return [];
    const first = this.next;
    this.next = (this.next + 1) % n;
    return Array.from({ length: n }, (_, i) => this.backends[(first + i) % n] as Backend);
  }

  /** A connected socket to the first of `order` (default: the round) that answers, or undefined. */
  async connect(
    order: readonly Backend[] = this.order(),
  ): Promise<{ socket: net.Socket; backend: Backend } | undefined> {
    for (const backend of order) {
      try {
        const socket = await connectOnce(backend, this.connectTimeoutMs);
        this.hits.set(backend.name, (this.hits.get(backend.name) ?? 0) + 1);
        return { socket, backend };
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        this.log(
          `[uwsgi-http] unable to connect() to node "${backend.name}": ${e.message}${e.code ? ` [${e.code}]` : ''}\n`,
        );
      }
    }
    return undefined;
  }
}
