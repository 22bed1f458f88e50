#!/usr/bin/env node
// Records what the real uWSGI 2.0.21 sends through its rsyslog, redislog and logzmq loggers and
// writes with its gzip and compress log encoders, for the same request lines uwsgi-ts logs in
// test/integration/logging-loggers.test.ts, into test/fixtures/logging/uwsgi-2.0.21-loggers.json.
//
// Usage: node scripts/record-uwsgi-loggers.mjs [--uwsgi /path/to/uwsgi]
// Needs the python3, rsyslog, redislog and logzmq plugins; `faketime` (Debian package) for the
// single-digit-day case, skipped without it. The systemd datagram in the recording was captured by
// hand (sd_journal_print() writes to the unix datagram socket /run/systemd/journal/socket, which
// Node cannot bind): `--plugin systemd_logger --logger systemd` with a python3 receiver there.
import { spawn, spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(REPO, 'test', 'fixtures', 'logging', 'uwsgi-2.0.21-loggers.json');
const uwsgiAt = process.argv.indexOf('--uwsgi');
const UWSGI = uwsgiAt > 0 ? process.argv[uwsgiAt + 1] : 'uwsgi';

const WSGI_APP = `
def application(env, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return [b'Hello World\\n']
`;

/** The request lines every case logs (the test sends the same paths). */
const FORMAT = 'REQ %(method) %(uri) %(status)';
const PATHS = ['/', `/mid?q=${'m'.repeat(300)}`, `/long?q=${'l'.repeat(1500)}`];

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function get(port, path) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () =>
      socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`),
    );
    socket.on('data', () => {});
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

/** Runs uWSGI with `args` (prefixed by `wrapper`), sends the requests, stops it. */
async function runUwsgi(dir, args, wrapper = []) {
  const port = await freePort();
  const argv = [
    UWSGI,
    '--plugin',
    'python3',
    '--http-socket',
    `127.0.0.1:${port}`,
    '--wsgi-file',
    join(dir, 'app.py'),
    '--master',
    '--processes',
    '1',
    '--log-format',
    FORMAT,
    ...args,
  ];
  const all = [...wrapper, ...argv];
  const proc = spawn(all[0], all.slice(1), {
    cwd: dir,
    env: { PATH: process.env.PATH, TZ: 'UTC' },
    stdio: ['ignore', 'pipe', 'pipe'],
    // its own process group: SIGINT reaches uWSGI behind a faketime wrapper too
    detached: true,
  });
  let out = '';
  proc.stdout.on('data', (d) => (out += d));
  proc.stderr.on('data', (d) => (out += d));
  const exited = new Promise((resolve) => proc.on('exit', resolve));
  // the log goes to the logger: wait until the port answers
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) break;
    if (i === 99) {
      process.kill(-proc.pid, 'SIGKILL');
      throw new Error(`uWSGI did not start:\n${out}`);
    }
    await sleep(50);
  }
  await sleep(300);
  for (const path of PATHS) await get(port, path);
  await sleep(500);
  process.kill(-proc.pid, 'SIGINT');
  await exited;
  return out;
}

async function udpCase(dir, args, wrapper) {
  const udp = dgram.createSocket('udp4');
  const datagrams = [];
  udp.on('message', (m) => datagrams.push(m.toString('utf8')));
  await new Promise((resolve) => udp.bind(0, '127.0.0.1', resolve));
  const port = udp.address().port;
  const filled = args.map((a) => a.replaceAll('PORT', String(port)));
  await runUwsgi(dir, ['--plugin', 'rsyslog', ...filled], wrapper);
  udp.close();
  return {
    args,
    // a req-logger gets the request lines only
    datagrams: datagrams.map((d) => d.replaceAll(`${hostname()} uwsgi`, '<hostname> uwsgi')),
  };
}

/**
 * A TCP server that records each connection, sends `hello` when one opens and answers every chunk
 * with `reply`.
 */
async function tcpCase(dir, plugin, args, reply, hello) {
  const connections = [];
  const server = net.createServer((socket) => {
    const chunks = [];
    connections.push(chunks);
    if (hello) socket.write(hello);
    socket.on('data', (d) => {
      chunks.push(d);
      if (reply) socket.write(reply);
    });
    socket.on('error', () => {});
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = server.address().port;
  const filled = args.map((a) => a.replaceAll('PORT', String(port)));
  await runUwsgi(dir, ['--plugin', plugin, ...filled]);
  server.close();
  return { args, connections: connections.map((c) => Buffer.concat(c)) };
}

const dir = mkdtempSync(join(tmpdir(), 'uwsgi-ts-record-loggers-'));
writeFileSync(join(dir, 'app.py'), WSGI_APP);
const recording = {
  about: `uWSGI 2.0.21 (${UWSGI}) with the python3 plugin, recorded by scripts/record-uwsgi-loggers.mjs; every case runs --master --processes 1 --log-format '${FORMAT}' and GETs the paths below`,
  paths: PATHS,
  rsyslog: [],
  redislog: [],
};
try {
  // rsyslog: `<PRI>Mmm dd hh:mm:ss PREFIX: message` (no hostname field; the default prefix is
  // "<hostname> uwsgi"); messages cut at rsyslog-packet-size - 30 bytes, packets of
  // rsyslog-packet-size - 1 bytes at most (longer ones are not sent)
  for (const args of [
    ['--req-logger', 'rsyslog:127.0.0.1:PORT,myprefix'],
    ['--req-logger', 'rsyslog:127.0.0.1:PORT'],
    ['--req-logger', 'rsyslog:127.0.0.1:PORT,pre,13'],
    ['--req-logger', 'rsyslog:127.0.0.1:PORT,pre', '--rsyslog-packet-size', '200'],
    [
      '--req-logger',
      'rsyslog:127.0.0.1:PORT,pre',
      '--rsyslog-packet-size',
      '200',
      '--rsyslog-split-messages',
    ],
    ['--req-logger', 'rsyslog:127.0.0.1:PORT,prefix-of-18-bytes'],
  ]) {
    recording.rsyslog.push(await udpCase(dir, args));
    process.stderr.write(`rsyslog ${args.join(' ')}\n`);
  }
  if (spawnSync('faketime', ['--version']).status === 0) {
    const c = await udpCase(
      dir,
      ['--req-logger', 'rsyslog:127.0.0.1:PORT,myprefix'],
      ['faketime', '2026-11-01 09:05:07'],
    );
    recording.rsyslogSingleDigitDay = { ...c, faketime: '2026-11-01 09:05:07', datagram: c.datagrams[0] };
    delete recording.rsyslogSingleDigitDay.datagrams;
  }

  // redislog: `select DB` (after `auth PASSWORD`) on connect, then one command per line, each
  // answered before the next is sent
  for (const args of [
    ['--req-logger', 'redislog:127.0.0.1:PORT,publish foo,pre'],
    ['--req-logger', 'redislog:secret@127.0.0.1:PORT/3,rpush mylist'],
    ['--req-logger', 'redislog:127.0.0.1:PORT,'],
  ]) {
    const c = await tcpCase(dir, 'redislog', args, '+OK\r\n');
    recording.redislog.push({ args, bytes: c.connections.map((b) => b.toString('utf8')) });
    process.stderr.write(`redislog ${args.join(' ')}\n`);
  }

  // logzmq: a ZMTP 3.1 PUSH socket; the peer answers as a PULL socket
  const greeting = Buffer.alloc(64);
  greeting[0] = 0xff;
  greeting[9] = 0x7f;
  greeting[10] = 3;
  greeting.write('NULL', 12);
  const readyBody = Buffer.concat([
    Buffer.from('\x05READY\x0bSocket-Type', 'latin1'),
    Buffer.from([0, 0, 0, 4]),
    Buffer.from('PULL'),
  ]);
  const peer = Buffer.concat([greeting, Buffer.from([0x04, readyBody.length]), readyBody]);
  const zmq = await tcpCase(dir, 'logzmq', ['--req-logger', 'zeromq:tcp://127.0.0.1:PORT'], undefined, peer);
  recording.zeromq = {
    args: zmq.args,
    peer: peer.toString('hex'),
    hex: zmq.connections.map((b) => b.toString('hex')),
  };

  // encoders: each request line compressed on its own
  for (const encoder of ['gzip', 'compress']) {
    const file = join(dir, `${encoder}.bin`);
    await runUwsgi(dir, [
      '--plugin',
      'logfile',
      '--req-logger',
      `file:${file}`,
      '--log-req-encoder',
      encoder,
    ]);
    recording[encoder] = {
      args: ['--req-logger', 'file:FILE', '--log-req-encoder', encoder],
      hex: readFileSync(file).toString('hex'),
    };
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

// captured by hand, see the top of this file
recording.systemd = {
  args: ['--logger', 'systemd'],
  datagram:
    'MESSAGE=*** Starting uWSGI 2.0.21-debian (64bit) on [Sat Nov 21 13:40:40 2026] ***\nPRIORITY=6\nCODE_FILE=plugins/systemd_logger/systemd_logger.c\nCODE_LINE=13\nCODE_FUNC=uwsgi_systemd_logger\nSYSLOG_IDENTIFIER=uwsgi\n',
  note: "sd_journal_print_with_location(LOG_INFO, ...) on /run/systemd/journal/socket; uwsgi-ts writes the same MESSAGE, PRIORITY and SYSLOG_IDENTIFIER through journald's stream socket instead",
};

writeFileSync(OUT, `${JSON.stringify(recording, null, 2)}\n`);
process.stderr.write(`wrote ${OUT}\n`);
