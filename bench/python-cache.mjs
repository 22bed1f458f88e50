// Python `uwsgi.cache_get` of a 100-byte value in one process (issue 14 target: >= 250,000 ops/s):
// uwsgi-ts reading the shared region in the Python process (python/uwsgi_cache_map.py), uwsgi-ts
// with that read turned off (UWSGI_TS_PY_CACHE_ROUNDTRIP=1: every call a round trip to the JS
// worker, as before), and the real uWSGI 2.0.21 (its in-process C read), on the same app
// (bench/apps/py_cache_get.py), rounds alternating; the figure is the median round, as gets per
// wall-clock second and per CPU second of the Python process (which moves less with the load).
// Debian's /usr/bin/python3 for all (python-hello.mjs's env).

import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, get, start } from './python-hello.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'bin', 'uwsgi-ts.js');
const app = join(root, 'bench', 'apps', 'py_cache_get.py');
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function contenders() {
  const list = [];
  const ours = (name, extraEnv) => async () => {
    const port = await freePort();
    return start(
      name,
      process.execPath,
      [
        cli,
        '--http-socket',
        `127.0.0.1:${port}`,
        '--cache2',
        'name=default,items=1000',
        '--wsgi-file',
        app,
        '--disable-logging',
      ],
      port,
      '/ready',
      extraEnv,
    );
  };
  list.push(['uwsgi-ts (in-process read)', ours('uwsgi-ts', {})]);
  list.push(['uwsgi-ts (round trip)', ours('uwsgi-ts round trip', { UWSGI_TS_PY_CACHE_ROUNDTRIP: '1' })]);
  if (spawnSync('uwsgi', ['--version'], { stdio: 'ignore' }).status === 0) {
    list.push([
      'uWSGI 2.0.21',
      async () => {
        const port = await freePort();
        return start(
          'uWSGI',
          'uwsgi',
          [
            '--plugin',
            'python3',
            '--http-socket',
            `127.0.0.1:${port}`,
            '--cache2',
            'name=default,items=1000',
            '--wsgi-file',
            app,
            '--disable-logging',
          ],
          port,
          '/ready',
        );
      },
    ]);
  }
  return list;
}

export async function benchPythonCache({ rounds = 5, seconds = 2 } = {}) {
  const list = await contenders();
  const servers = [];
  try {
    for (const [name, launch] of list) servers.push([name, await launch()]);
    const figures = new Map(list.map(([name]) => [name, []]));
    const cpu = new Map(list.map(([name]) => [name, []]));
    const load = [];
    for (let r = 0; r < rounds; r++) {
      for (const [name, server] of servers) {
        const reply = JSON.parse((await get(server.port, `/?${seconds}`)).body);
        figures.get(name).push(reply.wall);
        cpu.get(name).push(reply.cpu);
      }
      load.push(loadavg()[0]);
    }
    return {
      rows: [...figures].map(([name, xs]) => ({
        name,
        ops: median(xs),
        all: xs,
        cpu: median(cpu.get(name)),
      })),
      load,
    };
  } finally {
    for (const [, s] of servers) await s.stop();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const quick = process.env['BENCH_QUICK'] !== undefined;
  const result = await benchPythonCache(quick ? { rounds: 3, seconds: 1 } : {});
  const ours = result.rows[0].ops;
  console.log(`load average (1 min) per round: ${result.load.map((l) => l.toFixed(2)).join(', ')}`);
  console.log('');
  console.log(
    '| Python `uwsgi.cache_get`, 100-byte value, one process | median gets/s | rounds (k/s) | in-process read vs it | median gets per CPU second |',
  );
  console.log('|---|---|---|---|---|');
  for (const r of result.rows) {
    console.log(
      `| ${r.name} | ${Math.round(r.ops)} | ${r.all.map((x) => Math.round(x / 1000)).join(', ')} | ${r === result.rows[0] ? '' : `${(ours / r.ops).toFixed(2)}x`} | ${Math.round(r.cpu)} |`,
    );
  }
}
