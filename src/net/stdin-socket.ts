// A listening socket on fd 0: what an Emperor gives an on-demand vassal (src/emperor/on-demand.ts,
// reference §6.3), and what inetd-style launchers give. uWSGI 2.0.21 takes it as its socket 0
// (`uwsgi socket 0 inherited UNIX address /tmp/a.sock fd 0`, test/fixtures/emperor-on-demand/).
// Node cannot ask the kernel about an fd's socket, so its address comes from /proc: the fd's
// inode (readlink /proc/self/fd/0 = `socket:[N]`) looked up in /proc/net/{unix,tcp,tcp6}.

import { fstatSync, readFileSync, readlinkSync } from 'node:fs';
import type { SocketAddress } from './address.js';

/** Listening on /proc/net/unix: the flags carry __SO_ACCEPTCON. */
const UNIX_ACCEPTCON = 0x10000;
/** TCP_LISTEN in /proc/net/tcp's `st` column. */
const TCP_LISTEN = '0A';

/** The address of the listening socket on `fd`, or undefined when it is not one. */
export function listeningSocketOn(fd: number): SocketAddress | undefined {
  try {
    if (!fstatSync(fd).isSocket()) return undefined;
    const inode = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`))?.[1];
    if (!inode) return undefined;
    return unixListener(inode) ?? tcpListener(inode);
  } catch {
    return undefined;
  }
}

function unixListener(inode: string): SocketAddress | undefined {
  for (const line of readLines('/proc/net/unix')) {
    // Num RefCount Protocol Flags Type St Inode Path
    const f = line.trim().split(/\s+/);
    if (f[6] !== inode) continue;
    const path = f[7];
    if (!path || (Number.parseInt(f[3] ?? '0', 16) & UNIX_ACCEPTCON) === 0) return undefined;
    return path.startsWith('@') ? { kind: 'abstract', name: path.slice(1) } : { kind: 'unix', path };
  }
  return undefined;
}

function tcpListener(inode: string): SocketAddress | undefined {
  for (const [file, family] of [
    ['/proc/net/tcp', 4],
    ['/proc/net/tcp6', 6],
  ] as const) {
    for (const line of readLines(file)) {
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
      const f = line.trim().split(/\s+/);
      if (f[9] !== inode || f[3] !== TCP_LISTEN || !f[1]) continue;
      const [hex = '', port = '0'] = f[1].split(':');
      return { kind: 'tcp', host: hexHost(hex, family), port: Number.parseInt(port, 16), family };
    }
  }
  return undefined;
}

/** /proc's address: IPv4 as one little-endian word, IPv6 as four. */
function hexHost(hex: string, family: 4 | 6): string {
  const words = hex.match(/.{8}/g) ?? [];
  const bytes = words.flatMap((w) => (w.match(/../g) ?? []).reverse().map((b) => Number.parseInt(b, 16)));
  if (family === 4) return bytes.join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16));
  return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
}

function readLines(path: string): string[] {
  try {
    return readFileSync(path, 'utf8').split('\n').slice(1);
  } catch {
    return [];
  }
}
