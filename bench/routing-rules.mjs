// Routing rules benchmark (issue "Internal routing, static files, offloading and
// transformations": "hello throughput with 20 non-matching rules at least 0.9x with none"). The
// Node-style hello app, 2 processes on an http-socket, `--disable-logging`, twice: with no rule,
// and with 20 request rules that never match (10 `route` regexps on PATH_INFO, 5 `route-host`,
// 5 `route-if = equal:`), which every request runs through before the app. wrk runs against them
// ALTERNATING (A B A B ...); the figure is the median round. BENCH_QUICK=1 is a smoke run.

import { execFile, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { DEFAULTS as HTTP_DEFAULTS, parseWrk } from './http-hello.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'bin', 'uwsgi-ts.js');
const app = join(root, 'bench', 'apps', 'hello-node.mjs');

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

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const log = (msg) => process.stderr.write(`bench routing: ${msg}\n`);

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function get(port) {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => {
        body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.setTimeout(2000, () => req.destroy(new Error('probe timed out')));
    req.on('error', reject);
    req.end();
  });
}

const killGroup = (pid, signal) => {
  try {
    process.kill(-pid, signal);
  } catch {
    // gone
  }
};

/** uwsgi-ts with `extra` options in its own process group, ready once GET / answers `Hello World`. */
async function startServer(name, extra, processes, timeoutMs = 20_000) {
  const port = await freePort();
  const proc = spawn(
    process.execPath,
    [
      cli,
      '--http-socket',
      `127.0.0.1:${port}`,
      '--master',
      '--processes',
      String(processes),
      '--disable-logging',
      '--app',
      app,
      ...extra,
    ],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  let tail = '';
  const keep = (d) => {
    tail = (tail + d.toString('utf8')).slice(-4000);
  };
  proc.stdout.on('data', keep);
  proc.stderr.on('data', keep);
  let exited = false;
  const done = new Promise((resolve) =>
    proc.on('exit', () => {
      exited = true;
      resolve();
    }),
  );
  const handle = {
    name,
    port,
    pid: proc.pid,
    async stop() {
      if (!exited) {
        killGroup(proc.pid, 'SIGINT');
        if (await Promise.race([done.then(() => false), sleep(5000).then(() => true)]))
          killGroup(proc.pid, 'SIGKILL');
      }
      killGroup(proc.pid, 'SIGKILL');
    },
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const r = await get(port);
      if (r.status === 200 && r.body === 'Hello World') return handle;
    } catch {
      // not yet
    }
    if (exited || Date.now() > deadline) {
      await handle.stop();
      throw new Error(
        `${name} ${exited ? 'exited' : 'never answered'}: ${tail.trim().split('\n').at(-1) ?? ''}`,
      );
    }
    await sleep(100);
  }
}

function wrk(port, o, seconds) {
  const args = [
    `-t${o.threads}`,
    `-c${o.connections}`,
    `-d${seconds}s`,
    '--latency',
    `http://127.0.0.1:${port}/`,
  ];
  return new Promise((resolve, reject) => {
    execFile('wrk', args, { encoding: 'utf8', timeout: (seconds + 30) * 1000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`wrk ${args.join(' ')} failed: ${err.message} ${stderr}`));
      else resolve(parseWrk(stdout));
    });
  });
}

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
    { key: 'none', label: 'no routing rule', extra: [] },
    { key: 'rules', label: '20 non-matching request rules', extra: ['--ini', rules] },
  ];
  const result = { options: o, loadavg: loadavg()[0], rows: [] };
  const servers = [];
  const stopAll = () => {
    for (const s of servers) killGroup(s.server.pid, 'SIGKILL');
  };
  const onSignal = (sig) => {
    stopAll();
    rmSync(tmp, { recursive: true, force: true });
    process.exit(sig === 'SIGINT' ? 130 : 143);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('exit', stopAll);
  try {
    for (const c of configs) {
      log(`starting ${c.label}`);
      servers.push({ ...c, server: await startServer(c.label, c.extra, o.processes), rounds: [] });
    }
    if (o.warmupS > 0) for (const s of servers) await wrk(s.server.port, o, o.warmupS);
    for (let i = 0; i < o.rounds; i++) {
      for (const s of servers) {
        const w = await wrk(s.server.port, o, o.durationS);
        s.rounds.push(w);
        log(`round ${i + 1}/${o.rounds} ${s.label}: ${w.rps.toFixed(0)} req/s, p99 ${w.p99Ms.toFixed(2)} ms`);
        await sleep(200);
      }
    }
    for (const s of servers) {
      const rps = s.rounds.map((x) => x.rps);
      result.rows.push({
        key: s.key,
        label: s.label,
        rps: median(rps),
        minRps: Math.min(...rps),
        maxRps: Math.max(...rps),
        p99Ms: median(s.rounds.map((x) => x.p99Ms)),
        errors: s.rounds.reduce((a, x) => a + x.errors, 0),
      });
    }
  } finally {
    for (const s of servers) await s.server.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('exit', stopAll);
    rmSync(tmp, { recursive: true, force: true });
  }
  return result;
}

const fmtRps = (x) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : 'n/a');

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
