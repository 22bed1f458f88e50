// Bench app, fetch style: `uwsgi-ts --app bench/apps/hello-fetch.mjs`. Same bytes as node-cluster.mjs.
export default {
  fetch() {
    return new Response('Hello World', { headers: { 'Content-Type': 'text/plain', 'Content-Length': '11' } });
  },
};
