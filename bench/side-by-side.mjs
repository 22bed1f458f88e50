// The helpers of the side-by-side HTTP benchmarks (ops-overhead.mjs, cache-route.mjs,
// routing-rules.mjs): start
// uwsgi-ts or the real uWSGI 2.0.21 with a hello app in its own process group, probe it, drive
// wrk against it, stop the group. Each benchmark runs its configurations ALTERNATING and reports
// the median round; what differs between them (the options, the checks) stays in its own file.

import { execFile, spawn, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { request } from 'node:http';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseWrk } from './http-hello.mjs';

export const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'bin', 'uwsgi-ts.js');
/** Our side: the Node-style hello. */
export const helloApp = join(root, 'bench', 'apps', 'hello-node.mjs');
/** uWSGI's side: the seeds' Python hello, the same bytes. */
export const helloPyApp = join(root, 'bench', 'apps', 'hello.py');

export const hasUwsgi = () => !spawnSync('uwsgi', ['--version'], { stdio: 'ignore' }).error;
export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** A free loopback port: bind port 0, read it back, close. */
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

/** One GET without keep-alive (a kept-alive probe would hold one of uWSGI's sync workers). */
export function get(port, path = '/') {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => {
        body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
    });
    req.setTimeout(2000, () => req.destroy(new Error('probe timed out')));
    req.on('error', reject);
    req.end();
  });
}

/** The stats server's JSON document (uWSGI's and ours), from a unix socket path. */
export function readStats(path) {
  return new Promise((resolve, reject) => {
    let text = '';
    const socket = connect(path);
    socket.setEncoding('utf8');
    socket.setTimeout(2000, () => socket.destroy(new Error('stats timed out')));
    socket.on('data', (d) => {
      text += d;
    });
    socket.on('end', () => {
      try {
        resolve(JSON.parse(text));
      } catch (err) {
        reject(err);
      }
    });
    socket.on('error', reject);
  });
}

export const killGroup = (pid, signal) => {
  try {
    process.kill(-pid, signal);
  } catch {
    // gone
  }
};

/**
 * Starts uwsgi-ts (`server` 'ts', `--app app`) or uWSGI 2.0.21 ('uwsgi', python3 plugin,
 * `--wsgi-file pyApp`) on an http-socket with `--master --processes N` and `extra` options, in
 * its own process group; ready once GET / answers `Hello World` (with --logto the ready line goes
 * to the file, not to us). stop() sends SIGINT to the group (SIGTERM makes uWSGI 2.0 reload),
 * SIGKILL after 5 s.
 * @param {{app?: string, pyApp?: string, timeoutMs?: number}} [opts]
 */
export async function startServer(name, extra, processes, server = 'ts', opts = {}) {
  const { app = helloApp, pyApp = helloPyApp, timeoutMs = 20_000 } = opts;
  const port = await freePort();
  const common = ['--master', '--processes', String(processes)];
  const [cmd, args] =
    server === 'uwsgi'
      ? [
          'uwsgi',
          ['--plugin', 'python3', '--http11-socket', `127.0.0.1:${port}`, ...common, '--wsgi-file', pyApp],
        ]
      : [process.execPath, [cli, '--http-socket', `127.0.0.1:${port}`, ...common, '--app', app]];
  const proc = spawn(cmd, [...args, ...extra], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
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
    /** the last 4,000 characters it wrote */
    tail: () => tail,
    async stop(signal = 'SIGINT') {
      if (!exited) {
        killGroup(proc.pid, signal);
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

/** One wrk run of `seconds` against GET / with o.threads/o.connections; parseWrk's figures. */
export function wrk(port, o, seconds) {
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

/** A row's figures from its wrk rounds: the median round, the spread, the errors summed. */
export function summarise(rounds) {
  const rps = rounds.map((x) => x.rps);
  return {
    rps: median(rps),
    minRps: Math.min(...rps),
    maxRps: Math.max(...rps),
    p99Ms: median(rounds.map((x) => x.p99Ms)),
    errors: rounds.reduce((a, x) => a + x.errors, 0),
    requests: rounds.reduce((a, x) => a + x.requests, 0),
  };
}

export const fmtRps = (x) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : 'n/a');

/**
 * Runs `body` with the list its started servers go into ({server} each, from startServer); stops
 * them and removes `tmp` however it ends, ^C and SIGTERM included (detached process groups do not
 * get our signals).
 */
export async function withServers(tmp, body) {
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
    return await body(servers);
  } finally {
    for (const s of servers) await s.server.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('exit', stopAll);
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** One unmeasured wrk run per server (o.warmupS; none in quick mode). */
export async function warmUp(servers, o) {
  if (o.warmupS > 0) for (const s of servers) await wrk(s.server.port, o, o.warmupS);
}

/** o.rounds rounds, the servers in turn (A B A B ...): each wrk result goes to its s.rounds. */
export async function alternateRounds(servers, o, log) {
  for (let i = 0; i < o.rounds; i++) {
    for (const s of servers) {
      const w = await wrk(s.server.port, o, o.durationS);
      s.rounds.push(w);
      log(`round ${i + 1}/${o.rounds} ${s.label}: ${w.rps.toFixed(0)} req/s, p99 ${w.p99Ms.toFixed(2)} ms`);
      await sleep(200);
    }
  }
}
