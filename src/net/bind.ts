// The master's side of sockets: bind every configured address once, before any worker exists,
// and keep the handles for the life of the instance (respawns and reloads reuse them).

import { chmodSync, chownSync, existsSync, statSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import { UwsgiError } from '../errors.js';
import { accountId } from '../os/accounts.js';
import { describeAddress, type SocketAddress } from './address.js';
import { boundPort, createServerHandle, type NativeHandle } from './native-handle.js';
import { os } from './os-errno.js';
import type { SocketProtocol } from './socket-protocol.js';

export interface TlsFiles {
  readonly cert: string;
  readonly key: string;
  readonly ciphers?: string;
  readonly ca?: string;
}

export interface SocketRequest {
  readonly protocol: SocketProtocol;
  readonly address: SocketAddress;
  /** The option's value as written, and where, for messages. */
  readonly raw: string;
  readonly where: string;
  readonly tls?: TlsFiles;
}

export interface BoundSocket {
  readonly index: number;
  readonly protocol: SocketProtocol;
  readonly address: SocketAddress;
  readonly handle: NativeHandle;
  /** `TCP address 127.0.0.1:3031` with the real port. */
  readonly description: string;
  /** For `vacuum`: the unix socket file this instance created. */
  readonly unixPath?: string;
  readonly tls?: TlsFiles;
  readonly inherited: boolean;
}

export interface BindOptions {
  /** `chmod-socket` mode for unix sockets. */
  readonly chmod?: number;
  /** `chown-socket` as `user[:group]`. */
  readonly chown?: string;
  /** Already bound shared sockets, for `=N` references. */
  readonly shared: readonly BoundSocket[];
  /** Inherited listening fds (systemd LISTEN_FDS), matched by address. */
  readonly inherited: ReadonlyMap<string, NativeHandle>;
}

/** Is something already accepting on this TCP address? (libuv only reports EADDRINUSE at listen time.) */
function probeTcp(host: string, port: number): Promise<NodeJS.ErrnoException | undefined> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => resolve(err));
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve(undefined)));
  });
}

/** Is a process accepting on this unix socket path? */
function probeUnix(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const client = net.connect(path);
    client.once('connect', () => {
      client.destroy();
      resolve(true);
    });
    client.once('error', () => resolve(false));
  });
}

function inUse(request: SocketRequest, description: string): UwsgiError {
  return new UwsgiError(
    'ERR_SOCKET_IN_USE',
    `probably another instance of uWSGI is running on the same address (${description.replace(/^\S+ address /, '')}): address already in use (${request.where})`,
  );
}

export async function bindSocket(
  index: number,
  request: SocketRequest,
  options: BindOptions,
): Promise<BoundSocket> {
  const { address } = request;
  const base = { index, protocol: request.protocol, address, ...(request.tls ? { tls: request.tls } : {}) };
  const fail = (errno: number): never => {
    throw new UwsgiError(
      'ERR_SOCKET_BIND',
      `cannot bind ${describeAddress(address)}: ${os(errno)} (${request.where})`,
    );
  };
  switch (address.kind) {
    case 'shared': {
      const shared = options.shared[address.index];
      if (!shared) {
        throw new UwsgiError(
          'ERR_SOCKET_BAD_ADDRESS',
          `"=${address.index}" names no shared-socket (${request.where})`,
        );
      }
      return {
        ...base,
        address: shared.address,
        handle: shared.handle,
        description: shared.description,
        inherited: true,
      };
    }
    case 'fd': {
      const handle = options.inherited.get(`fd:${address.fd}`) ?? createServerHandle(null, 0, 0, address.fd);
      if (typeof handle === 'number') return fail(handle);
      return { ...base, handle, description: `inherited fd ${address.fd}`, inherited: true };
    }
    case 'tcp': {
      const key = `tcp:${address.host}:${address.port}`;
      const inherited = options.inherited.get(key);
      if (inherited)
        return { ...base, handle: inherited, description: describeAddress(address), inherited: true };
      if (address.port !== 0) {
        const err = await probeTcp(address.host, address.port);
        if (err?.code === 'EADDRINUSE') throw inUse(request, describeAddress(address));
        if (err)
          throw new UwsgiError(
            'ERR_SOCKET_BIND',
            `cannot bind ${describeAddress(address)}: ${err.code ?? err.message} (${request.where})`,
          );
      }
      const handle = createServerHandle(address.host, address.port, address.family);
      if (typeof handle === 'number') return fail(handle);
      return { ...base, handle, description: describeAddress(address, boundPort(handle)), inherited: false };
    }
    case 'unix':
    case 'abstract': {
      const path = address.kind === 'unix' ? address.path : `\0${address.name}`;
      const inherited = options.inherited.get(`unix:${path}`);
      if (inherited)
        return { ...base, handle: inherited, description: describeAddress(address), inherited: true };
      if (address.kind === 'unix' && existsSync(path)) {
        if (!statSync(path).isSocket() || (await probeUnix(path)))
          throw inUse(request, describeAddress(address));
        unlinkSync(path); // a stale socket left by a crash
      }
      const handle = createServerHandle(path, -1, -1);
      if (typeof handle === 'number') return fail(handle);
      if (address.kind === 'unix') {
        if (options.chmod !== undefined) chmodSync(path, options.chmod);
        if (options.chown) {
          const [user = '', group] = options.chown.split(':');
          const uid = accountId('user', user);
          const gid = group === undefined ? -1 : accountId('group', group);
          if (uid === undefined || gid === undefined) {
            throw new UwsgiError(
              'ERR_SOCKET_BIND',
              `chown-socket: unknown user or group "${options.chown}" (${request.where})`,
            );
          }
          chownSync(path, uid, gid);
        }
      }
      return {
        ...base,
        handle,
        description: describeAddress(address),
        ...(address.kind === 'unix' ? { unixPath: path } : {}),
        inherited: false,
      };
    }
  }
}
