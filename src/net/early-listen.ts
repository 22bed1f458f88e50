// The master puts its bound sockets in the listening state at once (native/listen.c), so a client
// that connects while the first workers load their apps waits in the kernel's queue (up to
// `listen`), as under uWSGI's master, instead of being refused. Without the addon (it failed to
// build) the workers' own listen() does it, as before: connections are refused until the first
// worker is ready. Sockets inherited from systemd or an Emperor are listening already.

import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { BoundSocket } from './bind.js';

const ADDON_PATH = fileURLToPath(new URL('../../build/Release/uwsgi_ts_listen.node', import.meta.url));

export interface ListenAddon {
  listen(fd: number, backlog: number): void;
  /** poll(2) without a timeout: a connection waits (an addon built before it has none). */
  readable?(fd: number): boolean;
}

let loaded: ListenAddon | null | undefined;

/** The addon, loaded once; null when it was not built. */
export function listenAddon(): ListenAddon | null {
  if (loaded !== undefined) return loaded;
  try {
    const value = createRequire(import.meta.url)(ADDON_PATH) as Partial<ListenAddon>;
    loaded = typeof value.listen === 'function' ? (value as ListenAddon) : null;
  } catch {
    loaded = null;
  }
  return loaded;
}

/** Listens on every socket the master bound itself; how many it put in the listening state. */
export function listenEarly(
  bound: readonly BoundSocket[],
  backlog: number,
  log: (line: string) => void,
): number {
  const native = listenAddon();
  if (!native) return 0;
  let listening = 0;
  for (const b of bound) {
    if (b.inherited || b.handle.fd < 0) continue;
    try {
      native.listen(b.handle.fd, backlog);
      listening++;
    } catch (err) {
      // the workers' listen() will report it with the socket's name
      log(`early listen on ${b.description}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return listening;
}

/**
 * listen(2) on a socket a worker serves itself (native-bridge.ts accepts on it without a
 * net.Server): sets its backlog as a worker's listen() would. False without the addon.
 */
export function listenFd(fd: number, backlog: number): boolean {
  const native = listenAddon();
  if (!native) return false;
  native.listen(fd, backlog);
  return true;
}
