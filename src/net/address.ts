// Socket addresses as uWSGI writes them (reference §2 ADDR): `host:port`, `:port` (all
// interfaces), `[::1]:port`, `/path/to.sock` (or any string without a port), `@abstract`,
// `=N` (the Nth shared-socket) and `fd://N` (an inherited descriptor).

import { UwsgiError } from '../errors.js';

export type SocketAddress =
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number; readonly family: 4 | 6 }
  | { readonly kind: 'unix'; readonly path: string }
  | { readonly kind: 'abstract'; readonly name: string }
  | { readonly kind: 'shared'; readonly index: number }
  | { readonly kind: 'fd'; readonly fd: number };

function port(text: string, raw: string, where: string): number {
  const n = Number(text);
  if (!/^[0-9]+$/.test(text) || n > 65535) {
    throw new UwsgiError(
      'ERR_SOCKET_BAD_ADDRESS',
      `invalid port "${text}" in socket address "${raw}" (${where})`,
    );
  }
  return n;
}

export function parseAddress(raw: string, where: string): SocketAddress {
  const text = raw.trim();
  if (text === '') throw new UwsgiError('ERR_SOCKET_BAD_ADDRESS', `empty socket address (${where})`);
  if (text.startsWith('=')) {
    const index = Number(text.slice(1));
    if (!Number.isInteger(index) || index < 0) {
      throw new UwsgiError('ERR_SOCKET_BAD_ADDRESS', `invalid shared-socket reference "${raw}" (${where})`);
    }
    return { kind: 'shared', index };
  }
  if (text.startsWith('fd://')) return { kind: 'fd', fd: port(text.slice(5), raw, where) };
  if (text.startsWith('@')) return { kind: 'abstract', name: text.slice(1) };
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0 || text[close + 1] !== ':') {
      throw new UwsgiError('ERR_SOCKET_BAD_ADDRESS', `invalid IPv6 socket address "${raw}" (${where})`);
    }
    return {
      kind: 'tcp',
      host: text.slice(1, close),
      port: port(text.slice(close + 2), raw, where),
      family: 6,
    };
  }
  const colon = text.lastIndexOf(':');
  // a path never has a port; uWSGI treats anything without ':' as a unix socket
  if (colon < 0 || text.includes('/')) return { kind: 'unix', path: text };
  const host = text.slice(0, colon);
  return {
    kind: 'tcp',
    host: host === '' ? '0.0.0.0' : host,
    port: port(text.slice(colon + 1), raw, where),
    family: host.includes(':') ? 6 : 4,
  };
}

/** How uWSGI names an address in its log (`TCP address 127.0.0.1:3031`, `UNIX address /tmp/s.sock`). */
export function describeAddress(address: SocketAddress, boundPort?: number): string {
  switch (address.kind) {
    case 'tcp': {
      const host =
        address.family === 6 ? `[${address.host}]` : address.host === '0.0.0.0' ? '' : address.host;
      return `TCP address ${host}:${boundPort ?? address.port}`;
    }
    case 'unix':
      return `UNIX address ${address.path}`;
    case 'abstract':
      return `UNIX address @${address.name}`;
    case 'shared':
      return `shared socket ${address.index}`;
    case 'fd':
      return `inherited fd ${address.fd}`;
  }
}
