// Issue 15 point 6: the chunked input API. uWSGI's chunked_read/chunked_read_nb for JS apps
// (chunkedRead, chunkedReadNb: test/fixtures/websocket/echo-api.mjs) on an HTTP socket and
// through the HTTP router: a 25 MB chunked POST read piece by piece arrives byte-identical; a
// stalled body times out; and seed 004's chunked-input example (Python, wsgi-manage-chunked-input)
// through the router with `http-raw-body`, as the seed manual advises, stores the body
// byte-identical (directly: python-seed004.test.ts).
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { REPO } from '../helpers/cli.js';
import { PYTHON_PATH, send } from '../helpers/python.js';
import { routerPort } from '../helpers/router.js';
import { type RunningServer, startServer } from '../helpers/server.js';

const APP = join(REPO, 'test', 'fixtures', 'websocket', 'echo-api.mjs');
const SEED_INI = join(REPO, 'test', 'fixtures', 'chunked', 'uwsgi-config.ini');
const MB25 = randomBytes(25 * 1024 * 1024);
const MB25_SHA = createHash('sha256').update(MB25).digest('hex');

/** Part of a chunked body, then nothing: the answer the app gives when it stops waiting. */
function stalledPost(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.write('POST /stalled HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n');
    });
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within 20 s: ${JSON.stringify(text)}`));
    }, 20_000);
    socket.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      if (/\r\n\r\n[\s\S]*bytes\n/.test(text)) {
        clearTimeout(timer);
        socket.destroy();
        resolve(text);
      }
    });
    socket.on('error', reject);
  });
}

async function post25(port: number, path: string): Promise<Record<string, unknown>> {
  const reply = await send(port, 'POST', path, MB25, { chunked: true, timeoutMs: 60_000 });
  assert.equal(reply.status, 200, reply.body.toString());
  return JSON.parse(reply.body.toString()) as Record<string, unknown>;
}

describe('chunkedRead()/chunkedReadNb() on an http-socket', { timeout: 120_000 }, () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer(
      [
        '--master',
        '--processes',
        '1',
        '--http-socket',
        '127.0.0.1:0',
        '--app',
        APP,
        '--chunked-input-limit',
        '65536',
      ],
      { timeoutMs: 30_000 },
    );
  });
  after(() => server?.close());

  test('a 25 MB chunked POST read piece by piece is byte-identical; pieces bounded by chunked-input-limit', async () => {
    const got = await post25(server.port, '/chunked');
    assert.equal(got['bytes'], MB25.length);
    assert.equal(got['sha256'], MB25_SHA);
    assert.ok((got['pieces'] as number) >= MB25.length / 65536, `pieces of at most 64 KB (${got['pieces']})`);
  });

  test('chunkedReadNb() polls: undefined while nothing has come, empty at the end', async () => {
    const body = randomBytes(3 * 1024 * 1024);
    const reply = await send(server.port, 'POST', '/chunked-nb', body, { chunked: true, timeoutMs: 30_000 });
    assert.deepEqual(JSON.parse(reply.body.toString()), { bytes: body.length, waited: true });
  });

  test('a body that stalls: chunkedRead(req, 1) rejects with ERR_CHUNKED_INPUT', async () => {
    const started = Date.now();
    const answer = await stalledPost(server.port);
    assert.match(answer, /ERR_CHUNKED_INPUT after 5 bytes\n$/);
    assert.ok(Date.now() - started >= 900, 'it waited its second');
  });
});

describe('chunkedRead() through the HTTP router', { timeout: 120_000 }, () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer(
      ['--master', '--processes', '2', '--http', '127.0.0.1:0', '--http-raw-body', '--app', APP],
      { timeoutMs: 30_000 },
    );
  });
  after(() => server?.close());

  test('a 25 MB chunked POST read piece by piece is byte-identical', async () => {
    const got = await post25(routerPort(server), '/chunked');
    assert.equal(got['bytes'], MB25.length);
    assert.equal(got['sha256'], MB25_SHA);
  });
});

describe("seed 004's chunked-input example through the HTTP router (http-raw-body)", {
  timeout: 120_000,
}, () => {
  let server: RunningServer;
  const dir = mkdtempSync(join(tmpdir(), 'uwsgi-ts-chunked-'));
  before(async () => {
    // the seed's ini, with the router in front (`http` + `http-raw-body`, the manual's advice)
    server = await startServer([SEED_INI, '--http', '127.0.0.1:0', '--http-raw-body'], {
      cwd: dir,
      env: { PATH: PYTHON_PATH },
      timeoutMs: 60_000,
    });
  });
  after(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('25 MB sent chunked to the router is written to test.json byte-identical', async () => {
    const reply = await send(routerPort(server), 'POST', '/', MB25, { chunked: true, timeoutMs: 60_000 });
    assert.equal(reply.status, 200);
    assert.equal(reply.body.toString(), 'Hello World\n');
    assert.ok(readFileSync(join(dir, 'test.json')).equals(MB25), 'test.json holds the body as sent');
  });

  test('directly on its http11-socket too', async () => {
    rmSync(join(dir, 'test.json'), { force: true });
    const port = Number(/uwsgi socket 0 bound to TCP address 127\.0\.0\.1:(\d+)/.exec(server.log())?.[1]);
    const reply = await send(port, 'POST', '/', MB25, { chunked: true, timeoutMs: 60_000 });
    assert.equal(reply.body.toString(), 'Hello World\n');
    assert.ok(readFileSync(join(dir, 'test.json')).equals(MB25), 'test.json holds the body as sent');
  });
});
