// The stats server of the master (reference §5): `stats = ADDR` (TCP when it has a `:`, else a
// unix socket) writes one JSON document per connection and closes; `stats-http` answers HTTP
// (and, beyond uWSGI, Prometheus text at /metrics); `stats-minified` drops the whitespace.

import { rmSync } from 'node:fs';
import net from 'node:net';
import { parseAddress } from '../net/address.js';
import { prometheusText } from './prometheus.js';
import { renderStats, type StatsObject } from './stats-json.js';

export interface StatsServerOptions {
  readonly address: string;
  readonly http: boolean;
  readonly minified: boolean;
  readonly document: () => Promise<StatsObject>;
  readonly log: (line: string) => void;
}

const HTTP_JSON =
  'HTTP/1.0 200 OK\r\nConnection: close\r\nAccess-Control-Allow-Origin: *\r\nContent-Type: application/json\r\n\r\n';
const HTTP_METRICS =
  'HTTP/1.0 200 OK\r\nConnection: close\r\nContent-Type: text/plain; version=0.0.4\r\n\r\n';

export class StatsServer {
  private server: net.Server | undefined;
  private unixPath: string | undefined;

  constructor(private readonly options: StatsServerOptions) {}

  async start(): Promise<void> {
    const { options } = this;
    const address = parseAddress(options.address, 'stats');
    const server = net.createServer((socket) => this.serve(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      if (address.kind === 'tcp') server.listen({ host: address.host, port: address.port }, resolve);
      else if (address.kind === 'unix') {
        rmSync(address.path, { force: true });
        this.unixPath = address.path;
        server.listen(address.path, resolve);
      } else if (address.kind === 'abstract') server.listen(`\0${address.name}`, resolve);
      else reject(new Error(`unsupported stats address ${options.address}`));
    });
    server.unref();
    this.server = server;
    const bound = server.address();
    const where =
      typeof bound === 'object' && bound
        ? `${address.kind === 'tcp' ? address.host : ''}:${bound.port}`
        : options.address;
    options.log(
      `*** Stats server enabled on ${where} fd: ${(server as unknown as { _handle?: { fd?: number } })._handle?.fd ?? -1} ***`,
    );
  }

  private serve(socket: net.Socket): void {
    socket.on('error', () => {});
    if (!this.options.http) {
      void this.answer(socket, '/');
      return;
    }
    let head = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      head += chunk;
      if (head.includes('\r\n\r\n') || head.length > 4096) {
        socket.removeAllListeners('data');
        const path = /^[A-Z]+ (\S+)/.exec(head)?.[1] ?? '/';
        void this.answer(socket, path);
      }
    });
  }

  private async answer(socket: net.Socket, path: string): Promise<void> {
    try {
      const doc = await this.options.document();
      if (this.options.http && path.split('?')[0] === '/metrics')
        socket.end(HTTP_METRICS + prometheusText(doc));
      else socket.end((this.options.http ? HTTP_JSON : '') + renderStats(doc, this.options.minified));
    } catch (err) {
      this.options.log(`stats server: ${(err as Error).message}`);
      socket.destroy();
    }
  }

  close(): void {
    this.server?.close();
    if (this.unixPath) rmSync(this.unixPath, { force: true });
  }
}
