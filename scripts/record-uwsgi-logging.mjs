#!/usr/bin/env node
// Records what the real uWSGI 2.0.21 logs for the request-log cases of
// test/fixtures/logging/cases.json (log-format variables, encoders, log-date, filters), how it
// names a rotated log file, and what its socket logger sends, into
// test/fixtures/logging/uwsgi-2.0.21.json, so that test/integration/logging-uwsgi-compat.test.ts
// compares uwsgi-ts without needing uWSGI.
//
// Usage: node scripts/record-uwsgi-logging.mjs [--uwsgi /path/to/uwsgi]
// The syslog datagram in the recording was captured by hand (uWSGI's syslog logger only writes
// to /dev/log): `--plugin syslog --logger syslog:myident,local3 --req-logger syslog` with a unix
// datagram receiver bound at /dev/log.
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
const FIXTURES = join(REPO, 'test', 'fixtures', 'logging');
const uwsgiAt = process.argv.indexOf('--uwsgi');
const UWSGI = uwsgiAt > 0 ? process.argv[uwsgiAt + 1] : 'uwsgi';

// the paths of test/fixtures/logging/app.mjs, as a WSGI app
const WSGI_APP = `
import time
def application(env, start_response):
    p = env['PATH_INFO']
    if p == '/404':
        start_response('404 Not Found', [('Content-Type', 'text/plain')]); return [b'nf']
    if p == '/500':
        start_response('500 Internal Server Error', [('Content-Type', 'text/plain')]); return [b'err']
    if p == '/empty':
        start_response('204 No Content', []); return [b'']
    if p == '/big':
        start_response('200 OK', [('Content-Type', 'text/plain')]); return [b'x' * 5000]
    if p == '/slow':
        time.sleep(0.3)
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return [b'Hello World\\n']
`;

const cases = JSON.parse(readFileSync(join(FIXTURES, 'cases.json'), 'utf8'));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The raw bytes of one request of cases.json (the test sends the same). */
function requestBytes(request) {
  const headers = { Host: '127.0.0.1', ...request.headers, Connection: 'close' };
  const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}`);
  return `GET ${request.path} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`;
}

function exchange(port, bytes) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.end(bytes));
    socket.on('data', () => {});
    socket.on('end', resolve);
    socket.on('close', resolve);
    socket.on('error', reject);
  });
}

function freePort() {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Runs uWSGI with `args`, sends every request, stops it; resolves with everything it printed. */
async function runUwsgi(dir, args, env = {}) {
  const port = await freePort();
  const proc = spawn(
    UWSGI,
    [
      '--plugin',
      'python3',
      '--http-socket',
      `127.0.0.1:${port}`,
      '--wsgi-file',
      join(dir, 'app.py'),
      ...args,
    ],
    { cwd: dir, env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  proc.stdout.on('data', (d) => (out += d));
  proc.stderr.on('data', (d) => (out += d));
  const exited = new Promise((resolve) => proc.on('exit', resolve));
  for (let i = 0; i < 100 && !out.includes('spawned uWSGI worker'); i++) await sleep(50);
  await sleep(200);
  for (const request of cases.requests) await exchange(port, requestBytes(request));
  await sleep(500);
  proc.kill('SIGINT');
  await exited;
  return out;
}

function select(out, pattern) {
  const re = new RegExp(pattern, 'm');
  const lines = [];
  for (const line of out.split('\n')) {
    const m = line.match(re);
    if (m) lines.push(m[1] ?? m[0]);
  }
  return lines;
}

const dir = mkdtempSync(join(tmpdir(), 'uwsgi-ts-record-logging-'));
writeFileSync(join(dir, 'app.py'), WSGI_APP);
const recording = {
  about: `uWSGI 2.0.21 (${UWSGI}) with the python3 plugin, recorded by scripts/record-uwsgi-logging.mjs`,
  cases: {},
};
try {
  for (const c of cases.cases) {
    const out = await runUwsgi(dir, c.args, c.env);
    recording.cases[c.name] = select(out, c.select);
    process.stderr.write(`${c.name}: ${recording.cases[c.name].length} lines\n`);
  }

  // rotation: uWSGI names the old file <logto>.<unix time> and ends it with one line
  const rotDir = mkdtempSync(join(dir, 'rot-'));
  await runUwsgi(dir, ['--logto', join(rotDir, 'rot.log'), '--log-maxsize', '2000']);
  const names = readdirSync(rotDir).sort();
  const rotated = names.find((n) => n !== 'rot.log');
  const rotatedText = rotated ? readFileSync(join(rotDir, rotated), 'utf8') : '';
  recording.rotation = {
    files: names,
    lastLineOfRotated: rotatedText.trimEnd().split('\n').pop()?.replaceAll(rotDir, '<dir>'),
  };

  // socket logger: a datagram per line, the `,PREFIX` before each general line
  const udp = dgram.createSocket('udp4');
  const datagrams = [];
  udp.on('message', (m) => datagrams.push(m.toString('utf8')));
  await new Promise((resolve) => udp.bind(0, '127.0.0.1', resolve));
  const udpPort = udp.address().port;
  await runUwsgi(dir, [
    '--plugin',
    'logsocket',
    '--logger',
    `socket:127.0.0.1:${udpPort},PFX `,
    '--req-logger',
    `socket:127.0.0.1:${udpPort}`,
  ]);
  udp.close();
  recording.socketLogger = datagrams.filter(
    (d) => d.startsWith('PFX spawned uWSGI master') || d.startsWith('[pid: '),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}

// captured by hand, see the top of this file
recording.syslog = {
  args: ['--logger', 'syslog:myident,local3', '--req-logger', 'syslog'],
  datagrams: [
    '<158>Nov 21 12:37:29 myident: *** Starting uWSGI 2.0.21-debian (64bit) on [Sat Nov 21 12:37:29 2026] ***\n',
    '<30>Nov 21 12:37:29 check for response data in the specified cache (empty for default cache): [pid: 30165|app: 0|req: 1/1] 127.0.0.1 () {24 vars in 246 bytes} [Sat Nov 21 12:37:29 2026] GET / => generated 12 bytes in 0 msecs (HTTP/1.1 200) 1 headers in 45 bytes (1 switches on core 0)\n',
  ],
  note: 'uWSGI 2.0.21 sends the request datagram with a garbage ident when req-logger is `syslog` without an ident (a bug: the default is meant to be "uwsgi"); priority 30 = daemon.info, 158 = local3.info',
};

writeFileSync(join(FIXTURES, 'uwsgi-2.0.21.json'), `${JSON.stringify(recording, null, 2)}\n`);
process.stderr.write(`wrote ${join(FIXTURES, 'uwsgi-2.0.21.json')}\n`);
