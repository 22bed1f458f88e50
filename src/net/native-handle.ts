// The one place uwsgi-ts reaches into Node internals: `net._createServerHandle`, the function the
// cluster module uses to bind a socket WITHOUT listening on it. The master binds and keeps the
// handle (so the socket survives worker deaths and reloads, as uWSGI's master keeps its fds)
// but never accepts on it; each worker receives it over IPC and listens/accepts directly.

import net from 'node:net';

/** A libuv TCP or Pipe handle, as far as we use it. */
export interface NativeHandle {
  readonly fd: number;
  getsockname?(out: { address?: string; port?: number; family?: string }): number;
  close(): void;
}

type CreateServerHandle = (
  address: string | null,
  port: number,
  addressType: number,
  fd?: number,
  flags?: number,
) => NativeHandle | number;

const create = (net as unknown as { _createServerHandle?: CreateServerHandle })._createServerHandle;

/** Binds (without listening); returns the handle or a negative errno. */
export function createServerHandle(
  address: string | null,
  port: number,
  addressType: number,
  fd?: number,
): NativeHandle | number {
  if (typeof create !== 'function') throw new Error('this Node.js has no net._createServerHandle');
  return create(address, port, addressType, fd, 0);
}

/** The port a bound TCP handle got (for port 0). */
export function boundPort(handle: NativeHandle): number | undefined {
  const out: { port?: number } = {};
  if (handle.getsockname && handle.getsockname(out) === 0) return out.port;
  return undefined;
}
