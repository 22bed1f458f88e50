// The accept queue of a listening TCP socket, from /proc/net/tcp{,6}: for a socket in LISTEN
// state the kernel reports the current queue length as rx_queue and the backlog as tx_queue.
// uWSGI reads the same through TCP_INFO (reference §5 `listen_queue`, `queue`, `max_queue`).

import { readFileSync } from 'node:fs';

export interface ListenQueue {
  readonly queue: number;
  readonly max: number;
}

export function listenQueue(port: number): ListenQueue | undefined {
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const local = fields[1];
      const state = fields[3];
      const queues = fields[4];
      if (!local || state !== '0A' || !queues) continue;
      if (Number.parseInt(local.slice(local.lastIndexOf(':') + 1), 16) !== port) continue;
      const [tx = '0', rx = '0'] = queues.split(':');
      return { queue: Number.parseInt(rx, 16), max: Number.parseInt(tx, 16) };
    }
  }
  return undefined;
}

/**
 * The accept queue of a listening unix socket (`path`, or `@name` for an abstract one): Linux
 * lists each connection not yet accepted in /proc/net/unix with the listener's path and the
 * state SS_CONNECTING (02).
 */
export function unixListenQueue(path: string): number {
  let text: string;
  try {
    text = readFileSync('/proc/net/unix', 'utf8');
  } catch {
    return 0;
  }
  let queue = 0;
  for (const line of text.split('\n')) {
    if (!line.endsWith(path)) continue;
    const fields = line.trim().split(/\s+/);
    if (fields[5] === '02' && fields[7] === path) queue++;
  }
  return queue;
}
