// Python signals and sharedarea calls, uwsgi-ts against uWSGI 2.0.21 (when installed), same app
// (bench/apps/python_signals.py), one worker, one Python process: signals per second raised from a
// request and run by a Python handler, counted until the last ran, (in uwsgi-ts: through the master and the worker's events
// channel; in uWSGI: the master and the worker's signal pipe, run between requests), and
// sharedarea_read64 calls per second. Prints one line per round, alternating the servers.
import { spawn, spawnSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const APP = fileURLToPath(new URL('./apps/python_signals.py', import.meta.url));
const CLI = fileURLToPath(new URL('../bin/uwsgi-ts.js', import.meta.url));
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const env = { ...process.env, PATH: `/usr/bin:${process.env.PATH}` };

const servers = [
  ['uwsgi-ts', process.execPath, [CLI], 39301],
  ...(spawnSync('uwsgi', ['--version']).status === 0
    ? [['uWSGI 2.0.21', 'uwsgi', ['--plugin', 'python3'], 39302]]
    : []),
];

async function ask(port, path) {
  for (let i = 0; i < 100; i++) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}${path}`);
      return (await res.text()).trim();
    } catch {
      await sleep(100);
    }
  }
  throw new Error(`no answer on ${port}`);
}

for (let round = 1; round <= ROUNDS; round++) {
  for (const [name, bin, pre, port] of servers) {
    const child = spawn(
      bin,
      [
        ...pre,
        '--master',
        '--http-socket',
        `127.0.0.1:${port}`,
        '--wsgi-file',
        APP,
        '--sharedarea',
        '1',
        '--disable-logging',
      ],
      { env, stdio: 'ignore', detached: true },
    );
    try {
      await ask(port, '/sharedarea?10');
      const sa = await ask(port, '/sharedarea?20000');
      const n = 2000;
      const started = performance.now();
      const raised = await ask(port, `/signals?${n}`);
      let handled = 0;
      while (handled < n && performance.now() - started < 30_000) {
        handled = Number(await ask(port, '/count'));
        if (handled < n) await sleep(2);
      }
      const perSecond = Math.round((handled * 1000) / (performance.now() - started));
      console.log(
        `round ${round} ${name}: sharedarea_read64 ${sa.split(' ')[1]}/s, uwsgi.signal() ${raised.split(' ')[1]}/s, ${handled} signals raised and handled at ${perSecond}/s`,
      );
    } finally {
      process.kill(-child.pid, 'SIGKILL');
      await sleep(500);
    }
  }
}
