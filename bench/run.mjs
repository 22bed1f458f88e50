#!/usr/bin/env node
// `npm run bench`: every benchmark, side by side, printed as a table ready for RESULTS.md.

import { execSync, spawnSync } from 'node:child_process';
import { cpus, hostname } from 'node:os';
import { benchCacheOps, benchUwsgiCacheOps, cacheOpsTable } from './cache-ops.mjs';
import { benchCacheRoute, cacheRouteTable } from './cache-route.mjs';
import { benchConfigLoad } from './config-load.mjs';
import { benchEmperor, emperorTable } from './emperor.mjs';
import { benchHttpHello, httpHelloTables } from './http-hello.mjs';
import { benchOpsOverhead, opsOverheadTable } from './ops-overhead.mjs';
import { benchRoutingRules, routingRulesTable } from './routing-rules.mjs';
import { benchStaticFiles, staticFilesTable } from './static-files.mjs';

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
  // the same hello app with stats, the request log to a file and harakiri on, against it bare
  console.log('\n### Ops overhead\n');
  console.log(opsOverheadTable(await benchOpsOverhead()));
  // the same hello app with 20 request rules that never match, against it with none
  console.log('\n### Routing rules\n');
  console.log(routingRulesTable(await benchRoutingRules()));
  // the same hello app behind the cookbook's cache route (every request a hit), against it plain
  console.log('\n### Cache route\n');
  console.log(cacheRouteTable(await benchCacheRoute()));
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
