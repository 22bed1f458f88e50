// Routing rules benchmark (issue "Internal routing, static files, offloading and
// transformations": "hello throughput with 20 non-matching rules at least 0.9x with none"). The
// Node-style hello app, 2 processes on an http-socket, `--disable-logging`, twice: with no rule,
// and with 20 request rules that never match (10 `route` regexps on PATH_INFO, 5 `route-host`,
// 5 `route-if = equal:`), which every request runs through before the app. wrk runs against them
// ALTERNATING (A B A B ...); the figure is the median round. BENCH_QUICK=1 is a smoke run.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULTS as HTTP_DEFAULTS } from './http-hello.mjs';
import { alternateRounds, fmtRps, startServer, summarise, warmUp, withServers } from './side-by-side.mjs';

export const DEFAULTS = Object.freeze({
  rounds: HTTP_DEFAULTS.rounds,
  durationS: HTTP_DEFAULTS.durationS,
  warmupS: HTTP_DEFAULTS.warmupS,
  connections: HTTP_DEFAULTS.connections,
  threads: HTTP_DEFAULTS.threads,
  processes: 2,
  target: 0.9,
});
const QUICK = Object.freeze({ rounds: 2, durationS: 1, warmupS: 0 });

/** 20 rules no request of the benchmark matches (the hello request is `GET /`, Host 127.0.0.1). */
export function nonMatchingRules() {
  const lines = ['[uwsgi]'];
  for (let i = 0; i < 10; i++) lines.push(`route = ^/never-${i}/(.*)$ rewrite:/elsewhere/$1`);
  for (let i = 0; i < 5; i++) lines.push(`route-host = ^host-${i}\\.example\\.org$ addheader:X-Host: ${i}`);
  for (let i = 0; i < 5; i++) lines.push(`route-if = equal:\${REQUEST_METHOD};METHOD${i} return:405`);
  return `${lines.join('\n')}\n`;
}

const log = (msg) => process.stderr.write(`bench routing: ${msg}\n`);

/**
 * Runs both configurations side by side and returns the figures (format with `routingRulesTable`).
 * @param {{quick?: boolean, rounds?: number, durationS?: number, warmupS?: number,
 *   connections?: number, threads?: number, processes?: number}} [options]
 */
export async function benchRoutingRules(options = {}) {
  const quick = options.quick ?? process.env['BENCH_QUICK'] === '1';
  const o = { ...DEFAULTS, ...(quick ? QUICK : {}), ...options };
  const tmp = mkdtempSync(join(tmpdir(), 'uwsgi-ts-bench-routing-'));
  const rules = join(tmp, 'rules.ini');
  writeFileSync(rules, nonMatchingRules());
  const configs = [
    { key: 'none', label: 'no routing rule', extra: ['--disable-logging'] },
    { key: 'rules', label: '20 non-matching request rules', extra: ['--disable-logging', '--ini', rules] },
  ];
  const result = { options: o, loadavg: loadavg()[0], rows: [] };
  await withServers(tmp, async (servers) => {
    for (const c of configs) {
      log(`starting ${c.label}`);
      servers.push({ ...c, server: await startServer(c.label, c.extra, o.processes), rounds: [] });
    }
    await warmUp(servers, o);
    await alternateRounds(servers, o, log);
    for (const s of servers) result.rows.push({ key: s.key, label: s.label, ...summarise(s.rounds) });
  });
  return result;
}

/** The result as Markdown, ready to paste into bench/RESULTS.md. */
export function routingRulesTable(r) {
  const o = r.options;
  const out = [
    `Routing rules: the Node-style hello app, ${o.processes} processes, http-socket, \`--disable-logging\`; ` +
      `\`wrk -t${o.threads} -c${o.connections} -d${o.durationS}s --latency\`, ${o.rounds} rounds per configuration, ` +
      `alternating, ${o.warmupS > 0 ? `after a ${o.warmupS} s warm-up` : 'no warm-up'}; figure = median round. ` +
      `The rules: 10 \`route\` regexps on PATH_INFO, 5 \`route-host\`, 5 \`route-if = equal:\`, none matching. ` +
      `1-minute load average at start: ${r.loadavg.toFixed(2)}.`,
    '',
    '| configuration | req/s (median) | vs none | rounds min-max | p99 (median) | errors |',
    '|---|---|---|---|---|---|',
  ];
  const none = r.rows.find((x) => x.key === 'none');
  const rules = r.rows.find((x) => x.key === 'rules');
  for (const x of r.rows)
    out.push(
      `| ${x.label} | ${fmtRps(x.rps)} | ${none ? `${(x.rps / none.rps).toFixed(2)}x` : 'n/a'} | ${fmtRps(x.minRps)}-${fmtRps(x.maxRps)} | ${x.p99Ms.toFixed(2)} ms | ${x.errors} |`,
    );
  if (none && rules) {
    const v = rules.rps / none.rps;
    out.push('', '| acceptance line | measured | target | verdict |', '|---|---|---|---|');
    out.push(
      `| 20 non-matching rules / no rule, req/s | ${v.toFixed(2)}x | >= ${o.target}x | ${v >= o.target ? 'pass' : '**FAIL**'} |`,
    );
  }
  return out.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (spawnSync('wrk', ['--version'], { stdio: 'ignore' }).error) {
    console.log('wrk is not installed: `apt-get install -y wrk`, then rerun.');
  } else {
    console.log(routingRulesTable(await benchRoutingRules()));
  }
}
