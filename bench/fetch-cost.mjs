// What Node's own fetch classes cost per request (why fetch-style apps are slower on Node 20):
// `node bench/fetch-cost.mjs` prints microseconds per operation.
const N = 200000;
async function bench(name, fn) {
  for (let i = 0; i < 20000; i++) await fn();
  const t = performance.now();
  for (let i = 0; i < N; i++) await fn();
  console.log(name.padEnd(40), (((performance.now() - t) / N) * 1000).toFixed(2), 'us');
}
await bench('new Response(str)', () => new Response('Hello World'));
await bench(
  'new Response(str, {headers obj})',
  () => new Response('Hello World', { headers: { 'content-type': 'text/plain' } }),
);
await bench('new Request(url)', () => new Request('http://x/'));
const hdr = () => {
  const h = new Headers();
  h.append('host', 'x');
  h.append('user-agent', 'wrk');
  return h;
};
await bench('new Headers + 2 append', hdr);
await bench('new Request(url, {headers})', () => new Request('http://x/', { method: 'GET', headers: hdr() }));
const sym = Reflect.ownKeys(new Response('')).find(
  (k) => typeof k === 'symbol' && String(k) === 'Symbol(state)',
);
console.log('state symbol', String(sym), new Response('abc')[sym]?.body?.source);
await bench('Response + state source', () => {
  const r = new Response('Hello World');
  return r[sym].body.source;
});
await bench('Response + body.getReader 2 reads', async () => {
  const r = new Response('Hello World');
  const rd = r.body.getReader();
  await rd.read();
  await rd.read();
});
