// HTTP router benchmark (issue 15: "`--http` in front of 2 workers at least 1.5x uWSGI 2.0.21's
// `--http` router with its Python hello, and at least 0.6x our direct `http-socket`"). Three
// contenders, started once, loaded by wrk ALTERNATING round by round (a noisy neighbour hits all
// alike); the figure is the median round. uWSGI's router closes every connection (no keep-alive by
// default): wrk reconnects and counts those closes as read errors, which are reported, not failed.

import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, median, probe, startProcess, wrk } from './http-hello.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const apps = join(root, 'bench', 'apps');
const cli = join(root, 'bin', 'uwsgi-ts.js');
const log = (msg) => process.stderr.write(`bench router: ${msg}\n`);

export async function benchHttpRouter(options = {}) {
  const quick = options.quick ?? process.env['BENCH_QUICK'] === '1';
  const rounds = options.rounds ?? (quick ? 2 : 5);
  const durationS = options.durationS ?? (quick ? 2 : 5);
  const connections = 50;
  const result = { loadavgBefore: loadavg()[0], rows: [], unavailable: [] };
  const started = [];
  const contenders = [];
  const add = async (key, label, fn) => {
    try {
      log(`starting ${label}`);
      const c = await fn();
      started.push(c.handle);
      contenders.push({ key, label, ...c, runs: [] });
    } catch (err) {
      result.unavailable.push({ label, reason: String(err.message).split('\n')[0] });
    }
  };
  const ours =
    (flag, extra = []) =>
    async () => {
      const port = await freePort();
      const handle = await startProcess(
        `uwsgi-ts ${flag}`,
        process.execPath,
        [
          cli,
          flag,
          `127.0.0.1:${port}`,
          ...extra,
          '--master',
          '--processes',
          '2',
          '--disable-logging',
          '--app',
          join(apps, 'hello-node.mjs'),
        ],
        /uwsgi-ts: all workers ready/,
      );
      await probe(handle.name, port);
      return { handle, port };
    };
  try {
    await add(
      'ts-router',
      'uwsgi-ts --http (router hands connections to 2 workers, JS hello)',
      ours('--http'),
    );
    // design 2 of session 6 in the same run: the router proxies every request (FastCGI keep-conn pool)
    await add(
      'ts-router-proxy',
      'uwsgi-ts --http --http-no-handoff (router proxies over FastCGI keep-conn)',
      ours('--http', ['--http-no-handoff']),
    );
    await add('ts-router-2', 'uwsgi-ts --http, http-processes 2', ours('--http', ['--http-processes', '2']));
    // design 1 in the same run: a non-zero modifier makes the router use uwsgi, one connection per request
    await add(
      'ts-router-uwsgi',
      'uwsgi-ts --http, design 1: uwsgi, a connection per request (http-modifier2 = 1)',
      ours('--http', ['--http-modifier2', '1']),
    );
    await add('ts-direct', 'uwsgi-ts --http-socket (2 workers, direct)', ours('--http-socket'));
    await add('uwsgi-router', 'uWSGI 2.0.21 --http (router + 2 workers, Python hello)', async () => {
      const port = await freePort();
      const handle = await startProcess(
        'uWSGI --http',
        'uwsgi',
        [
          '--plugin',
          'http,python3',
          '--http',
          `127.0.0.1:${port}`,
          '--master',
          '--processes',
          '2',
          '--disable-logging',
          '--wsgi-file',
          join(apps, 'hello.py'),
        ],
        /spawned uWSGI http 1 /,
      );
      await probe(handle.name, port);
      return { handle, port };
    });
    for (let r = 0; r < rounds; r++) {
      for (const c of contenders) {
        const run = await wrk(c.port, connections, 2, durationS);
        c.runs.push(run);
        log(`round ${r + 1} ${c.key}: ${run.rps.toFixed(0)} req/s, ${run.errors} errors`);
      }
    }
  } finally {
    for (const h of started) await h.stop();
  }
  for (const c of contenders) {
    const rps = median(c.runs.map((x) => x.rps));
    const p99 = median(c.runs.map((x) => x.p99Ms));
    const errors = c.runs.reduce((a, x) => a + x.errors, 0);
    result.rows.push({ key: c.key, label: c.label, rps, p99, errors });
  }
  result.loadavgAfter = loadavg()[0];
  result.rounds = rounds;
  result.durationS = durationS;
  return result;
}

export function httpRouterTable(r) {
  const by = (k) => r.rows.find((x) => x.key === k)?.rps;
  const lines = [
    `\n| HTTP router, hello, wrk -c50 -t2, median of ${r.rounds} alternating ${r.durationS} s rounds (load ${r.loadavgBefore.toFixed(2)} -> ${r.loadavgAfter.toFixed(2)}) | req/s | p99 | wrk errors |`,
    '|---|---|---|---|',
    ...r.rows.map((x) => `| ${x.label} | ${x.rps.toFixed(0)} | ${x.p99.toFixed(1)} ms | ${x.errors} |`),
  ];
  const ts = by('ts-router');
  if (ts && by('uwsgi-router'))
    lines.push(
      `| ratio: our router / uWSGI's router (target >= 1.5) | ${(ts / by('uwsgi-router')).toFixed(2)} | | |`,
    );
  if (ts && by('ts-direct'))
    lines.push(
      `| ratio: our router / our direct http-socket (target >= 0.6) | ${(ts / by('ts-direct')).toFixed(2)} | | |`,
    );
  for (const u of r.unavailable) lines.push(`| ${u.label}: not measured (${u.reason}) | | | |`);
  return lines.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(httpRouterTable(await benchHttpRouter()));
}
