// Issue 15 point 5: uWSGI's WebSocket API for JS apps (websocketHandshake, recv, recvNb, send,
// sendBinary, ping/pong in the background, close) on the three paths a uWSGI app is reached by:
// an `http-socket`, the HTTP router with `http-websockets`, and nginx's `uwsgi_pass` (nginx
// tunnels the bytes after a 101 on the uwsgi connection). The app: test/fixtures/websocket/echo-api.mjs.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { REPO } from '../helpers/cli.js';
import { type RunningNginx, startNginx } from '../helpers/nginx.js';
import { PYTHON_PATH } from '../helpers/python.js';
import { routerPort } from '../helpers/router.js';
import { type RunningServer, startServer } from '../helpers/server.js';
import { hasOpenssl, makeCert } from '../helpers/tls.js';

const APP = join(REPO, 'test', 'fixtures', 'websocket', 'echo-api.mjs');
const UWSGI_HANDSHAKE = JSON.parse(
  readFileSync(join(REPO, 'test', 'fixtures', 'websocket', 'handshake-uwsgi-2.0.21.json'), 'utf8'),
) as { request: string; response: string };

function connect(url: string, options: WebSocket.ClientOptions = {}): Promise<WebSocket> {
  const ws = new WebSocket(url, { handshakeTimeout: 15_000, ...options });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`answered ${res.statusCode}`)));
  });
}

function next(ws: WebSocket): Promise<{ data: Buffer; binary: boolean }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no message within 20 s')), 20_000);
    ws.once('message', (data: Buffer, binary: boolean) => {
      clearTimeout(timer);
      resolve({ data, binary });
    });
    ws.once('error', reject);
  });
}

function closed(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) =>
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
}

/** Text, binary, a 1 MB binary message and a ping on one WebSocket; then the client closes. */
async function echo(url: string, options: WebSocket.ClientOptions = {}): Promise<void> {
  const ws = await connect(url, options);
  try {
    let got = next(ws);
    ws.send('héllo ✓');
    let m = await got;
    assert.equal(m.binary, false);
    assert.equal(m.data.toString('utf8'), 'héllo ✓');

    const small = Buffer.from([0, 1, 2, 253, 254, 255]);
    got = next(ws);
    ws.send(small);
    m = await got;
    assert.equal(m.binary, true);
    assert.deepEqual(m.data, small);

    // 1 MB: exactly uWSGI's default websockets-max-size (1024 KB)
    const big = randomBytes(1024 * 1024);
    got = next(ws);
    ws.send(big);
    m = await got;
    assert.equal(m.binary, true);
    assert.equal(m.data.length, big.length);
    assert.ok(m.data.equals(big), 'the 1 MB message came back intact');

    const pong = new Promise<Buffer>((resolve) => ws.once('pong', resolve));
    ws.ping(Buffer.from('are you there'));
    assert.equal((await pong).toString(), 'are you there');
  } finally {
    const done = closed(ws);
    ws.close(1000);
    await done;
  }
}

/** The raw answer to a handshake request (the head up to its blank line). */
function rawHandshake(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(request));
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no head within 10 s: ${JSON.stringify(text)}`));
    }, 10_000);
    socket.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      if (end >= 0) {
        clearTimeout(timer);
        socket.destroy();
        resolve(text.slice(0, end + 4));
      }
    });
    socket.on('error', reject);
  });
}

describe('uWSGI WebSocket API: http-socket', { timeout: 120_000 }, () => {
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
        '--websockets-ping-freq',
        '1',
      ],
      { timeoutMs: 30_000 },
    );
  });
  after(() => server?.close());

  test('echo of text, binary, 1 MB and a ping; the request log says 101', async () => {
    await echo(`ws://127.0.0.1:${server.port}/ws`);
    await server.waitFor(/GET \/ws => generated \d+ bytes in \d+ msecs \(HTTP\/1\.1 101\)/, 15_000);
  });

  test("the handshake head is uWSGI 2.0.21's (recorded)", async () => {
    const req = UWSGI_HANDSHAKE.request.replace('GET /x ', 'GET /ws ');
    assert.equal(await rawHandshake(server.port, req), UWSGI_HANDSHAKE.response);
  });

  test('recvNb() polls; the app closing sends its close code', async () => {
    const ws = await connect(`ws://127.0.0.1:${server.port}/nb`);
    const got = next(ws);
    ws.send('one');
    assert.equal((await got).data.toString(), 'nb:one');
    ws.close();
    const ws2 = await connect(`ws://127.0.0.1:${server.port}/ws`);
    const end = closed(ws2);
    ws2.send('close-me');
    assert.deepEqual(await end, { code: 4000, reason: 'asked' });
  });

  test('the server pings every websockets-ping-freq seconds (the client answers)', async () => {
    const ws = await connect(`ws://127.0.0.1:${server.port}/ws`);
    const ping = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 10_000);
      ws.once('ping', () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
    assert.ok(ping, 'a ping came from the server');
    // still open and serving after the ping/pong round
    const got = next(ws);
    ws.send('after ping');
    assert.equal((await got).data.toString(), 'after ping');
    ws.close();
  });

  test('a message over websockets-max-size closes with 1009', async () => {
    const ws = await connect(`ws://127.0.0.1:${server.port}/ws`);
    const end = closed(ws);
    ws.send(randomBytes(1024 * 1024 + 1));
    assert.equal((await end).code, 1009);
  });

  test('another upgrade (h2c) with a body is served as a plain request: body and keep-alive intact', async () => {
    const answers = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(server.port, '127.0.0.1', () => {
        socket.write(
          'POST /chunked HTTP/1.1\r\nHost: a\r\nUpgrade: h2c\r\nConnection: Upgrade, HTTP2-Settings\r\n' +
            'HTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\nContent-Length: 11\r\n\r\nhello world',
        );
      });
      let text = '';
      const timer = setTimeout(() => reject(new Error(`got ${JSON.stringify(text)}`)), 10_000);
      socket.on('data', (d: Buffer) => {
        text += d.toString('latin1');
        if (text.includes('"sha256"') && !text.includes('plain\n'))
          socket.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
        if (text.includes('plain\n')) {
          clearTimeout(timer);
          socket.destroy();
          resolve(text);
        }
      });
      socket.on('error', reject);
    });
    assert.match(answers, /"bytes":11,"pieces":1/);
    assert.match(answers, /HTTP\/1\.1 200 OK[\s\S]*HTTP\/1\.1 200 OK[\s\S]*plain\n$/);
  });

  test('a handshake without an Upgrade request is ERR_WEBSOCKET_HANDSHAKE; plain requests still work', async () => {
    const res = await fetch(`http://127.0.0.1:${server.port}/no-upgrade`);
    assert.equal(res.status, 500);
    assert.equal(await res.text(), 'ERR_WEBSOCKET_HANDSHAKE\n');
    const plain = await fetch(`http://127.0.0.1:${server.port}/`);
    assert.equal(await plain.text(), 'plain\n');
  });
});

describe('uWSGI WebSocket API: https-socket (wss)', { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'uwsgi-ts-wss-'));
  const made = hasOpenssl ? makeCert(dir) : undefined;
  const cert = made?.cert ?? '';
  const key = made?.key ?? '';
  let server: RunningServer | undefined;
  before(async () => {
    if (!made) return;
    server = await startServer(
      ['--master', '--processes', '1', '--https-socket', `127.0.0.1:0,${cert},${key}`, '--app', APP],
      { timeoutMs: 30_000 },
    );
  });
  after(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('echo of text, binary, 1 MB and a ping over TLS', async (t) => {
    if (!server) return t.skip('openssl missing');
    const tls = { ca: readFileSync(cert), servername: 'localhost' } as WebSocket.ClientOptions;
    await echo(`wss://127.0.0.1:${server.port}/ws`, tls);
  });
});

describe('uWSGI WebSocket API: through the HTTP router (http-websockets)', { timeout: 120_000 }, () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer(
      ['--master', '--processes', '2', '--http', '127.0.0.1:0', '--http-websockets', '--app', APP],
      { timeoutMs: 30_000 },
    );
  });
  after(() => server?.close());

  test('echo of text, binary, 1 MB and a ping', async () => {
    await echo(`ws://127.0.0.1:${routerPort(server)}/ws`);
  });

  test('five at once', async () => {
    const port = routerPort(server);
    await Promise.all(Array.from({ length: 5 }, () => echo(`ws://127.0.0.1:${port}/ws`)));
  });
});

describe('uWSGI WebSocket API: behind nginx uwsgi_pass', { timeout: 120_000 }, () => {
  let server: RunningServer;
  let nginx: RunningNginx | undefined;
  before(async () => {
    server = await startServer(['--master', '--processes', '1', '--socket', '127.0.0.1:0', '--app', APP], {
      timeoutMs: 30_000,
    });
    // nginx passes the client's Upgrade and Connection as HTTP_ vars and tunnels after a 101
    nginx = await startNginx({
      locations: [
        {
          path: '/',
          pass: 'uwsgi',
          upstream: `127.0.0.1:${server.port}`,
          directives: ['uwsgi_read_timeout 60s'],
        },
      ],
    });
  });
  after(async () => {
    await nginx?.close();
    await server?.close();
  });

  test('echo of text, binary, 1 MB and a ping; the request log says 101', async (t) => {
    if (!nginx) return t.skip('nginx not installed');
    await echo(`ws://127.0.0.1:${nginx.port}/ws`);
    await server.waitFor(/GET \/ws => generated \d+ bytes in \d+ msecs \(HTTP\/1\.1 101\)/, 15_000);
  });
});

describe("Python: the seed manual's uwsgi.websocket_* echo on the same machinery", {
  timeout: 120_000,
}, () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer(
      [
        '--master',
        '--processes',
        '1',
        '--http-socket',
        '127.0.0.1:0',
        '--wsgi-file',
        join(REPO, 'test', 'fixtures', 'websocket', 'websockets_echo.py'),
      ],
      { env: { PATH: PYTHON_PATH }, timeoutMs: 60_000 },
    );
  });
  after(() => server?.close());

  test('text, a 1 MB text message and a ping echo; the closed client ends the request with OSError', async () => {
    const ws = await connect(`ws://127.0.0.1:${server.port}/`);
    let got = next(ws);
    ws.send('héllo from python');
    assert.equal((await got).data.toString(), 'héllo from python');
    // uwsgi.websocket_send() sends text, as in uWSGI: a 1 MB (ASCII) message
    const big = randomBytes(512 * 1024).toString('hex');
    got = next(ws);
    ws.send(big);
    const m = await got;
    assert.equal(m.binary, false);
    assert.equal(m.data.toString(), big);
    const pong = new Promise<Buffer>((resolve) => ws.once('pong', resolve));
    ws.ping(Buffer.from('py'));
    assert.equal((await pong).toString(), 'py');
    const done = closed(ws);
    ws.close();
    await done;
    await server.waitFor(/OSError: unable to receive websocket message/, 15_000);
    await server.waitFor(/GET \/ => generated \d+ bytes in \d+ msecs \(HTTP\/1\.1 101\)/, 15_000);
  });
});

describe('a graceful stop', { timeout: 60_000 }, () => {
  test('closes an open API WebSocket with 1001 before reload-mercy runs out', async (t) => {
    const server = await startServer(
      ['--master', '--processes', '1', '--http-socket', '127.0.0.1:0', '--reload-mercy', '3', '--app', APP],
      { timeoutMs: 30_000 },
    );
    t.after(() => server.close());
    const ws = await connect(`ws://127.0.0.1:${server.port}/ws`);
    const end = closed(ws);
    const started = Date.now();
    server.proc.kill('SIGTERM');
    assert.equal((await end).code, 1001);
    const waited = Date.now() - started;
    assert.ok(waited >= 1000 && waited < 10_000, `closed after ${waited} ms`);
    await once(server.proc, 'exit');
    assert.doesNotMatch(server.log(), /SIGKILL|killed/i);
  });
});
