// A gateway's stats server: the JSON (router-stats.ts) written on connect, then closed.

import net from 'node:net';

export function statsServer(answer: () => string): net.Server {
  return net.createServer((socket) => {
    socket.on('error', () => socket.destroy());
    socket.end(answer());
  });
}
