#!/usr/bin/env node
// `npm run bench`: every benchmark, side by side, printed as a table ready for RESULTS.md.

import { execSync, spawnSync } from 'node:child_process';
import { cpus, hostname } from 'node:os';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchCacheOps, benchUwsgiCacheOps, cacheOpsTable } from './cache-ops.mjs';
import { benchCacheRoute, cacheRouteTable } from './cache-route.mjs';
import { benchConfigLoad } from './config-load.mjs';
import { benchEmperor, emperorTable } from './emperor.mjs';
import { benchHttpHello, httpHelloTables } from './http-hello.mjs';
import { benchHttpRouter, httpRouterTable } from './http-router.mjs';
import { benchNginxCpu, nginxCpuTable } from './nginx-cpu.mjs';
import { benchOpsOverhead, opsOverheadTable } from './ops-overhead.mjs';
import { benchPythonCacheGet, benchPythonHello, pythonHelloTable } from './python-hello.mjs';
import { benchRoutingRules, routingRulesTable } from './routing-rules.mjs';
import { benchSpooler, spoolerTable } from './spooler.mjs';
import { benchStaticFiles, staticFilesTable } from './static-files.mjs';

// BENCH_NODES=node,/path/to/node24 runs the whole benchmark once per Node binary, one after the
// other (every bench starts its servers with process.execPath, so each run measures its own Node):
// `BENCH_NODES="node,$(node scripts/node24.mjs)" npm run bench` records Node 20 and Node 24.
const nodes = (process.env['BENCH_NODES'] ?? '').split(',').filter(Boolean);
if (nodes.length > 0) {
  let status = 0;
  for (const node of nodes) {
    const run = spawnSync(node, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
      stdio: 'inherit',
      // a path's directory goes first in PATH, so whatever a bench runs as `node` is that Node too
      env: {
        ...process.env,
        BENCH_NODES: '',
        PATH: node.includes('/')
          ? `${dirname(node)}:${process.env['PATH'] ?? ''}`
          : (process.env['PATH'] ?? ''),
      },
    });
    status ||= run.status ?? 1;
    console.log('');
  }
  process.exit(status);
}

const commit = (() => {
  try {
    return execSync('git rev-parse --short HEAD', { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
})();

console.log(
  `date: ${new Date().toISOString().slice(0, 10)}  commit: ${commit}  machine: ${hostname()}, ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}`,
);
const c = benchConfigLoad();
console.log('\n| config load (2,000-line ini, 200 placeholders, for over 100 items) | time |');
console.log('|---|---|');
console.log(
  `| loadConfig in-process, median of 30 (${c.entries} options) | ${c.inProcessMs.toFixed(1)} ms |`,
);
console.log(`| \`uwsgi-ts --dry-run\` whole process, median of 5 | ${c.processMs.toFixed(0)} ms |`);
if (c.uwsgiProcessMs !== undefined)
  console.log(
    `| \`uwsgi\` 2.0.21 parse + exit, whole process, median of 5 | ${c.uwsgiProcessMs.toFixed(0)} ms |`,
  );

// cache2 from one process: our engine over the shared region vs uWSGI's Python API
console.log('\n### Cache operations\n');
{
  const seconds = process.env['BENCH_QUICK'] ? 0.3 : 2;
  console.log(cacheOpsTable(benchCacheOps(seconds), await benchUwsgiCacheOps(seconds)));
}

// the spooler: enqueue from one worker and drain by one spooler, against uWSGI's Python spooler
console.log('\n### Spooler\n');
console.log(spoolerTable(await benchSpooler(process.env['BENCH_QUICK'] ? 2000 : 10_000)));

// HTTP hello (uwsgi-ts vs node:http cluster vs uWSGI, direct and behind nginx): needs wrk.
// BENCH_QUICK=1 shortens every run for a smoke test.
console.log('\n### HTTP hello\n');
if (spawnSync('wrk', ['--version'], { stdio: 'ignore' }).error) {
  console.log(
    'wrk is not installed: HTTP benchmark skipped. Install it with `apt-get install -y wrk` ' +
      '(and `nginx-light` for the uwsgi_pass comparison), then rerun `npm run bench`.',
  );
} else {
  console.log(httpHelloTables(await benchHttpHello()));
  // behind nginx uwsgi_pass: req/s and CPU per request, uWSGI and both of our accept paths
  console.log('\n### nginx uwsgi_pass: CPU per request\n');
  console.log(nginxCpuTable(await benchNginxCpu()));
  console.log(httpRouterTable(await benchHttpRouter()));
  // the same hello app with stats, the request log to a file and harakiri on, against it bare
  console.log('\n### Ops overhead\n');
  console.log(opsOverheadTable(await benchOpsOverhead()));
  // the same hello app with 20 request rules that never match, against it with none
  console.log('\n### Routing rules\n');
  console.log(routingRulesTable(await benchRoutingRules()));
  // the same hello app behind the cookbook's cache route (every request a hit), against it plain
  console.log('\n### Cache route\n');
  console.log(cacheRouteTable(await benchCacheRoute()));
  // the Python hello app: uwsgi-ts vs uWSGI 2.0.21 vs gunicorn sync, and Python's cache_get
  console.log('\n### Python hello\n');
  {
    const quick = process.env['BENCH_QUICK'] !== undefined;
    const hello = await benchPythonHello(quick ? { rounds: 3, durationS: 2 } : {});
    console.log(pythonHelloTable(hello, await benchPythonCacheGet(quick ? 1 : 2)));
  }
  // a 4 KB and a 1 MB file: uwsgi-ts check-static vs uWSGI with offload-threads vs nginx
  console.log('\n### Static files\n');
  console.log(staticFilesTable(await benchStaticFiles()));
}

// the Emperor: 50 vassals dropped at once into an empty dir, side by side with uWSGI's Emperor
console.log('\n### Emperor\n');
{
  const count = process.env['BENCH_QUICK'] ? 5 : 50;
  console.log(emperorTable(await benchEmperor(count), count));
}
