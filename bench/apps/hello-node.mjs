// Bench app, Node style: `uwsgi-ts --app bench/apps/hello-node.mjs`. Same bytes as node-cluster.mjs.
export default function hello(_req, res) {
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': '11' });
  res.end('Hello World');
}
