#!/usr/bin/env node
// Records the real uWSGI's cache behaviour (reference §1.5, §7) into
// test/fixtures/cache/uwsgi-2.0.21-cache.json, so the unit tests check the engine and the wire
// codecs against it without uWSGI installed. Needs `uwsgi` with the python3 and cache plugins
// (Debian: uwsgi-core, uwsgi-plugin-python3). Run from anywhere: `node scripts/record-uwsgi-cache.mjs`.
//
// Five parts:
// - startup: the cache lines (or the error) uWSGI prints for cache options;
// - semantics: operation scripts run through the Python API on local caches, each result and the
//   log lines (FULL, LRU) it printed (test/fixtures/cache/uwsgi_cache_app.py runs them);
// - server: request packets sent to a uwsgi socket with the cache plugin, the reply bytes, in
//   order (the cache state carries over), then that instance's `caches` stats;
// - clientSends: remote calls of the Python API (`cache@127.0.0.1:PORT`) through a recording
//   proxy to that server: what the client sent, what the server answered, what Python returned;
// - clientReads: canned replies of a fake node, and what the Python API made of them.

import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const APP = `${root}test/fixtures/cache/uwsgi_cache_app.py`;
const OUT = `${root}test/fixtures/cache/uwsgi-2.0.21-cache.json`;

const hex = (text) => Buffer.from(text, 'latin1').toString('hex');
const u16 = (n) => Buffer.from([n & 0xff, n >> 8]).toString('hex');
const array = (...items) => items.map((i) => u16(Buffer.byteLength(i, 'latin1')) + hex(i)).join('');
const vars = (pairs) => pairs.map(([k, v]) => u16(k.length) + hex(k) + u16(v.length) + hex(v)).join('');
const packet = (m1, m2, bodyHex, tailHex = '') =>
  Buffer.from([m1]).toString('hex') +
  u16(bodyHex.length / 2) +
  Buffer.from([m2]).toString('hex') +
  bodyHex +
  tailHex;
/** A magic (m2 17) request: vars, then the raw value for set/update. */
const magic = (pairs, value = '') => packet(111, 17, vars(pairs), hex(value));

/** [case, extra uwsgi arguments]: what uWSGI prints about caches at start-up. */
const STARTUP_CASES = [
  ['cache2 items=100', ['--cache2', 'name=mycache,items=100']],
  ['cache2 small geometry', ['--cache2', 'name=small,items=3,blocksize=10,keysize=5']],
  ['cache2 bitmap', ['--cache2', 'name=bm,items=20,bitmap=1,blocks=100']],
  ['cache2 bitmap blocks = items', ['--cache2', 'name=bm,items=10,blocks=10,bitmap=1']],
  ['cache2 keysize 65535 (1MB)', ['--cache2', 'name=x,items=10,keysize=65535']],
  ['legacy cache with blocksize', ['--cache', '10', '--cache-blocksize', '100']],
  ['legacy cache first, then cache2', ['--cache2', 'name=b,items=5', '--cache', '5']],
  ['legacy cache 0 is no cache', ['--cache', '0']],
  ['legacy cache-blocksize 0 is the default', ['--cache', '5', '--cache-blocksize', '0']],
  ['two caches named default', ['--cache', '5', '--cache2', 'name=default,items=4']],
  ['aliases: the last one wins', ['--cache2', 'name=x,items=10,maxitems=5,max_items=7']],
  ['unknown key ignored', ['--cache2', 'name=x,items=10,foo=bar']],
  ['murmur2', ['--cache2', 'name=x,items=10,hash=murmur2']],
  ['sweeper with master', ['--master', '--cache2', 'name=a,items=5']],
  ['no sweeper: lazy_expire', ['--master', '--cache2', 'name=a,items=5,lazy_expire=1']],
  ['no sweeper: purge_lru', ['--master', '--cache2', 'name=a,items=5,purge_lru=1']],
  ['no sweeper: cache-no-expire', ['--master', '--cache2', 'name=a,items=5', '--cache-no-expire']],
  ['error: no name', ['--cache2', 'items=10']],
  ['error: no items', ['--cache2', 'name=x']],
  ['error: items=0', ['--cache2', 'name=x,items=0']],
  ['error: items not a number', ['--cache2', 'name=x,items=abc']],
  ['error: blocks < items', ['--cache2', 'name=x,items=10,blocks=5']],
  ['error: bitmap blocks < items', ['--cache2', 'name=x,items=10,bitmap=1,blocks=5']],
  ['error: unknown hash', ['--cache2', 'name=x,items=10,hash=foo']],
  ['error: keysize 65536', ['--cache2', 'name=x,items=10,keysize=65536']],
  ['error: blocksize 0', ['--cache2', 'name=x,items=10,blocksize=0']],
  ['error: hashsize 0', ['--cache2', 'name=x,items=10,hashsize=0']],
];

/** Operation scripts for the Python API on local caches (see uwsgi_cache_app.py). */
const SEMANTICS_CACHES = [
  'name=c3,items=3,blocksize=10,keysize=5',
  'name=c8,items=8,blocksize=10,keysize=5,math_initial=100',
  'name=lru,items=4,blocksize=10,purge_lru=1',
  'name=bm,items=4,blocks=4,blocksize=10,bitmap=1',
  'name=lazy,items=10,lazy_expire=1',
  'name=exp,items=10',
];
const basics = (c) => [
  ['set', 'a', '1', 0, c],
  ['set', 'b', '2', 0, c],
  ['set', 'c', '3', 0, c],
  ['set', 'a', 'x', 0, c],
  ['update', 'a', 'xyz', 0, c],
  ['get', 'a', c],
  ['keys', c],
  ['exists', 'c', c],
  ['exists', 'zz', c],
  ['del', 'b', c],
  ['del', 'b', c],
  ['get', 'b', c],
  ['set', 'big', 'x'.repeat(11), 0, c],
  ['set', 'ten', 'x'.repeat(10), 0, c],
  ['set', 'emp', '', 0, c],
  ['update', 'emp', '', 0, c],
  ['set', 'kkkkkk', 'v', 0, c],
  ['set', 'kkkkk', 'v', 0, c],
  ['update', 'ten', 'y'.repeat(11), 0, c],
  ['get', 'ten', c],
  ['update', 'new', 'n', 0, c],
  ['clear', c],
  ['keys', c],
  ['inc', 'n', 1, 0, c],
  ['get', 'n', c],
  ['num', 'n', c],
  ['inc', 'n', 5, 0, c],
  ['mul', 'n', 3, 0, c],
  ['num', 'n', c],
  ['div', 'n', 4, 0, c],
  ['num', 'n', c],
  ['div', 'n', 0, 0, c],
  ['num', 'n', c],
  ['clear', c],
  ['dec', 'm', 1, 0, c],
  ['num', 'm', c],
  ['div', 'q', 2, 0, c],
  ['num', 'q', c],
  ['clear', c],
  ['set', 's', 'abc', 0, c],
  ['inc', 's', 1, 0, c],
  ['num', 's', c],
  ['get', 's', c],
  ['num', 'missing', c],
  ['set', 't', 'abcdefghij', 0, c],
  ['num', 't', c],
  ['dec', 't', 1, 0, c],
  ['get', 't', c],
];
const SEMANTICS_SCRIPTS = [
  ['basics: items=3 (holds 2), blocksize 10, keysize 5', basics('c3')],
  ['basics: items=8, math_initial=100', basics('c8')],
  [
    'purge_lru: items=4 (holds 3); get and update refresh',
    [
      ['set', 'a', 'aaa', 0, 'lru'],
      ['set', 'b', 'bbb', 0, 'lru'],
      ['set', 'c', 'ccc', 0, 'lru'],
      ['get', 'a', 'lru'],
      ['set', 'd', 'ddd', 0, 'lru'],
      ['keys', 'lru'],
      ['update', 'c', 'CC', 0, 'lru'],
      ['set', 'e', 'eee', 0, 'lru'],
      ['keys', 'lru'],
      ['exists', 'd', 'lru'],
      ['set', 'f', 'fff', 0, 'lru'],
      ['keys', 'lru'],
      ['del', 'e', 'lru'],
      ['set', 'g', 'ggg', 0, 'lru'],
      ['set', 'h', 'hhh', 0, 'lru'],
      ['keys', 'lru'],
      ['set', 'big', 'x'.repeat(11), 0, 'lru'],
      ['keys', 'lru'],
    ],
  ],
  [
    'bitmap: 4 blocks of 10 bytes, items=4 (holds 3)',
    [
      ['set', 'a', 'a'.repeat(25), 0, 'bm'],
      ['set', 'b', 'b'.repeat(15), 0, 'bm'],
      ['set', 'c', 'c'.repeat(10), 0, 'bm'],
      ['set', 'd', 'd', 0, 'bm'],
      ['del', 'c', 'bm'],
      ['set', 'big', 'x'.repeat(41), 0, 'bm'],
      ['update', 'a', 'A'.repeat(5), 0, 'bm'],
      ['set', 'b', 'b'.repeat(15), 0, 'bm'],
      ['get', 'a', 'bm'],
      ['get', 'b', 'bm'],
      ['update', 'b', 'B'.repeat(30), 0, 'bm'],
      ['get', 'b', 'bm'],
      ['clear', 'bm'],
      ['set', 'big', 'x'.repeat(40), 0, 'bm'],
      ['get', 'big', 'bm'],
      ['update', 'big', 'y'.repeat(10), 0, 'bm'],
      ['get', 'big', 'bm'],
      ['del', 'big', 'bm'],
      ['set', 'p', 'p'.repeat(10), 0, 'bm'],
      ['set', 'q', 'q'.repeat(10), 0, 'bm'],
      ['set', 'r', 'r'.repeat(10), 0, 'bm'],
      ['del', 'q', 'bm'],
      ['set', 's', 's'.repeat(20), 0, 'bm'],
      ['set', 's', 's'.repeat(10), 0, 'bm'],
      ['get', 's', 'bm'],
      ['keys', 'bm'],
    ],
  ],
  [
    'lazy_expire: expired items vanish on access',
    [
      ['set', 'a', 'aaaa', 1, 'lazy'],
      ['set', 'b', 'bbbb', 0, 'lazy'],
      ['get', 'a', 'lazy'],
      ['sleep', 2.1],
      ['keys', 'lazy'],
      ['exists', 'a', 'lazy'],
      ['keys', 'lazy'],
      ['set', 'c', 'cccc', 1, 'lazy'],
      ['set', 'c', 'x', 1, 'lazy'],
      ['sleep', 2.1],
      ['set', 'c', 'y', 0, 'lazy'],
      ['get', 'c', 'lazy'],
      ['set', 'd', 'dddd', 1, 'lazy'],
      ['sleep', 2.1],
      ['get', 'd', 'lazy'],
      ['keys', 'lazy'],
    ],
  ],
  [
    'expiry with the sweeper (cache-expire-freq 1)',
    [
      ['set', 'a', 'aaaa', 2, 'exp'],
      ['set', 'b', 'bbbb', 2, 'exp'],
      ['set', 'c', 'cccc', 0, 'exp'],
      ['get', 'a', 'exp'],
      ['update', 'b', 'BBBB', 0, 'exp'],
      ['sleep', 4.5],
      ['get', 'a', 'exp'],
      ['get', 'b', 'exp'],
      ['keys', 'exp'],
    ],
  ],
];

/** Request packets for the cache plugin, sent in order to one instance: [case, hex]. */
const SERVER_CASES = [
  [
    'magic get: miss',
    magic([
      ['cmd', 'get'],
      ['key', 'foo'],
      ['cache', 'mycache'],
    ]),
  ],
  [
    'magic set',
    magic(
      [
        ['cmd', 'set'],
        ['key', 'foo'],
        ['size', '3'],
        ['cache', 'mycache'],
      ],
      'bar',
    ),
  ],
  [
    'magic get: hit',
    magic([
      ['cmd', 'get'],
      ['key', 'foo'],
      ['cache', 'mycache'],
    ]),
  ],
  [
    'magic set: existing key',
    magic(
      [
        ['cmd', 'set'],
        ['key', 'foo'],
        ['size', '3'],
        ['cache', 'mycache'],
      ],
      'baz',
    ),
  ],
  [
    'magic update',
    magic(
      [
        ['cmd', 'update'],
        ['key', 'foo'],
        ['size', '4'],
        ['cache', 'mycache'],
      ],
      'bar2',
    ),
  ],
  [
    'magic get: updated',
    magic([
      ['cmd', 'get'],
      ['key', 'foo'],
      ['cache', 'mycache'],
    ]),
  ],
  [
    'magic get: no cache var (the default cache)',
    magic([
      ['cmd', 'get'],
      ['key', 'foo'],
    ]),
  ],
  [
    'magic get: empty cache name',
    magic([
      ['cmd', 'get'],
      ['key', 'foo'],
      ['cache', ''],
    ]),
  ],
  [
    'magic get: other cache',
    magic([
      ['cmd', 'get'],
      ['key', 'foo'],
      ['cache', 'other'],
    ]),
  ],
  [
    'magic get: unknown cache',
    magic([
      ['cmd', 'get'],
      ['key', 'foo'],
      ['cache', 'nope'],
    ]),
  ],
  ['simple get (m2 0): hit', packet(111, 0, hex('foo'))],
  ['simple get (m2 0): miss', packet(111, 0, hex('nope'))],
  ['get+stream (m2 5): hit', packet(111, 5, hex('foo'))],
  ['get+stream (m2 5): miss', packet(111, 5, hex('nope'))],
  ['simple set (m2 1)', packet(111, 1, array('k1', 'v1'))],
  [
    'magic get k1 (m2 1 went to the default cache)',
    magic([
      ['cmd', 'get'],
      ['key', 'k1'],
      ['cache', 'mycache'],
    ]),
  ],
  ['simple set (m2 1): existing key is kept', packet(111, 1, array('k1', 'v2'))],
  [
    'magic get k1 again',
    magic([
      ['cmd', 'get'],
      ['key', 'k1'],
    ]),
  ],
  ['simple set (m2 1): a third item is ignored', packet(111, 1, array('k3', 'v3', 'zzz'))],
  [
    'magic get k3',
    magic([
      ['cmd', 'get'],
      ['key', 'k3'],
    ]),
  ],
  ['simple del (m2 2)', packet(111, 2, hex('k1'))],
  [
    'magic get k1 after del',
    magic([
      ['cmd', 'get'],
      ['key', 'k1'],
    ]),
  ],
  ['dict get (m2 3) key=', packet(111, 3, vars([['key', 'foo']]))],
  ['dict get (m2 4) get=: hit', packet(111, 4, vars([['get', 'foo']]))],
  ['dict get (m2 4) get=: miss', packet(111, 4, vars([['get', 'nope']]))],
  [
    'magic exists: hit',
    magic([
      ['cmd', 'exists'],
      ['key', 'foo'],
      ['cache', 'mycache'],
    ]),
  ],
  [
    'magic exists: miss',
    magic([
      ['cmd', 'exists'],
      ['key', 'nope'],
      ['cache', 'mycache'],
    ]),
  ],
  [
    'magic set with expires',
    magic(
      [
        ['cmd', 'set'],
        ['key', 'e'],
        ['size', '2'],
        ['expires', '100'],
      ],
      'ee',
    ),
  ],
  [
    'magic get with expires',
    magic([
      ['cmd', 'get'],
      ['key', 'e'],
    ]),
  ],
  [
    'magic set: value bigger than the block',
    magic(
      [
        ['cmd', 'set'],
        ['key', 'x'],
        ['size', '9'],
        ['cache', 'other'],
      ],
      '123456789',
    ),
  ],
  [
    'magic set: fits the block',
    magic(
      [
        ['cmd', 'set'],
        ['key', 'x'],
        ['size', '8'],
        ['cache', 'other'],
      ],
      '12345678',
    ),
  ],
  [
    'magic get x from other',
    magic([
      ['cmd', 'get'],
      ['key', 'x'],
      ['cache', 'other'],
    ]),
  ],
  [
    'magic set: size twice (as uWSGI clients send it)',
    magic(
      [
        ['cmd', 'set'],
        ['key', 'two'],
        ['size', '3'],
        ['size', '3'],
      ],
      'abc',
    ),
  ],
  [
    'magic del: hit',
    magic([
      ['cmd', 'del'],
      ['key', 'foo'],
      ['cache', 'mycache'],
    ]),
  ],
  [
    'magic del: miss',
    magic([
      ['cmd', 'del'],
      ['key', 'foo'],
      ['cache', 'mycache'],
    ]),
  ],
  [
    'magic unknown cmd',
    magic([
      ['cmd', 'inc'],
      ['key', 'two'],
    ]),
  ],
  ['magic get: no key', magic([['cmd', 'get']])],
  ['magic: no cmd', magic([['key', 'two']])],
  [
    'magic clear',
    magic([
      ['cmd', 'clear'],
      ['cache', 'mycache'],
    ]),
  ],
  [
    'magic get after clear',
    magic([
      ['cmd', 'get'],
      ['key', 'two'],
      ['cache', 'mycache'],
    ]),
  ],
  [
    'magic set for the stats',
    magic(
      [
        ['cmd', 'set'],
        ['key', 'stat'],
        ['size', '1'],
      ],
      's',
    ),
  ],
];

/** Remote calls of the Python API through the recording proxy (CACHE is replaced). */
const CLIENT_SEND_CASES = [
  ['get: miss', ['get', 'foo', 'CACHE']],
  ['set', ['set', 'foo', 'bar', 0, 'CACHE']],
  ['set: existing key', ['set', 'foo', 'baz', 0, 'CACHE']],
  ['get: hit', ['get', 'foo', 'CACHE']],
  ['set with expires', ['set', 'e', 'ee', 30, 'CACHE']],
  ['get with expires', ['get', 'e', 'CACHE']],
  ['update', ['update', 'foo', 'bar2', 0, 'CACHE']],
  ['exists: hit', ['exists', 'foo', 'CACHE']],
  ['exists: miss', ['exists', 'nope', 'CACHE']],
  ['del: hit', ['del', 'foo', 'CACHE']],
  ['del: miss', ['del', 'foo', 'CACHE']],
  ['inc (sent as an update of the amount)', ['inc', 'n', 5, 0, 'CACHE']],
  ['num (sent as a get)', ['num', 'n', 'CACHE']],
  ['clear', ['clear', 'CACHE']],
  ['get: empty cache name (@host:port)', ['get', 'foo', 'EMPTY']],
  ['get: no @ (a local cache name, nothing is sent)', ['get', 'foo', 'NOAT']],
];

/** Canned replies of a fake node: [case, op (CACHE replaced), reply hex]. */
const CLIENT_READ_CASES = [
  [
    'get: status=ok with size and value',
    ['get', 'k', 'CACHE'],
    `${packet(
      111,
      17,
      vars([
        ['status', 'ok'],
        ['size', '3'],
      ]),
    )}616263`,
  ],
  ['get: documented m2 0 header [111, vallen, 0]', ['get', 'k', 'CACHE'], packet(111, 0, hex('abc'))],
  [
    'get: status=ok, size=0',
    ['get', 'k', 'CACHE'],
    packet(
      111,
      17,
      vars([
        ['status', 'ok'],
        ['size', '0'],
      ]),
    ),
  ],
  ['get: status=notfound', ['get', 'k', 'CACHE'], packet(111, 17, vars([['status', 'notfound']]))],
  ['get: closed without a reply', ['get', 'k', 'CACHE'], ''],
  ['set: status=ok', ['set', 'k', 'v', 0, 'CACHE'], packet(111, 17, vars([['status', 'ok']]))],
  ['set: status=error', ['set', 'k', 'v', 0, 'CACHE'], packet(111, 17, vars([['status', 'error']]))],
  ['set: closed without a reply', ['set', 'k', 'v', 0, 'CACHE'], ''],
  ['exists: status=ok', ['exists', 'k', 'CACHE'], packet(111, 17, vars([['status', 'ok']]))],
  ['exists: closed without a reply', ['exists', 'k', 'CACHE'], ''],
  ['del: status=ok', ['del', 'k', 'CACHE'], packet(111, 17, vars([['status', 'ok']]))],
  ['clear: status=ok', ['clear', 'CACHE'], packet(111, 17, vars([['status', 'ok']]))],
];

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A port free right now (uWSGI's stats server does not report the port it got for :0). */
function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Starts uwsgi; resolves when a worker is up (or the process exits) with its ports and log. */
function startUwsgi(args, { wantPorts = 0 } = {}) {
  const proc = spawn('uwsgi', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  let exit;
  const add = (d) => {
    log += d;
  };
  proc.stdout.on('data', add);
  proc.stderr.on('data', add);
  proc.on('exit', (code) => {
    exit = code;
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`uwsgi did not start:\n${log}`)), 10_000);
    const check = setInterval(() => {
      const ports = [...log.matchAll(/bound to TCP address 127\.0\.0\.1:(\d+)/g)].map((m) => Number(m[1]));
      const up = /spawned uWSGI worker/.test(log) && ports.length >= wantPorts;
      if (up || exit !== undefined) {
        clearInterval(check);
        clearTimeout(timer);
        resolve({ proc, ports, log: () => log, exit: () => exit });
      }
    }, 50);
  });
}

async function stop(uwsgi) {
  if (uwsgi.exit() !== undefined) return;
  const gone = new Promise((r) => uwsgi.proc.once('exit', r));
  uwsgi.proc.kill('SIGINT');
  await gone;
}

function exchange(port, bytes, timeoutMs = 3000) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(bytes));
    const chunks = [];
    let timedOut = false;
    socket.on('data', (d) => chunks.push(d));
    socket.on('close', () => resolve({ reply: Buffer.concat(chunks), timedOut }));
    socket.on('error', reject);
    socket.setTimeout(timeoutMs, () => {
      timedOut = true;
      socket.destroy();
    });
  });
}

function readAll(port) {
  return exchange(port, Buffer.alloc(0)).then((r) => r.reply.toString());
}

function post(port, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path: '/', method: 'POST', headers: { 'content-type': 'application/json' } },
      (res) => {
        let text = '';
        res.on('data', (d) => {
          text += d;
        });
        res.on('end', () => resolve(text));
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

/** Runs ops through the Python app; returns [{op, result, log}]. */
async function runOps(uwsgi, httpPort, ops) {
  const before = uwsgi.log().length;
  const results = JSON.parse(await post(httpPort, ops));
  await sleep(100);
  const lines = uwsgi.log().slice(before).split('\n');
  return ops.map((op, i) => {
    const start = lines.indexOf(`@@op ${i}`);
    const end = lines.indexOf(`@@end ${i}`);
    return { op, result: results[i], log: lines.slice(start + 1, end).filter((l) => l !== '') };
  });
}

/** A TCP proxy to `target` that records every connection's request and reply bytes. */
function recordingProxy(target) {
  const connections = [];
  const server = net.createServer((client) => {
    const record = { request: [], reply: [] };
    connections.push(record);
    const upstream = net.connect(target, '127.0.0.1');
    client.on('data', (d) => {
      record.request.push(d);
      upstream.write(d);
    });
    upstream.on('data', (d) => {
      record.reply.push(d);
      client.write(d);
    });
    client.on('end', () => upstream.end());
    upstream.on('end', () => client.end());
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, port: server.address().port, connections })),
  );
}

/** A node that answers `reply` once it has a whole request (header, vars, and a set's value). */
function fakeNode(reply) {
  const received = [];
  const server = net.createServer((socket) => {
    let have = Buffer.alloc(0);
    socket.on('data', (d) => {
      received.push(d);
      have = Buffer.concat([have, d]);
      if (have.length < 4) return;
      const size = have.readUInt16LE(1);
      if (have.length < 4 + size) return;
      const needed = 4 + size + valueSize(have.subarray(4, 4 + size));
      if (have.length >= needed) socket.end(reply);
    });
    socket.on('error', () => {});
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, port: server.address().port, received })),
  );
}

/** The `size` var of a magic request (0 when absent). */
function valueSize(block) {
  let p = 0;
  let size = 0;
  while (p + 2 <= block.length) {
    const kl = block.readUInt16LE(p);
    const key = block.toString('latin1', p + 2, p + 2 + kl);
    p += 2 + kl;
    const vl = block.readUInt16LE(p);
    const value = block.toString('latin1', p + 2, p + 2 + vl);
    p += 2 + vl;
    if (key === 'size') size = Number(value);
  }
  return size;
}

const cacheLines = (log) =>
  log
    .split('\n')
    .filter((l) => /cache|Cache|sweeper|LRU/.test(l) && !/^\s*$/.test(l) && !l.startsWith('uwsgi socket'));

const record = {
  recordedWith: '',
  startup: [],
  semantics: [],
  server: [],
  serverStats: null,
  clientSends: [],
  clientReads: [],
};
for (const [name, args] of STARTUP_CASES) {
  const uwsgi = await startUwsgi(['--socket', '127.0.0.1:0', ...args]);
  await sleep(300);
  await stop(uwsgi);
  if (!record.recordedWith) record.recordedWith = /Starting uWSGI (\S+)/.exec(uwsgi.log())?.[1] ?? 'unknown';
  const exited = uwsgi.exit() !== 0 && !/spawned uWSGI worker/.test(uwsgi.log());
  record.startup.push({
    case: name,
    args,
    lines: cacheLines(uwsgi.log()),
    ...(exited ? { failed: true } : {}),
  });
  console.log(`startup: ${name}`);
}

{
  const args = ['--master', '--plugin', 'python3', '--http-socket', '127.0.0.1:0', '--wsgi-file', APP];
  for (const c of SEMANTICS_CACHES) args.push('--cache2', c);
  args.push('--cache-expire-freq', '1', '--disable-logging');
  const uwsgi = await startUwsgi(args, { wantPorts: 1 });
  try {
    for (const [name, ops] of SEMANTICS_SCRIPTS) {
      record.semantics.push({
        case: name,
        caches: SEMANTICS_CACHES,
        steps: await runOps(uwsgi, uwsgi.ports[0], ops),
      });
      console.log(`semantics: ${name}`);
    }
  } finally {
    await stop(uwsgi);
  }
}

const statsPort = await freePort();
const server = await startUwsgi(
  [
    '--plugin',
    'cache',
    '--socket',
    '127.0.0.1:0',
    '--cache2',
    'name=mycache,items=10',
    '--cache2',
    'name=other,items=10,blocksize=8',
    '--stats',
    `127.0.0.1:${statsPort}`,
  ],
  { wantPorts: 1 },
);
try {
  const port = server.ports[0];
  for (const [name, request] of SERVER_CASES) {
    const before = server.log().length;
    const now = Math.floor(Date.now() / 1000);
    const { reply, timedOut } = await exchange(port, Buffer.from(request, 'hex'));
    await sleep(100);
    const log = server
      .log()
      .slice(before)
      .split('\n')
      .filter((l) => l !== '');
    record.server.push({
      case: name,
      request,
      reply: reply.toString('hex'),
      now,
      ...(timedOut ? { timedOut } : {}),
      log,
    });
    console.log(`server: ${name}: ${reply.length} bytes`);
  }
  record.serverStats = JSON.parse(await readAll(statsPort)).caches;

  const proxy = await recordingProxy(port);
  const client = await startUwsgi(
    ['--plugin', 'python3', '--http-socket', '127.0.0.1:0', '--wsgi-file', APP, '--disable-logging'],
    { wantPorts: 1 },
  );
  try {
    await exchange(
      port,
      Buffer.from(
        magic([
          ['cmd', 'clear'],
          ['cache', 'mycache'],
        ]),
        'hex',
      ),
    );
    const target = {
      CACHE: `mycache@127.0.0.1:${proxy.port}`,
      EMPTY: `@127.0.0.1:${proxy.port}`,
      NOAT: `127.0.0.1:${proxy.port}`,
    };
    for (const [name, op] of CLIENT_SEND_CASES) {
      const from = proxy.connections.length;
      const real = op.map((a) => target[a] ?? a);
      const [step] = await runOps(client, client.ports[0], [real]);
      await sleep(50);
      const sent = proxy.connections.slice(from).map((c) => ({
        request: Buffer.concat(c.request).toString('hex'),
        reply: Buffer.concat(c.reply).toString('hex'),
      }));
      record.clientSends.push({
        case: name,
        op: real.map((a) =>
          a === real.at(-1) && typeof a === 'string' && a.includes(':') ? a.replace(/:\d+$/, ':PORT') : a,
        ),
        result: step.result,
        exchanges: sent,
      });
      console.log(`client sends: ${name}`);
    }
    for (const [name, op, reply] of CLIENT_READ_CASES) {
      const node = await fakeNode(Buffer.from(reply, 'hex'));
      const real = op.map((a) => (a === 'CACHE' ? `mycache@127.0.0.1:${node.port}` : a));
      const [step] = await runOps(client, client.ports[0], [real]);
      node.server.close();
      record.clientReads.push({
        case: name,
        op,
        reply,
        result: step.result,
        sent: Buffer.concat(node.received).toString('hex'),
      });
      console.log(`client reads: ${name}: ${JSON.stringify(step.result)}`);
    }
  } finally {
    await stop(client);
    proxy.server.close();
  }
} finally {
  await stop(server);
}

record.recordedWith = `uWSGI ${record.recordedWith}, scripts/record-uwsgi-cache.mjs, test/fixtures/cache/uwsgi_cache_app.py`;
writeFileSync(OUT, `${JSON.stringify(record, null, 2)}\n`);
console.log(`wrote ${OUT}`);
