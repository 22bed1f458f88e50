// An app that calls listen() itself (Express's `app.listen(3000)`, `http.createServer(h).listen()`,
// `new WebSocketServer({ port })`) is served on the instance's sockets, as node:cluster serves
// its workers' listen(): inside a worker, net.Server's listen() binds nothing for a server that is
// not the worker's own. The server is "adopted": it says it listens (its callback and 'listening'
// run, address() answers what it asked for), and its 'request' and 'upgrade' listeners get the
// instance's requests (app-loader.ts). Without this, the first worker binds the app's port and
// every other one dies of EADDRINUSE.

import net from 'node:net';

export interface AdoptedServer extends net.Server {
  /** What listen() was asked for, for the log line ("3000", "127.0.0.1:8080", a path). */
  readonly asked: string;
}

/** The worker's own servers (its sockets): their listen() is the real one. */
const own = new WeakSet<net.Server>();
const adopted: AdoptedServer[] = [];
const waiters = new Set<() => void>();
let installed = false;

/** Marks a server the worker itself listens on (the instance's sockets). */
export function ownServer<S extends net.Server>(server: S): S {
  own.add(server);
  return server;
}

/** The servers apps listen()ed on so far, in order. */
export function adoptedServers(): readonly AdoptedServer[] {
  return adopted;
}

/**
 * The server an app listen()s on while it starts up (after an `await` at the top of its module,
 * or in a callback): the first one after `count`, or undefined after `ms`.
 */
export function waitForAdoption(count: number, ms = 1000): Promise<AdoptedServer | undefined> {
  return new Promise((resolve) => {
    const check = () => {
      const server = adopted[count];
      if (!server) return;
      waiters.delete(check);
      clearTimeout(timer);
      resolve(server);
    };
    const timer = setTimeout(() => {
      waiters.delete(check);
      resolve(undefined);
    }, ms);
    waiters.add(check);
    check();
  });
}

/** listen()'s many forms: (port, host?, backlog?, cb?), (path, cb?), ({ port, host, path }, cb?). */
function describe(args: readonly unknown[]): { asked: string; port: number; host: string } {
  const first = args[0];
  if (typeof first === 'object' && first !== null) {
    const o = first as { port?: unknown; host?: unknown; path?: unknown };
    if (typeof o.path === 'string') return { asked: o.path, port: 0, host: '' };
    const port = Number(o.port ?? 0);
    const host = typeof o.host === 'string' ? o.host : '';
    return { asked: host ? `${host}:${port}` : String(port), port, host };
  }
  if (typeof first === 'string' && !/^\d+$/.test(first)) return { asked: first, port: 0, host: '' };
  const port = Number(first ?? 0);
  const host = typeof args[1] === 'string' ? args[1] : '';
  return { asked: host ? `${host}:${port}` : String(port), port, host };
}

function adopt(server: net.Server, args: unknown[]): net.Server {
  const last = args[args.length - 1];
  if (typeof last === 'function') server.once('listening', last as () => void);
  const { asked, port, host } = describe(args);
  const family = host.includes(':') ? 'IPv6' : 'IPv4';
  const address = { address: host || (family === 'IPv6' ? '::' : '0.0.0.0'), family, port };
  let listening = true;
  Object.defineProperties(server, {
    asked: { value: asked, configurable: true },
    listening: { get: () => listening, configurable: true },
    address: { value: () => (listening ? address : null), configurable: true, writable: true },
    close: {
      value(this: net.Server, cb?: (err?: Error) => void) {
        listening = false;
        const at = adopted.indexOf(this as AdoptedServer);
        if (at >= 0) adopted.splice(at, 1);
        process.nextTick(() => {
          this.emit('close');
          cb?.();
        });
        return this;
      },
      configurable: true,
      writable: true,
    },
  });
  adopted.push(server as AdoptedServer);
  process.nextTick(() => server.emit('listening'));
  for (const waiter of [...waiters]) waiter();
  return server;
}

/** Installs the interception once per process (a worker, before its apps load). */
export function installListenCapture(): void {
  if (installed) return;
  installed = true;
  const listen = net.Server.prototype.listen;
  net.Server.prototype.listen = function (this: net.Server, ...args: unknown[]) {
    if (own.has(this)) return (listen as (...a: unknown[]) => net.Server).apply(this, args);
    return adopt(this, args);
  } as typeof listen;
}
