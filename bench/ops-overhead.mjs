// Ops overhead benchmark (issue "Operations": "hello throughput with stats, request logging to a
// file and harakiri all enabled is at least 0.95x the same without them"). The same Node-style
// hello app, 2 processes on an http-socket, twice: bare (`--disable-logging`) and with the
// operations on (`--stats` on a unix socket, `--logto FILE` with the request log, `--harakiri 30`).
// wrk runs against them ALTERNATING (A B A B ...); the figure is the median round.
// BENCH_QUICK=1 is a smoke run: 2 short rounds each, no warm-up. BENCH_OPS_SPLIT=1 adds one
// configuration per feature alone (stats only, request log to a file only, harakiri only), to
// know which one costs what. With uwsgi on PATH the same pair also runs on uWSGI 2.0.21 (the
// Python hello), for uWSGI's own ratio on the same machine in the same run.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULTS as HTTP_DEFAULTS } from './http-hello.mjs';
import {
  alternateRounds,
  fmtRps,
  hasUwsgi,
  readStats,
  startServer,
  summarise,
  warmUp,
  withServers,
} from './side-by-side.mjs';

/** The same load as the HTTP hello benchmark, so that the two tables compare. */
export const DEFAULTS = Object.freeze({
  rounds: HTTP_DEFAULTS.rounds,
  durationS: HTTP_DEFAULTS.durationS,
  warmupS: HTTP_DEFAULTS.warmupS,
  connections: HTTP_DEFAULTS.connections,
  threads: HTTP_DEFAULTS.threads,
  processes: 2,
  target: 0.95,
});
const QUICK = Object.freeze({ rounds: 2, durationS: 1, warmupS: 0 });

const log = (msg) => process.stderr.write(`bench ops: ${msg}\n`);

/**
 * Runs both configurations side by side and returns the figures (format with `opsOverheadTable`).
 * @param {{quick?: boolean, split?: boolean, rounds?: number, durationS?: number, warmupS?: number,
 *   connections?: number, threads?: number, processes?: number}} [options]
 */
export async function benchOpsOverhead(options = {}) {
  const quick = options.quick ?? process.env['BENCH_QUICK'] === '1';
  const o = { ...DEFAULTS, ...(quick ? QUICK : {}), ...options };
  const tmp = mkdtempSync(join(tmpdir(), 'uwsgi-ts-bench-ops-'));
  const logFile = join(tmp, 'requests.log');
  const statsSocket = join(tmp, 'stats.sock');
  const split = options.split ?? process.env['BENCH_OPS_SPLIT'] === '1';
  const configs = [
    { key: 'off', label: 'operations off (`--disable-logging`)', extra: ['--disable-logging'] },
    {
      key: 'on',
      label: 'stats + request log to a file + harakiri 30',
      extra: ['--stats', statsSocket, '--logto', logFile, '--harakiri', '30'],
    },
    ...(split
      ? [
          {
            key: 'stats',
            label: 'stats only',
            extra: ['--disable-logging', '--stats', join(tmp, 'stats-only.sock')],
          },
          { key: 'logto', label: 'request log to a file only', extra: ['--logto', join(tmp, 'only.log')] },
          { key: 'harakiri', label: 'harakiri 30 only', extra: ['--disable-logging', '--harakiri', '30'] },
        ]
      : []),
    // the same pair on the real uWSGI, for its own ratio (Python hello; absent without uwsgi)
    ...(hasUwsgi()
      ? [
          {
            key: 'uwsgi-off',
            label: 'uWSGI 2.0.21: operations off',
            server: 'uwsgi',
            extra: ['--disable-logging'],
          },
          {
            key: 'uwsgi-on',
            label: 'uWSGI 2.0.21: stats + request log to a file + harakiri 30',
            server: 'uwsgi',
            extra: [
              '--stats',
              join(tmp, 'uwsgi-stats.sock'),
              '--logto',
              join(tmp, 'uwsgi.log'),
              '--harakiri',
              '30',
            ],
          },
        ]
      : []),
  ];
  const result = { options: o, loadavg: loadavg()[0], rows: [], logBytes: 0, statsWorkers: 0 };
  await withServers(tmp, async (servers) => {
    for (const c of configs) {
      log(`starting ${c.label}`);
      servers.push({ ...c, server: await startServer(c.label, c.extra, o.processes, c.server), rounds: [] });
    }
    // the operations really are on: the stats socket answers, the log file grows
    result.statsWorkers = (await readStats(statsSocket)).workers?.length ?? 0;
    await warmUp(servers, o);
    await alternateRounds(servers, o, log);
    result.logBytes = statSync(logFile).size;
    for (const s of servers) result.rows.push({ key: s.key, label: s.label, ...summarise(s.rounds) });
  });
  return result;
}

/** The result as Markdown, ready to paste into bench/RESULTS.md. */
export function opsOverheadTable(r) {
  const o = r.options;
  const out = [
    `Ops overhead: the Node-style hello app, ${o.processes} processes, http-socket; \`wrk -t${o.threads} -c${o.connections} ` +
      `-d${o.durationS}s --latency\`, ${o.rounds} rounds per configuration, alternating, ` +
      `${o.warmupS > 0 ? `after a ${o.warmupS} s warm-up` : 'no warm-up'}; figure = median round. With the operations on, ` +
      `the stats socket answered for ${r.statsWorkers} workers and the request log file grew to ` +
      `${(r.logBytes / 1048576).toFixed(1)} MB. 1-minute load average at start: ${r.loadavg.toFixed(2)}.`,
    '',
    '| configuration | req/s (median) | vs off | rounds min-max | p99 (median) | errors |',
    '|---|---|---|---|---|---|',
  ];
  const on = r.rows.find((x) => x.key === 'on');
  const off = r.rows.find((x) => x.key === 'off');
  const uwsgiOff = r.rows.find((x) => x.key === 'uwsgi-off');
  for (const x of r.rows) {
    // uWSGI's rows compare with uWSGI's own "off"
    const base = x.key.startsWith('uwsgi-') ? uwsgiOff : off;
    out.push(
      `| ${x.label} | ${fmtRps(x.rps)} | ${base ? `${(x.rps / base.rps).toFixed(2)}x` : 'n/a'} | ${fmtRps(x.minRps)}-${fmtRps(x.maxRps)} | ${x.p99Ms.toFixed(2)} ms | ${x.errors} |`,
    );
  }
  if (on && off) {
    const v = on.rps / off.rps;
    out.push('', '| acceptance line | measured | target | verdict |', '|---|---|---|---|');
    out.push(
      `| operations on / operations off, req/s | ${v.toFixed(2)}x | >= ${o.target}x | ${v >= o.target ? 'pass' : '**FAIL**'} |`,
    );
    const uwsgiOn = r.rows.find((x) => x.key === 'uwsgi-on');
    if (uwsgiOn && uwsgiOff)
      out.push(
        `| (uWSGI 2.0.21, same machine, same run) | ${(uwsgiOn.rps / uwsgiOff.rps).toFixed(2)}x | | |`,
      );
  }
  return out.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (spawnSync('wrk', ['--version'], { stdio: 'ignore' }).error) {
    console.log('wrk is not installed: `apt-get install -y wrk`, then rerun.');
  } else {
    console.log(opsOverheadTable(await benchOpsOverhead()));
  }
}
