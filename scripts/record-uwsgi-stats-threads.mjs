#!/usr/bin/env node
// Records the stats document of the real uWSGI 2.0.21 with `threads = 2` (2 workers) into
// test/fixtures/stats-uwsgi-2.0.21-threads.json: how many core objects a worker lists, and which
// core shows a request in flight (one slow request is running when the document is read). Needs
// `uwsgi` with the python3 plugin. Run from the repository root:
// `node scripts/record-uwsgi-stats-threads.mjs`.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const OUT = `${root}test/fixtures/stats-uwsgi-2.0.21-threads.json`;
const APP = `import time
def application(env, start_response):
    if env.get('PATH_INFO') == '/slow':
        time.sleep(2)
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return [b'ok']
`;

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const get = (port, path) =>
  new Promise((resolve) =>
    http.get({ host: '127.0.0.1', port, path, agent: false }, (r) => r.resume().on('end', resolve)),
  );

function stats(port) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    socket.on('data', (d) => {
      text += d;
    });
    socket.on('end', () => resolve(JSON.parse(text)));
    socket.on('error', reject);
  });
}

const dir = mkdtempSync(join(tmpdir(), 'uwrec-threads-'));
writeFileSync(join(dir, 'app.py'), APP);
const [port, statsPort] = [await freePort(), await freePort()];
const args = [
  '--plugin',
  'python3',
  '--master',
  '--processes',
  '2',
  '--threads',
  '2',
  '--http-socket',
  `127.0.0.1:${port}`,
  '--stats',
  `127.0.0.1:${statsPort}`,
  '--wsgi-file',
  'app.py',
];
const proc = spawn('uwsgi', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
let log = '';
proc.stderr.on('data', (d) => {
  log += d;
});
for (let i = 0; i < 100 && !/spawned uWSGI worker 2/.test(log); i++)
  await new Promise((r) => setTimeout(r, 100));
await new Promise((r) => setTimeout(r, 1000));
for (let i = 0; i < 6; i++) await get(port, '/');
const slow = get(port, '/slow');
await new Promise((r) => setTimeout(r, 700));
const doc = await stats(statsPort);
await slow;
proc.kill('SIGINT');
await new Promise((r) => proc.on('exit', r));
rmSync(dir, { recursive: true, force: true });
const summary = doc.workers.map((w) => ({
  id: w.id,
  requests: w.requests,
  cores: w.cores.map((c) => ({ id: c.id, requests: c.requests, in_request: c.in_request })),
}));
writeFileSync(
  OUT,
  `${JSON.stringify({ recorded: `uWSGI 2.0.21 (${new Date().toISOString().slice(0, 10)}), scripts/record-uwsgi-stats-threads.mjs`, command: `uwsgi ${args.join(' ')}`.replace(String(port), 'PORT').replace(String(statsPort), 'STATS'), workers: summary }, null, 2)}\n`,
);
console.log(JSON.stringify(summary));
