// Bench app for bench/cache-route.mjs: the Node-style hello, counting its calls. Every path but
// /calls answers `Hello World` (text/plain, so that a cache hit, text/html, tells itself apart)
// and adds one to `hello-counted-calls` in the `hello` cache: shared by every worker, so one
// GET /calls (not cached, not counted) answers how often the app ran, whichever worker takes it.
import { cacheInc, cacheNum } from 'uwsgi-ts';

const CACHE = 'hello';
const KEY = 'hello-counted-calls';

export default function helloCounted(req, res) {
  if (req.url === '/calls') {
    const body = String(cacheNum(KEY, CACHE));
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': String(body.length) });
    res.end(body);
    return;
  }
  cacheInc(KEY, 1, 0, CACHE);
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': '11' });
  res.end('Hello World');
}
