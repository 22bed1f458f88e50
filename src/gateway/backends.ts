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

export function connectOnce(backend: Backend, timeoutMs: number, allowHalfOpen = false): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const a = backend.address;
    const socket =
      a.kind === 'tcp'
        ? net.connect({ host: a.host, port: a.port, allowHalfOpen })
        : net.connect({ path: a.kind === 'unix' ? a.path : `\0${a.name}`, allowHalfOpen });
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

/**
 * The corerouters' way (rawrouter, sslrouter; observed on uWSGI 2.0.21, test/fixtures/gateway/
 * rawrouter-uwsgi-2.0.21.json): uWSGI's own failure lines, and a static node that refused is
 * "marked as failed" and left out of the round for `graceMs` (`rawrouter-gracetime`).
 */
export interface FailureStyle {
  readonly gateway: string;
  readonly graceMs: number;
  /** A TCP proxy's backend connections pass a half-close on instead of closing. */
  readonly halfOpen: boolean;
}

// strerror() of the errors a connect() gives, for uWSGI's lines
const STRERROR: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'Connection refused',
  ENOENT: 'No such file or directory',
  ETIMEDOUT: 'Connection timed out',
  EACCES: 'Permission denied',
  EHOSTUNREACH: 'No route to host',
  ENETUNREACH: 'Network is unreachable',
  ECONNRESET: 'Connection reset by peer',
};

export class BackendList {
  private next = 0;
  /** Requests each backend took, by name (the stats' `static_nodes` hits). */
  readonly hits = new Map<string, number>();
  /** Static nodes marked failed: the time (ms) they come back (the stats' `grace`, in seconds). */
  readonly graceUntil = new Map<string, number>();

  constructor(
    readonly backends: readonly Backend[],
    private readonly connectTimeoutMs: number,
    private readonly log: (line: string) => void,
    private readonly style?: FailureStyle,
  ) {}

  /**
   * The static backends from the next one in the round, the others after it (failover order);
   * nodes in their grace time go last.
   */
  order(): Backend[] {
    const n = this.backends.length;
    if (n === 0) return [];
    const now = Date.now();
    const resting = (b: Backend) => (this.graceUntil.get(b.name) ?? 0) > now;
    let first = this.next;
    // skip resting nodes for the round's pick, as uWSGI does, unless every node rests
    for (let i = 0; i < n && resting(this.backends[first] as Backend); i++) first = (first + 1) % n;
    this.next = (first + 1) % n;
    const round = Array.from({ length: n }, (_, i) => this.backends[(first + i) % n] as Backend);
    return [...round.filter((b) => !resting(b)), ...round.filter(resting)];
  }

  /**
   * A connected socket to the first of `order` (default: the round) that answers, or undefined.
   * `via` is the address the client came in on (uWSGI names it when it marks a node failed).
   */
  async connect(
    order: readonly Backend[] = this.order(),
    via = '',
  ): Promise<{ socket: net.Socket; backend: Backend } | undefined> {
    for (const [attempt, backend] of order.entries()) {
      try {
        const socket = await connectOnce(backend, this.connectTimeoutMs, this.style?.halfOpen);
        this.hits.set(backend.name, (this.hits.get(backend.name) ?? 0) + 1);
        this.graceUntil.delete(backend.name);
        // uWSGI's corerouters move the round on with each try: the next pick follows the node that
        // answered (observed: -to A, dead B, C gives A, C, A, C)
        const index = this.backends.indexOf(backend);
        if (this.style && index >= 0) this.next = (index + 1) % this.backends.length;
        return { socket, backend };
      } catch (err) {
        this.failed(backend, attempt, err as NodeJS.ErrnoException, via);
      }
    }
    return undefined;
  }

  private failed(backend: Backend, attempt: number, e: NodeJS.ErrnoException, via: string): void {
    const style = this.style;
    if (!style) {
      this.log(
        `[uwsgi-http] unable to connect() to node "${backend.name}": ${e.message}${e.code ? ` [${e.code}]` : ''}\n`,
      );
      return;
    }
    const why = (e.code && STRERROR[e.code]) ?? e.message;
    this.log(
      `[uwsgi-${style.gateway}] unable to connect() to node "${backend.name}" (${attempt} retries): ${why}\n`,
    );
    if (style.graceMs > 0 && this.backends.includes(backend)) {
      this.log(`[uwsgi-${style.gateway}] ${via} => marking ${backend.name} as failed\n`);
      this.graceUntil.set(backend.name, Date.now() + style.graceMs);
    }
  }
}
