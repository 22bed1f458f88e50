// Spooler benchmark (issue 16 targets: enqueue >= 5,000 tasks/s from one worker, a spooler drains
// >= 2,000 no-op tasks/s), side by side with uWSGI 2.0.21's Python uwsgi.spool() and spooler.
// Enqueue: one request makes one worker spool N tasks, timed inside the worker (spooler-external:
// nothing drains meanwhile), after a warm-up of 5,000, median of three rounds. Drain: N files prefilled (by our encoder; the same bytes uWSGI
// writes), then one spooler started; timed from its spawn line until the directory is empty
// (the process's start-up, about 0.2 s, is included). Needs `npm run build`;
// `node bench/spooler.mjs [N]` prints a table; bench/run.mjs imports benchSpooler().

import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { encodeSpoolFile } from '../dist/protocol/spool-file.js';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(REPO, 'bin/uwsgi-ts.js');
const JS_APP = join(REPO, 'bench/apps/spool-bench.mjs');
const PY_APP = join(REPO, 'bench/apps/spool_bench.py');

function hasUwsgi() {
  try {
    execFileSync('uwsgi', ['--plugin', 'python3', '--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function start(cmd, args) {
  const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let text = '';
  const on = (d) => {
    text += d.toString();
  };
  proc.stdout.on('data', on);
  proc.stderr.on('data', on);
  const exited = once(proc, 'exit');
  return {
    log: () => text,
    async waitFor(re, ms = 20_000) {
      const end = Date.now() + ms;
      while (!re.test(text)) {
        if (Date.now() > end) throw new Error(`timed out waiting for ${re}:\n${text}`);
        await new Promise((r) => setTimeout(r, 10));
      }
      return Date.now();
    },
    async stop() {
      try {
        process.kill(-proc.pid, 'SIGINT');
      } catch {}
      const t = setTimeout(() => {
        try {
          process.kill(-proc.pid, 'SIGKILL');
        } catch {}
      }, 5000);
      await exited;
      clearTimeout(t);
    },
  };
}

function get(port, path) {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
        let body = '';
        res.on('data', (d) => {
          body += d;
        });
        res.on('end', () => resolve(body));
      })
      .on('error', reject);
  });
}

const PORT = 39600 + (process.pid % 300);

async function enqueue(kind, n) {
  const dir = mkdtempSync(join(tmpdir(), 'bench-spool-'));
  const spool = join(dir, 'spool');
  mkdirSync(spool);
  const s =
    kind === 'ts'
      ? start(process.execPath, [
          CLI,
          '--master',
          '--http-socket',
          `127.0.0.1:${PORT}`,
          '--app',
          JS_APP,
          '--spooler-external',
          spool,
          '--spooler-quiet',
          '--disable-logging',
        ])
      : start('uwsgi', [
          '--plugin',
          'python3',
          '--master',
          '--http-socket',
          `127.0.0.1:${PORT}`,
          '--wsgi-file',
          PY_APP,
          '--spooler-external',
          spool,
          '--spooler-quiet',
          '--disable-logging',
        ]);
  try {
    await s.waitFor(kind === 'ts' ? /all workers ready/ : /spawned uWSGI worker 1/);
    await new Promise((r) => setTimeout(r, 300));
    // a fresh process creates its first few thousand files slowly (measured: 2.5k/s, then 20k/s
    // in the same loop): warm up, then the median of three rounds
    await get(PORT, '/enqueue?count=5000');
    const rates = [];
    for (let round = 0; round < 3; round++)
      rates.push(n / (Number(await get(PORT, `/enqueue?count=${n}`)) / 1000));
    return rates.sort((a, b) => a - b)[1];
  } finally {
    await s.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function drain(kind, n) {
  const dir = mkdtempSync(join(tmpdir(), 'bench-spool-'));
  const spool = join(dir, 'spool');
  mkdirSync(spool);
  for (let i = 0; i < n; i++) {
    const data = encodeSpoolFile([
      ['ud_spool_func', 'noop'],
      ['n', String(i)],
      ['payload', 'x'.repeat(32)],
    ]);
    writeFileSync(join(spool, `uwsgi_spoolfile_on_bench_1_${i}_1_1_${i}`), data);
  }
  const s =
    kind === 'ts'
      ? start(process.execPath, [
          CLI,
          '--master',
          '--http-socket',
          `127.0.0.1:${PORT}`,
          '--app',
          JS_APP,
          '--spooler',
          spool,
          '--spooler-quiet',
          '--disable-logging',
        ])
      : start('uwsgi', [
          '--plugin',
          'python3',
          '--master',
          '--http-socket',
          `127.0.0.1:${PORT}`,
          '--wsgi-file',
          PY_APP,
          '--spooler',
          spool,
          '--spooler-import',
          PY_APP,
          '--spooler-quiet',
          '--disable-logging',
        ]);
  try {
    const t0 = await s.waitFor(/spawned the uWSGI spooler/);
    for (;;) {
      if (readdirSync(spool).length === 0) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    return n / ((Date.now() - t0) / 1000);
  } finally {
    await s.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchSpooler(n = 10_000) {
  const uw = hasUwsgi();
  return {
    n,
    enqueue: { ts: await enqueue('ts', n), uwsgi: uw ? await enqueue('uwsgi', n) : undefined },
    drain: { ts: await drain('ts', n), uwsgi: uw ? await drain('uwsgi', n) : undefined },
  };
}

export function spoolerTable(r) {
  const f = (x) => (x === undefined ? 'n/a' : Math.round(x).toLocaleString('en-US'));
  const ratio = (a, b) => (b === undefined ? '' : `${(a / b).toFixed(2)}x`);
  return [
    `| ${r.n.toLocaleString('en-US')} no-op tasks | uwsgi-ts tasks/s | uWSGI 2.0.21 Python tasks/s | ratio | target |`,
    '|---|---:|---:|---:|---:|',
    `| enqueue from one worker (spool() / uwsgi.spool()) | ${f(r.enqueue.ts)} | ${f(r.enqueue.uwsgi)} | ${ratio(r.enqueue.ts, r.enqueue.uwsgi)} | 5,000 |`,
    `| drain by one spooler | ${f(r.drain.ts)} | ${f(r.drain.uwsgi)} | ${ratio(r.drain.ts, r.drain.uwsgi)} | 2,000 |`,
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(spoolerTable(await benchSpooler(Number(process.argv[2] ?? '10000'))));
}
