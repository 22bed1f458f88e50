// Cache route benchmark (issue "Shared services": "hello throughput with a `cache` route hit at
// least 1x the plain hello"). The Node-style hello, 2 processes on an http-socket,
// `--disable-logging`, twice: plain, and behind the caching cookbook's first recipe (seeds 002,
// "uWSGI Caching Cookbook": `cache2 = name=...,items=100`, `route = ^/$ cache:key=...,name=...`
// then `route = ^/$ cachestore:key=...,name=...`) with the key `${REQUEST_URI}`, so that after
// one warming request every `GET /` is a hit served by the router without the app. wrk runs
// against them ALTERNATING (A B A B ...); the figure is the median round. BENCH_QUICK=1 is a smoke
// run. With uwsgi on PATH the same pair also runs on uWSGI 2.0.21 (the Python hello,
// `--plugin python3,router_cache`), for uWSGI's own ratio on the same machine in the same run.
//
// The hits are checked, not assumed: our cached side runs bench/apps/hello-counted.mjs, which
// counts its calls in the shared cache (GET /calls, not routed to the cache); a hit answers
// text/html (the cache action's default) where the app answers text/plain. uWSGI's cached side
// has its stats socket on (idle while wrk runs) and its `caches` hits and misses are read before
// and after the measured rounds.

import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULTS as HTTP_DEFAULTS } from './http-hello.mjs';
import {
  alternateRounds,
  fmtRps,
  get,
  hasUwsgi,
  readStats,
  root,
  startServer,
  summarise,
  warmUp,
  withServers,
} from './side-by-side.mjs';

const countedApp = join(root, 'bench', 'apps', 'hello-counted.mjs');

/** The same load as the HTTP hello benchmark, so that the tables compare. */
export const DEFAULTS = Object.freeze({
  rounds: HTTP_DEFAULTS.rounds,
  durationS: HTTP_DEFAULTS.durationS,
  warmupS: HTTP_DEFAULTS.warmupS,
  connections: HTTP_DEFAULTS.connections,
  threads: HTTP_DEFAULTS.threads,
  processes: 2,
  target: 1,
});
const QUICK = Object.freeze({ rounds: 2, durationS: 1, warmupS: 0 });

const CACHE = 'hello';
/** The cookbook's first recipe, keyed by the request URI (seeds 002, "Cache them all"). */
const CACHE_ROUTE = [
  '--cache2',
  `name=${CACHE},items=100`,
  '--route',
  `^/$ cache:key=\${REQUEST_URI},name=${CACHE}`,
  '--route',
  `^/$ cachestore:key=\${REQUEST_URI},name=${CACHE}`,
];

const log = (msg) => process.stderr.write(`bench cache-route: ${msg}\n`);

/** How often our counted app ran so far (every worker's calls: the count is in the shared cache). */
async function appCalls(port) {
  const r = await get(port, '/calls');
  if (r.status !== 200 || !/^\d+$/.test(r.body)) throw new Error(`GET /calls answered ${r.status} ${r.body}`);
  return Number(r.body);
}

/** uWSGI's counters of our cache, from its stats server. */
async function uwsgiCacheCounters(statsSocket) {
  const c = (await readStats(statsSocket)).caches?.find((x) => x.name === CACHE);
  if (c === undefined) throw new Error(`uWSGI's stats list no cache "${CACHE}"`);
  return { hits: c.hits, misses: c.miss, items: c.items };
}

/**
 * Before measuring: the cache is warm (startServer's ready probe was the miss that stored `/`)
 * and the next `GET /` is a hit: the body of the hello, served without the app.
 */
async function checkHit(s) {
  const r = await get(s.server.port);
  if (r.status !== 200 || r.body !== 'Hello World')
    throw new Error(`${s.label}: GET / answered ${r.status} ${JSON.stringify(r.body)}`);
  if (s.kind === 'uwsgi') {
    const before = s.counters;
    s.counters = await uwsgiCacheCounters(s.statsSocket);
    if (s.counters.hits <= before.hits) throw new Error(`${s.label}: GET / was not a cache hit`);
  } else {
    const calls = await appCalls(s.server.port);
    if (!String(r.headers['content-type']).startsWith('text/html') || calls !== s.calls)
      throw new Error(
        `${s.label}: GET / was not a cache hit (Content-Type ${r.headers['content-type']}, app calls ${s.calls} -> ${calls})`,
      );
  }
}

/**
 * Runs the configurations side by side and returns the figures (format with `cacheRouteTable`).
 * @param {{quick?: boolean, rounds?: number, durationS?: number, warmupS?: number,
 *   connections?: number, threads?: number, processes?: number}} [options]
 */
export async function benchCacheRoute(options = {}) {
  const quick = options.quick ?? process.env['BENCH_QUICK'] === '1';
  const o = { ...DEFAULTS, ...(quick ? QUICK : {}), ...options };
  const tmp = mkdtempSync(join(tmpdir(), 'uwsgi-ts-bench-cache-route-'));
  const configs = [
    { key: 'plain', label: 'plain hello', extra: ['--disable-logging'] },
    {
      key: 'cache',
      label: 'cache route hit',
      cached: true,
      app: countedApp,
      extra: ['--disable-logging', ...CACHE_ROUTE],
    },
    // the same pair on the real uWSGI, for its own ratio (Python hello; absent without uwsgi)
    ...(hasUwsgi()
      ? [
          {
            key: 'uwsgi-plain',
            label: 'uWSGI 2.0.21: plain hello',
            server: 'uwsgi',
            extra: ['--disable-logging'],
          },
          {
            key: 'uwsgi-cache',
            label: 'uWSGI 2.0.21: cache route hit',
            server: 'uwsgi',
            cached: true,
            statsSocket: join(tmp, 'uwsgi-stats.sock'),
            extra: ['--plugin', 'router_cache', '--disable-logging', ...CACHE_ROUTE],
          },
        ]
      : []),
  ];
  const result = { options: o, loadavg: loadavg()[0], rows: [] };
  await withServers(tmp, async (servers) => {
    for (const c of configs) {
      log(`starting ${c.label}`);
      const extra = c.statsSocket ? [...c.extra, '--stats', c.statsSocket] : c.extra;
      const server = await startServer(c.label, extra, o.processes, c.server, { app: c.app });
      const s = { ...c, kind: c.server ?? 'ts', server, rounds: [] };
      servers.push(s);
      if (!c.cached) continue;
      if (s.kind === 'uwsgi') s.counters = await uwsgiCacheCounters(c.statsSocket);
      else s.calls = await appCalls(server.port);
      await checkHit(s);
    }
    await warmUp(servers, o);
    // the counters as the measured rounds start
    for (const s of servers.filter((x) => x.cached)) {
      if (s.kind === 'uwsgi') s.counters = await uwsgiCacheCounters(s.statsSocket);
      else s.calls = await appCalls(s.server.port);
    }
    await alternateRounds(servers, o, log);
    for (const s of servers) {
      const row = { key: s.key, label: s.label, ...summarise(s.rounds) };
      // what the measured rounds did to the app and the cache (wrk's requests: only GET /)
      if (s.cached && s.kind === 'uwsgi') {
        const after = await uwsgiCacheCounters(s.statsSocket);
        row.hits = after.hits - s.counters.hits;
        row.appCalls = after.misses - s.counters.misses;
      } else if (s.cached) {
        row.appCalls = (await appCalls(s.server.port)) - s.calls;
      }
      result.rows.push(row);
    }
  });
  return result;
}

/** The hits were real: the app ran for at most 1% of the measured requests (0 expected). */
const hitsReal = (x) => x.appCalls <= x.requests / 100;

/** How the hits were checked, one sentence per cached row. */
function hitsLine(x) {
  const n = x.requests.toLocaleString('en-US');
  if (x.hits !== undefined)
    // wrk does not count the requests in flight when it stops, uWSGI's counter does
    return `${x.label}: ${x.hits.toLocaleString('en-US')} cache hits and ${x.appCalls} misses (app calls) for wrk's ${n} requests (its stats socket).`;
  return `${x.label}: the app ran ${x.appCalls} times for wrk's ${n} requests (bench/apps/hello-counted.mjs counts its calls).`;
}

/** The result as Markdown, ready to paste into bench/RESULTS.md. */
export function cacheRouteTable(r) {
  const o = r.options;
  const cached = r.rows.filter((x) => x.appCalls !== undefined);
  const out = [
    `Cache route: the hello app, ${o.processes} processes, http-socket, \`--disable-logging\`; the cached side adds ` +
      `\`--cache2 name=${CACHE},items=100\`, \`--route '^/$ cache:key=\${REQUEST_URI},name=${CACHE}'\` and ` +
      `\`--route '^/$ cachestore:key=\${REQUEST_URI},name=${CACHE}'\` (warmed by one request, checked to be a hit). ` +
      `\`wrk -t${o.threads} -c${o.connections} -d${o.durationS}s --latency\`, ${o.rounds} rounds per configuration, ` +
      `alternating, ${o.warmupS > 0 ? `after a ${o.warmupS} s warm-up` : 'no warm-up'}; figure = median round. ` +
      `1-minute load average at start: ${r.loadavg.toFixed(2)}.`,
    '',
    `During the measured rounds: ${cached.map(hitsLine).join(' ')}`,
    '',
    '| configuration | req/s (median) | vs plain hello | rounds min-max | p99 (median) | errors |',
    '|---|---|---|---|---|---|',
  ];
  const byKey = (k) => r.rows.find((x) => x.key === k);
  const ratio = (a, b) => (a && b ? a.rps / b.rps : Number.NaN);
  for (const x of r.rows) {
    // uWSGI's rows compare with uWSGI's own plain hello
    const v = ratio(x, byKey(x.key.startsWith('uwsgi-') ? 'uwsgi-plain' : 'plain'));
    out.push(
      `| ${x.label} | ${fmtRps(x.rps)} | ${Number.isFinite(v) ? `${v.toFixed(2)}x` : 'n/a'} | ${fmtRps(x.minRps)}-${fmtRps(x.maxRps)} | ${x.p99Ms.toFixed(2)} ms | ${x.errors} |`,
    );
  }
  const cache = byKey('cache');
  const v = ratio(cache, byKey('plain'));
  if (Number.isFinite(v)) {
    const verdict = !hitsReal(cache)
      ? '**not measured: the app answered**'
      : v >= o.target
        ? 'pass'
        : '**FAIL**';
    out.push('', '| acceptance line | measured | target | verdict |', '|---|---|---|---|');
    out.push(`| cache route hit / plain hello, req/s | ${v.toFixed(2)}x | >= ${o.target}x | ${verdict} |`);
    const u = ratio(byKey('uwsgi-cache'), byKey('uwsgi-plain'));
    if (Number.isFinite(u)) out.push(`| (uWSGI 2.0.21, same machine, same run) | ${u.toFixed(2)}x | | |`);
  }
  return out.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (spawnSync('wrk', ['--version'], { stdio: 'ignore' }).error) {
    console.log('wrk is not installed: `apt-get install -y wrk`, then rerun.');
  } else {
    console.log(cacheRouteTable(await benchCacheRoute()));
  }
}
