#!/usr/bin/env node
// WebSocket echo through uWSGI's WebSocket API (issue 15 point 5), side by side in one run:
// uwsgi-ts with a JS app (websocketHandshake), uwsgi-ts with the seed's Python app
// (uwsgi.websocket_*), uWSGI 2.0.21 with the same Python app. Each has 4 processes on an
// http-socket; 4 clients (one per process: a uWSGI sync worker holds one WebSocket) each send a
// 64-byte text message and wait for its echo, for `durationS`; rounds alternate between the
// contenders and the figure is the median round's round trips per second.
// Run: `node bench/websocket-echo.mjs` (npm run build first).

import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { freePort, median, startProcess } from './http-hello.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const apps = join(root, 'bench', 'apps');
const cli = join(root, 'bin', 'uwsgi-ts.js');
const CLIENTS = 4;
const MESSAGE = 'x'.repeat(64);

async function client(port, durationS) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  let count = 0;
  const end = Date.now() + durationS * 1000;
  await new Promise((resolve) => {
    ws.on('message', () => {
      count++;
      if (Date.now() < end) ws.send(MESSAGE);
      else resolve();
    });
    ws.send(MESSAGE);
  });
  ws.close();
  return count;
}

async function round(port, durationS) {
  const counts = await Promise.all(Array.from({ length: CLIENTS }, () => client(port, durationS)));
  return counts.reduce((a, b) => a + b, 0) / durationS;
}

export async function benchWebSocketEcho(options = {}) {
  const rounds = options.rounds ?? 3;
  const durationS = options.durationS ?? 4;
  const result = { loadavgBefore: loadavg()[0], rows: [], unavailable: [] };
  const contenders = [];
  const path = `/usr/bin:${process.env['PATH'] ?? ''}`;
  const start = async (label, cmd, args, ready) => {
    try {
      const port = await freePort();
      const handle = await startProcess(label, cmd, args(port), ready);
      contenders.push({ label, port, handle, runs: [] });
    } catch (err) {
      result.unavailable.push({ label, reason: String(err.message).split('\n')[0] });
    }
  };
  const common = ['--master', '--processes', '4', '--disable-logging'];
  await start(
    'uwsgi-ts, JS app (websocketHandshake)',
    process.execPath,
    (port) => [cli, '--http-socket', `127.0.0.1:${port}`, ...common, '--app', join(apps, 'ws-echo.mjs')],
    /uwsgi-ts: all workers ready/,
  );
  process.env['PATH'] = path;
  await start(
    'uwsgi-ts, Python app (uwsgi.websocket_*)',
    process.execPath,
    (port) => [cli, '--http-socket', `127.0.0.1:${port}`, ...common, '--wsgi-file', join(apps, 'ws_echo.py')],
    /uwsgi-ts: all workers ready/,
  );
  if (existsSync('/usr/bin/uwsgi') || existsSync('/usr/bin/uwsgi-core')) {
    await start(
      'uWSGI 2.0.21, Python app (uwsgi.websocket_*)',
      existsSync('/usr/bin/uwsgi-core') ? '/usr/bin/uwsgi-core' : '/usr/bin/uwsgi',
      (port) => [
        '--plugin',
        'python3',
        '--http-socket',
        `127.0.0.1:${port}`,
        ...common,
        '--wsgi-file',
        join(apps, 'ws_echo.py'),
      ],
      /spawned uWSGI worker 4/,
    );
  } else result.unavailable.push({ label: 'uWSGI 2.0.21', reason: 'not installed' });
  try {
    // a warm-up round each, then alternating rounds
    for (const c of contenders) await round(c.port, 1);
    for (let r = 0; r < rounds; r++) {
      for (const c of contenders) c.runs.push(await round(c.port, durationS));
    }
  } finally {
    for (const c of contenders) await c.handle.stop();
  }
  result.loadavgAfter = loadavg()[0];
  for (const c of contenders) result.rows.push({ label: c.label, perSecond: Math.round(median(c.runs)) });
  return result;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = await benchWebSocketEcho();
  const base = r.rows.find((x) => x.label.startsWith('uWSGI'))?.perSecond;
  console.log(`load average ${r.loadavgBefore.toFixed(1)} before, ${r.loadavgAfter.toFixed(1)} after`);
  console.log('| WebSocket echo, 4 clients, 64 B text | round trips/s | vs uWSGI |');
  console.log('|---|---:|---:|');
  for (const row of r.rows) {
    console.log(
      `| ${row.label} | ${row.perSecond} | ${base ? `${(row.perSecond / base).toFixed(2)}x` : '-'} |`,
    );
  }
  for (const u of r.unavailable) console.log(`unavailable: ${u.label}: ${u.reason}`);
}
