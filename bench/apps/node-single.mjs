// Bare node:http, one process: `node bench/apps/node-single.mjs PORT`. The per-worker RSS baseline
// for uwsgi-ts workers (same response bytes as hello-node.mjs); prints `node-single: ready`.
import { createServer } from 'node:http';

const port = Number(process.argv[2] ?? 0);

createServer((_req, res) => {
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': '11' });
  res.end('Hello World');
}).listen(port, '127.0.0.1', () => console.log(`node-single: ready on port ${port}`));
