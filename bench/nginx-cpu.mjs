#!/usr/bin/env node
// Behind nginx `uwsgi_pass` (issue 12): req/s AND the CPU each backend spends per request, which
// a shared machine disturbs far less than req/s. One nginx (1 worker) in front of three backends
// with 2 processes each: uwsgi-ts with its uwsgi sockets accepted in C (native/conn.c), uwsgi-ts
// with UWSGI_TS_NATIVE_CONN=0 (every connection a net.Socket, the codec path), and uWSGI 2.0.21
// with the seeds' Python hello. Rounds alternate; CPU is utime+stime of the backend's workers
// (and of the nginx worker) from /proc, divided by the requests wrk counted.
// `node bench/nginx-cpu.mjs` (BENCH_QUICK=1 for a short run).

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { freePort, median, nginxConf, probe, startProcess, wrk } from './http-hello.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'bin', 'uwsgi-ts.js');
const apps = join(root, 'bench', 'apps');
const has = (cmd, args) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
const TICK_US = 1e6 / 100; // USER_HZ

/** utime and stime (in clock ticks) of the processes. */
function cpuTicks(pids) {
  let user = 0;
  let sys = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      user += Number(fields[11]);
      sys += Number(fields[12]);
    } catch {}
  }
  return { user, sys };
}

const children = (pid) =>
  (spawnSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).stdout ?? '')
    .split('\n')
    .filter(Boolean)
    .map(Number);

/** Starts a process with `env` added to ours (startProcess inherits process.env when it spawns). */
async function startWithEnv(env, ...args) {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    return await startProcess(...args);
  } finally {
    for (const k of Object.keys(env)) if (saved[k] === undefined) delete process.env[k];
    Object.assign(process.env, saved);
  }
}

export async function benchNginxCpu(options = {}) {
  const quick = options.quick ?? process.env['BENCH_QUICK'] === '1';
  const o = { rounds: quick ? 2 : 5, durationS: quick ? 2 : 5, warmupS: 2, connections: 50, ...options };
  const result = { options: o, loadavg: loadavg()[0], rows: [], unavailable: [], node: process.version };
  if (!has('nginx', ['-v'])) {
    result.unavailable.push('nginx is not installed');
    return result;
  }
  const tmp = mkdtempSync(join(tmpdir(), 'uwsgi-ts-bench-nginx-cpu-'));
  const started = [];
  try {
    const ts = (env) => async () => {
      const port = await freePort();
      const args = [
        cli,
        '--socket',
        `127.0.0.1:${port}`,
        '--master',
        '--processes',
        '2',
        '--disable-logging',
      ];
      const h = await startWithEnv(
        env,
        'uwsgi-ts',
        process.execPath,
        [...args, '--app', join(apps, 'hello-node.mjs')],
        /all workers ready/,
      );
      return { h, port };
    };
    const backends = [
      { key: 'native', label: 'uwsgi-ts, uwsgi socket accepted in C', start: ts({}) },
      {
        key: 'socket',
        label: 'uwsgi-ts, UWSGI_TS_NATIVE_CONN=0 (net.Socket per connection)',
        start: ts({ UWSGI_TS_NATIVE_CONN: '0' }),
      },
    ];
    if (has('uwsgi', ['--version']))
      backends.push({
        key: 'uwsgi',
        label: 'uWSGI 2.0.21, Python hello',
        start: async () => {
          const port = await freePort();
          const h = await startProcess(
            'uWSGI',
            'uwsgi',
            [
              '--plugin',
              'python3',
              '--socket',
              `127.0.0.1:${port}`,
              '--master',
              '--processes',
              '2',
              '--disable-logging',
              '--wsgi-file',
              join(apps, 'hello.py'),
            ],
            /spawned uWSGI worker 2 /,
          );
          return { h, port };
        },
      });
    else result.unavailable.push('uwsgi is not installed');
    for (const b of backends) {
      const { h, port } = await b.start();
      started.push(h);
      b.h = h;
      b.backend = port;
      b.port = await freePort();
      b.rounds = [];
    }
    const dir = join(tmp, 'nginx');
    mkdirSync(dir);
    writeFileSync(
      join(dir, 'nginx.conf'),
      nginxConf(
        dir,
        backends.map((b) => ({ key: b.key, port: b.port, backend: b.backend })),
      ),
    );
    const nginx = await startProcess(
      'nginx',
      'nginx',
      ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')],
      /(?:)/,
    );
    started.push(nginx);
    for (const b of backends) await probe(`nginx -> ${b.key}`, b.port);
    const nginxWorkers = () => children(nginx.pid);
    for (const b of backends) await wrk(b.port, o.connections, 1, o.warmupS);
    for (let i = 0; i < o.rounds; i++) {
      for (const b of backends) {
        const workers = children(b.h.pid);
        const before = cpuTicks(workers);
        const nginxBefore = cpuTicks(nginxWorkers());
        const w = await wrk(b.port, o.connections, 1, o.durationS);
        const after = cpuTicks(workers);
        const nginxAfter = cpuTicks(nginxWorkers());
        const n = Math.max(1, w.requests);
        b.rounds.push({
          rps: w.rps,
          userUs: ((after.user - before.user) * TICK_US) / n,
          sysUs: ((after.sys - before.sys) * TICK_US) / n,
          nginxUs: ((nginxAfter.user + nginxAfter.sys - nginxBefore.user - nginxBefore.sys) * TICK_US) / n,
          errors: w.errors,
        });
        process.stderr.write(`bench nginx-cpu: round ${i + 1} ${b.key}: ${Math.round(w.rps)} req/s\n`);
        await sleep(200);
      }
    }
    for (const b of backends) {
      const pick = (f) => median(b.rounds.map(f));
      result.rows.push({
        key: b.key,
        label: b.label,
        rps: pick((r) => r.rps),
        userUs: pick((r) => r.userUs),
        sysUs: pick((r) => r.sysUs),
        cpuUs: pick((r) => r.userUs + r.sysUs),
        nginxUs: pick((r) => r.nginxUs),
        errors: b.rounds.reduce((a, r) => a + r.errors, 0),
      });
    }
  } finally {
    for (const h of started.reverse()) await h.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
  return result;
}

export function nginxCpuTable(r) {
  const out = [];
  out.push(
    `nginx \`uwsgi_pass\` (1 nginx worker) -> 2 backend processes, \`wrk -t1 -c${r.options.connections} -d${r.options.durationS}s\`, ${r.options.rounds} alternating rounds, medians; CPU per request from /proc (utime+stime of the backend's workers / requests). Node ${r.node}; 1-minute load average at start: ${r.loadavg.toFixed(2)}.`,
  );
  out.push('');
  out.push('| backend | req/s | backend CPU µs/req (user + sys) | nginx CPU µs/req | errors |');
  out.push('|---|---:|---:|---:|---:|');
  for (const x of r.rows)
    out.push(
      `| ${x.label} | ${Math.round(x.rps).toLocaleString('en-US')} | ${x.cpuUs.toFixed(0)} (${x.userUs.toFixed(0)} + ${x.sysUs.toFixed(0)}) | ${x.nginxUs.toFixed(0)} | ${x.errors} |`,
    );
  const row = (k) => r.rows.find((x) => x.key === k);
  const uw = row('uwsgi');
  const nat = row('native');
  const sock = row('socket');
  if (uw && nat) {
    out.push('');
    out.push(
      `nginx -> uwsgi-ts / nginx -> uWSGI, req/s: **${(nat.rps / uw.rps).toFixed(2)}x** (target >= 1.0x); backend CPU per request ${(nat.cpuUs / uw.cpuUs).toFixed(2)}x uWSGI's${sock ? `; the codec path (net.Socket per connection): ${(sock.rps / uw.rps).toFixed(2)}x req/s, ${(sock.cpuUs / uw.cpuUs).toFixed(2)}x CPU` : ''}.`,
    );
  }
  for (const u of r.unavailable) out.push(`- not measured: ${u}`);
  return out.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = await benchNginxCpu();
  console.log(nginxCpuTable(r));
}
