// Python hello (issue 14 acceptance): the seeds' WSGI hello app (bench/apps/hello.py) served by
// uwsgi-ts, by the real uWSGI 2.0.21 (`--plugin python3`) and by gunicorn's sync worker, each
// with 2 processes, wrk at 50 keep-alive connections; rounds ALTERNATE between the contenders so
// a noisy neighbour hits all alike; the figure is the median round. Also the Python side of the
// cache: `uwsgi.cache_get` of a 100-byte value in a loop, in one process, ops/s.
// Every server runs Debian's /usr/bin/python3 (the python3-gunicorn and uwsgi-plugin-python3 one).

import { spawn, spawnSync } from 'node:child_process';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseWrk } from './http-hello.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const apps = join(root, 'bench', 'apps');
const cli = join(root, 'bin', 'uwsgi-ts.js');
const env = { ...process.env, PATH: `/usr/bin:${process.env['PATH'] ?? ''}` };
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const log = (msg) => process.stderr.write(`bench python: ${msg}\n`);

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

export function get(port, path = '/') {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.on('data', (d) => {
        body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('error', () => resolve({ status: 0, body: '' }));
    req.setTimeout(3000, () => req.destroy());
    req.end();
  });
}

/** Starts a server in its own process group; resolves when it answers 200 on `path`. */
export async function start(name, cmd, args, port, path = '/', extraEnv = {}) {
  const proc = spawn(cmd, args, {
    cwd: root,
    env: { ...env, ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let text = '';
  proc.stdout.on('data', (d) => {
    text += d;
  });
  proc.stderr.on('data', (d) => {
    text += d;
  });
  const stop = async () => {
    try {
      process.kill(-proc.pid, 'SIGINT');
    } catch {
      return;
    }
    await Promise.race([new Promise((r) => proc.once('exit', r)), sleep(5000)]);
    try {
      process.kill(-proc.pid, 'SIGKILL');
    } catch {}
  };
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) break;
    const reply = await get(port, path);
    if (reply.status === 200) return { name, port, stop, log: () => text };
    await sleep(200);
  }
  await stop();
  throw new Error(`${name} did not start: ${text.split('\n').slice(-5).join(' / ')}`);
}

function wrk(port, durationS, connections) {
  const run = spawnSync('wrk', ['-t1', `-c${connections}`, `-d${durationS}s`, `http://127.0.0.1:${port}/`], {
    encoding: 'utf8',
  });
  return parseWrk(run.stdout);
}

export async function benchPythonHello({ rounds = 5, durationS = 5, connections = 50 } = {}) {
  const hasUwsgi = spawnSync('uwsgi', ['--version'], { stdio: 'ignore' }).status === 0;
  const hasGunicorn =
    spawnSync('/usr/bin/python3', ['-c', 'import gunicorn'], { stdio: 'ignore' }).status === 0;
  const servers = [];
  try {
    let port = await freePort();
    servers.push(
      await start(
        'uwsgi-ts',
        process.execPath,
        [
          cli,
          '--master',
          '--processes',
          '2',
          '--http-socket',
          `127.0.0.1:${port}`,
          '--wsgi-file',
          join(apps, 'hello.py'),
          '--disable-logging',
        ],
        port,
      ),
    );
    if (hasUwsgi) {
      port = await freePort();
      servers.push(
        await start(
          'uWSGI 2.0.21',
          'uwsgi',
          [
            '--plugin',
            'python3',
            '--master',
            '--processes',
            '2',
            '--http-socket',
            `127.0.0.1:${port}`,
            '--wsgi-file',
            join(apps, 'hello.py'),
            '--disable-logging',
          ],
          port,
        ),
      );
    }
    if (hasGunicorn) {
      port = await freePort();
      servers.push(
        await start(
          'gunicorn sync',
          '/usr/bin/python3',
          [
            '-m',
            'gunicorn',
            '--workers',
            '2',
            '--bind',
            `127.0.0.1:${port}`,
            '--chdir',
            apps,
            'hello:application',
          ],
          port,
        ),
      );
    }
    const results = new Map(servers.map((s) => [s.name, []]));
    for (const s of servers) wrk(s.port, 1, connections);
    for (let r = 0; r < rounds; r++) {
      for (const s of servers) {
        const res = wrk(s.port, durationS, connections);
        results.get(s.name).push(res.rps);
        log(`round ${r + 1} ${s.name}: ${Math.round(res.rps)} req/s`);
      }
    }
    return {
      load: loadavg(),
      rows: servers.map((s) => ({ name: s.name, rps: median(results.get(s.name)) })),
    };
  } finally {
    for (const s of servers) await s.stop();
  }
}

/** uwsgi.cache_get of a 100-byte value from a Python app, in a loop for `seconds`, one process. */
export async function benchPythonCacheGet(seconds = 2) {
  const port = await freePort();
  const server = await start(
    'uwsgi-ts cache',
    process.execPath,
    [
      cli,
      '--http-socket',
      `127.0.0.1:${port}`,
      '--cache2',
      'name=default,items=1000',
      '--wsgi-file',
      join(apps, 'py_cache_bench.py'),
      '--disable-logging',
    ],
    port,
    '/ready',
  );
  try {
    const reply = await get(port, `/?${seconds}`);
    return Number(reply.body);
  } finally {
    await server.stop();
  }
}

export function pythonHelloTable(result, cacheOps) {
  const by = new Map(result.rows.map((r) => [r.name, r.rps]));
  const ours = by.get('uwsgi-ts') ?? 0;
  const lines = [
    `load average while measured: ${result.load.map((l) => l.toFixed(2)).join(', ')}`,
    '',
    '| Python hello, 2 processes, wrk -c50, median of rounds | req/s | uwsgi-ts vs it |',
    '|---|---|---|',
  ];
  for (const r of result.rows) {
    lines.push(
      `| ${r.name} | ${Math.round(r.rps)} | ${r.name === 'uwsgi-ts' ? '' : `${(ours / r.rps).toFixed(2)}x`} |`,
    );
  }
  if (cacheOps !== undefined) {
    lines.push(
      '',
      `| Python \`uwsgi.cache_get\` (100-byte value), one process | ${Math.round(cacheOps)} ops/s |`,
      '|---|---|',
    );
  }
  return lines.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const quick = process.env['BENCH_QUICK'] !== undefined;
  const result = await benchPythonHello(quick ? { rounds: 3, durationS: 2 } : {});
  const cacheOps = await benchPythonCacheGet(quick ? 1 : 2);
  console.log(pythonHelloTable(result, cacheOps));
}
