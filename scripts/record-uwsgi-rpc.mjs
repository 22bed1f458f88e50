#!/usr/bin/env node
// Records the real uWSGI's RPC wire behaviour (reference §1.3-§1.5) into
// test/fixtures/rpc/uwsgi-2.0.21-rpc.json, so the unit tests check our codecs against it without
// uWSGI installed. Needs `uwsgi` with the python3 and rpc plugins (Debian: uwsgi-core,
// uwsgi-plugin-python3). Run from the repository root: `node scripts/record-uwsgi-rpc.mjs`.
//
// Three parts:
// - server: request packets sent to uWSGI's uwsgi socket, its reply bytes and the log lines;
// - clientSends: what uWSGI's client (`uwsgi.rpc(node, ...)` in the app) writes to a node;
// - clientReads: replies a fake node sends, and what `uwsgi.rpc()` made of them (hex, or null
//   when it returned None).

import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const APP = `${root}test/fixtures/rpc/uwsgi_rpc_app.py`;
const OUT = `${root}test/fixtures/rpc/uwsgi-2.0.21-rpc.json`;

const hex = (text) => Buffer.from(text, 'latin1').toString('hex');
const u16 = (n) => Buffer.from([n & 0xff, n >> 8]).toString('hex');
const array = (...items) => items.map((i) => u16(Buffer.byteLength(i, 'latin1')) + hex(i)).join('');
const vars = (pairs) => pairs.map(([k, v]) => u16(k.length) + hex(k) + u16(v.length) + hex(v)).join('');
const packet = (m1, m2, bodyHex) =>
  Buffer.from([m1]).toString('hex') + u16(bodyHex.length / 2) + Buffer.from([m2]).toString('hex') + bodyHex;

/** Request packets for uWSGI's rpc plugin: [case, hex]. */
const SERVER_CASES = [
  ['normal: two args', packet(173, 0, array('hello', 'a', 'b'))],
  ['normal: no args', packet(173, 0, array('count'))],
  ['normal: empty arg in the middle is skipped', packet(173, 0, array('count', 'a', '', 'b'))],
  ['normal: empty item first is skipped', packet(173, 0, `0000${array('hello', 'z')}`)],
  ['raw (m2 1)', packet(173, 1, array('hello', 'x'))],
  ['m2 4 answers raw', packet(173, 4, array('hello', 'x'))],
  ['m2 5 answers raw', packet(173, 5, array('hello', 'x'))],
  ['m2 9 answers raw', packet(173, 9, array('hello', 'x'))],
  ['normal: 65535-byte result', packet(173, 0, array('big', '65535'))],
  ['normal: 65536-byte result uses the large form', packet(173, 0, array('big', '65536'))],
  ['raw: 65536-byte result', packet(173, 1, array('big', '65536'))],
  ['unknown function', packet(173, 0, array('nope', 'a'))],
  ['empty result', packet(173, 0, array('empty'))],
  ['function raises', packet(173, 0, array('boom'))],
  ['empty packet', packet(173, 0, '')],
  ['item overruns the payload', `ad030000${'05006865'}`],
  ['length prefix ends the payload', packet(173, 0, `${array('hello')}0000`)],
  ['length prefix cut short', packet(173, 0, `${array('hello')}05`)],
  ['254 args: all read', packet(173, 0, array('count', ...Array(254).fill('a')))],
  ['255 args: the 255th is dropped', packet(173, 0, array('count', ...Array(255).fill('a')))],
  ['bytes after item 255 are not parsed', packet(173, 0, `${array('count', ...Array(254).fill('a'))}0900ab`)],
  [
    'http (m2 2)',
    packet(
      173,
      2,
      vars([
        ['REQUEST_METHOD', 'GET'],
        ['PATH_INFO', '/hello/a/b'],
        ['SERVER_PROTOCOL', 'HTTP/1.1'],
      ]),
    ),
  ],
  [
    'http: HTTP_ACCEPT is the content type',
    packet(
      173,
      2,
      vars([
        ['PATH_INFO', '/hello/a/b'],
        ['SERVER_PROTOCOL', 'HTTP/1.1'],
        ['HTTP_ACCEPT', 'text/plain'],
      ]),
    ),
  ],
  [
    'http: HTTP_ACCEPT */*',
    packet(
      173,
      2,
      vars([
        ['PATH_INFO', '/hello/a'],
        ['SERVER_PROTOCOL', 'HTTP/1.1'],
        ['HTTP_ACCEPT', '*/*'],
      ]),
    ),
  ],
  [
    'http: empty segments skipped',
    packet(
      173,
      2,
      vars([
        ['PATH_INFO', '/count//a//b/'],
        ['SERVER_PROTOCOL', 'HTTP/1.1'],
      ]),
    ),
  ],
  [
    'http: no url-decoding',
    packet(
      173,
      2,
      vars([
        ['PATH_INFO', '/hello/a%20b'],
        ['SERVER_PROTOCOL', 'HTTP/1.0'],
      ]),
    ),
  ],
  [
    'http: unknown function',
    packet(
      173,
      2,
      vars([
        ['PATH_INFO', '/nope/a'],
        ['SERVER_PROTOCOL', 'HTTP/1.1'],
      ]),
    ),
  ],
  [
    'http: no function name',
    packet(
      173,
      2,
      vars([
        ['PATH_INFO', '/'],
        ['SERVER_PROTOCOL', 'HTTP/1.1'],
      ]),
    ),
  ],
  ['http: no PATH_INFO, no SERVER_PROTOCOL', packet(173, 2, vars([['REQUEST_METHOD', 'GET']]))],
  [
    'http: function raises',
    packet(
      173,
      2,
      vars([
        ['PATH_INFO', '/boom'],
        ['SERVER_PROTOCOL', 'HTTP/1.0'],
      ]),
    ),
  ],
];

/** Calls made by uWSGI's app to a recording node: [case, query]. */
const CLIENT_SEND_CASES = [
  ['two args', 'fn=hello&a=x&a=yy'],
  ['no args', 'fn=count'],
  ['an empty arg is sent', 'fn=count&a=a&a=&a=b'],
];

/** Replies a fake node gives to `uwsgi.rpc()`: [case, reply hex]. */
const CLIENT_READ_CASES = [
  ['normal', 'ad030000616263'],
  ['empty result header', 'ad000000'],
  ['modifier1 is not checked', 'ff030000616263'],
  ['modifier2 other than 5 is not checked', 'ad030007616263'],
  ['large form', `ad130005${vars([['CONTENT_LENGTH', '3']])}616263`],
  ['short body', 'ad0500006162'],
  ['closed without a reply', ''],
];

function startUwsgi() {
  const proc = spawn(
    'uwsgi',
    [
      '--plugin',
      'python3,rpc',
      '--socket',
      '127.0.0.1:0',
      '--http-socket',
      '127.0.0.1:0',
      '--wsgi-file',
      APP,
      '--disable-logging',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let log = '';
  proc.stdout.on('data', (d) => {
    log += d;
  });
  proc.stderr.on('data', (d) => {
    log += d;
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`uwsgi did not start:\n${log}`)), 10_000);
    const check = setInterval(() => {
      const ports = [...log.matchAll(/bound to TCP address 127\.0\.0\.1:(\d+)/g)].map((m) => Number(m[1]));
      if (ports.length === 2 && /spawned uWSGI worker/.test(log)) {
        clearInterval(check);
        clearTimeout(timer);
        resolve({ proc, socketPort: ports[0], httpPort: ports[1], log: () => log });
      }
    }, 50);
  });
}

function exchange(port, bytes) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(bytes));
    const chunks = [];
    socket.on('data', (d) => chunks.push(d));
    socket.on('close', () => resolve(Buffer.concat(chunks)));
    socket.on('error', reject);
    socket.setTimeout(8000, () => socket.destroy(new Error('no answer')));
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function get(port, path) {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path }, (res) => {
        let body = '';
        res.on('data', (d) => {
          body += d;
        });
        res.on('end', () => resolve(body));
      })
      .on('error', reject);
  });
}

/** A node that records what arrives and answers `reply` (closing after it). */
function fakeNode(reply) {
  const received = [];
  const server = net.createServer((socket) => {
    socket.on('data', (d) => {
      received.push(d);
      socket.end(reply);
    });
    socket.on('error', () => {});
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, port: server.address().port, received })),
  );
}

const uwsgi = await startUwsgi();
try {
  const server = [];
  for (const [name, request] of SERVER_CASES) {
    const before = uwsgi.log().length;
    const reply = await exchange(uwsgi.socketPort, Buffer.from(request, 'hex'));
    await sleep(150);
    const log = uwsgi
      .log()
      .slice(before)
      .split('\n')
      .filter((l) => l !== '');
    // big replies are kept short in the file: their first 64 bytes and their length
    const replyHex = reply.length > 1024 ? reply.subarray(0, 64).toString('hex') : reply.toString('hex');
    server.push({ case: name, request, reply: replyHex, replyLength: reply.length, log });
    console.log(`server: ${name}: ${reply.length} bytes`);
  }

  const clientSends = [];
  for (const [name, query] of CLIENT_SEND_CASES) {
    const node = await fakeNode(Buffer.from('ad0200006869', 'hex'));
    const answer = await get(uwsgi.httpPort, `/?node=127.0.0.1:${node.port}&${query}`);
    node.server.close();
    clientSends.push({ case: name, query, sent: Buffer.concat(node.received).toString('hex'), answer });
    console.log(`client sends: ${name}`);
  }

  const clientReads = [];
  for (const [name, reply] of CLIENT_READ_CASES) {
    const node = await fakeNode(Buffer.from(reply, 'hex'));
    const answer = await get(uwsgi.httpPort, `/?node=127.0.0.1:${node.port}&fn=hello`);
    node.server.close();
    clientReads.push({ case: name, reply, result: answer === 'NONE' ? null : answer.slice(3) });
    console.log(`client reads: ${name}: ${answer}`);
  }

  const version = /Starting uWSGI (\S+)/.exec(uwsgi.log())?.[1] ?? 'unknown';
  writeFileSync(
    OUT,
    `${JSON.stringify(
      {
        recordedWith: `uWSGI ${version}, scripts/record-uwsgi-rpc.mjs, test/fixtures/rpc/uwsgi_rpc_app.py`,
        server,
        clientSends,
        clientReads,
      },
      null,
      2,
    )}\n`,
  );
  console.log(`wrote ${OUT}`);
} finally {
  uwsgi.proc.kill('SIGINT');
}
