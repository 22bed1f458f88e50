// CGI hello benchmark (issue 14 point 3, optional): the same /bin/sh script run per request by
// uwsgi-ts's CGI handler and by uWSGI 2.0.21's cgi plugin, same processes and threads, both over
// http-socket with http-socket-modifier1 9. Each server is started once; wrk runs against them
// alternating (A B A B ...), the figure is the median round. A CGI request is a fork+exec of the
// script, so both are bounded by process creation on this machine, not by the server.
// `node bench/cgi-hello.mjs` (BENCH_QUICK=1: a smoke run).

import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseWrk } from './http-hello.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'bin', 'uwsgi-ts.js');
const quick = process.env.BENCH_QUICK === '1';
const ROUNDS = quick ? 1 : 3;
const DURATION_S = quick ? 1 : 5;
const CONNECTIONS = 8;
const PROCESSES = 2;
const THREADS = 4;

async function freePort() {
  const s = createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

function wrk(port) {
  const args = [
    '-t1',
    `-c${CONNECTIONS}`,
    `-d${DURATION_S}s`,
    '--latency',
    `http://127.0.0.1:${port}/cgi-bin/hello.sh`,
  ];
  return new Promise((resolve, reject) => {
    execFile('wrk', args, { encoding: 'utf8', timeout: (DURATION_S + 30) * 1000 }, (err, stdout) =>
      err ? reject(err) : resolve(parseWrk(stdout)),
    );
  });
}

async function ready(port) {
  for (let i = 0; i < 150; i++) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/cgi-bin/hello.sh`);
      if (res.status === 200 && (await res.text()) === 'Hello World') return;
    } catch {
      // not yet
    }
    await sleep(100);
  }
  throw new Error(`server on ${port} never answered Hello World`);
}

const dir = mkdtempSync(join(tmpdir(), 'bench-cgi-'));
writeFileSync(join(dir, 'hello.sh'), '#!/bin/sh\nprintf "Content-Type: text/plain\\n\\nHello World"\n', {
  mode: 0o755,
});
const common = (port) => [
  '--http-socket',
  `127.0.0.1:${port}`,
  '--http-socket-modifier1',
  '9',
  '--master',
  '--processes',
  String(PROCESSES),
  '--threads',
  String(THREADS),
  '--cgi',
  `/cgi-bin=${dir}`,
  '--disable-logging',
];
const contenders = [];
const procs = [];
try {
  const tsPort = await freePort();
  procs.push(spawn(process.execPath, [cli, ...common(tsPort)], { stdio: 'ignore' }));
  contenders.push({ name: 'uwsgi-ts CGI', port: tsPort, rounds: [] });
  const uwPort = await freePort();
  procs.push(spawn('uwsgi', ['--plugin', 'cgi', ...common(uwPort)], { stdio: 'ignore' }));
  contenders.push({ name: 'uWSGI 2.0.21 cgi plugin', port: uwPort, rounds: [] });
  for (const c of contenders) await ready(c.port);
  const load = loadavg()[0].toFixed(2);
  for (let r = 0; r < ROUNDS; r++) for (const c of contenders) c.rounds.push(await wrk(c.port));
  console.log(
    `CGI hello (/bin/sh script), wrk -t1 -c${CONNECTIONS} -d${DURATION_S}s, ${ROUNDS} rounds alternating, ${PROCESSES} processes x ${THREADS} threads; 1-minute load at start: ${load}\n`,
  );
  console.log('| server | req/s (median) | rounds | p99 (median) | errors |');
  console.log('|---|---|---|---|---|');
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const med = {};
  for (const c of contenders) {
    const rps = median(c.rounds.map((x) => x.rps));
    med[c.name] = rps;
    console.log(
      `| ${c.name} | ${Math.round(rps).toLocaleString('en-US')} | ${c.rounds.map((x) => Math.round(x.rps)).join(', ')} | ${median(c.rounds.map((x) => x.p99Ms)).toFixed(2)} ms | ${c.rounds.reduce((a, x) => a + x.errors, 0)} |`,
    );
  }
  const [a, b] = contenders;
  console.log(`\nuwsgi-ts / uWSGI: ${(med[a.name] / med[b.name]).toFixed(2)}x`);
} finally {
  for (const p of procs) p.kill('SIGINT');
  await sleep(500);
  for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}
