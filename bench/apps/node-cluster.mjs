// Raw node:http baseline: `node bench/apps/node-cluster.mjs PORT [PROCESSES]` forks PROCESSES
// (default 2) node:cluster workers serving `Hello World` on 127.0.0.1:PORT with keep-alive, the
// same bytes as hello-node.mjs. The primary prints `node-cluster: all workers ready` once every
// worker listens. Default scheduling (round-robin on Linux), as a user gets it.
import cluster from 'node:cluster';
import { createServer } from 'node:http';

const port = Number(process.argv[2] ?? 0);
const processes = Number(process.argv[3] ?? 2);

if (cluster.isPrimary) {
  let listening = 0;
  cluster.on('listening', () => {
    listening += 1;
    if (listening === processes) console.log(`node-cluster: all workers ready on port ${port}`);
  });
  cluster.on('exit', (worker, code, signal) => {
    console.error(`node-cluster: worker ${worker.process.pid} exited (${signal ?? code})`);
  });
  for (let i = 0; i < processes; i++) cluster.fork();
} else {
  createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': '11' });
    res.end('Hello World');
  }).listen(port, '127.0.0.1');
}
