// Issue 13.3: WebSockets for Node-style apps, from unchanged `ws`-based modules: an exported
// `upgrade(req, socket, head)` (ws's noServer + handleUpgrade), `new WebSocketServer({ port })`
// (the port is bound in no worker) and `new WebSocketServer({ server })` on the server
// `app.listen()` returned. Echo of text, binary, 1 MB and a ping over `http-socket`,
// `https-socket` and nginx `proxy_pass` with the Upgrade headers (nginx's `uwsgi_pass` does not
// carry an upgrade); the request log says 101; a graceful stop closes open WebSockets with 1001.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { httpGet } from '../helpers/http.js';
import { startNginx } from '../helpers/nginx.js';
import { type RunningServer, startServer } from '../helpers/server.js';
import { hasOpenssl, makeCert } from '../helpers/tls.js';

const dir = mkdtempSync(join(tmpdir(), 'uwsgi-ts-ws-'));
const made = hasOpenssl ? makeCert(dir) : undefined;
const cert = made?.cert ?? '';
const key = made?.key ?? '';
const hasTls = made !== undefined;
after(() => rmSync(dir, { recursive: true, force: true }));

function connect(url: string, options: WebSocket.ClientOptions = {}): Promise<WebSocket> {
  const ws = new WebSocket(url, { ...options, handshakeTimeout: 10_000 });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`answered ${res.statusCode}`)));
  });
}

function nextMessage(ws: WebSocket): Promise<{ data: Buffer; binary: boolean }> {
  return new Promise((resolve, reject) => {
    ws.once('message', (data: Buffer, binary: boolean) => resolve({ data, binary }));
    ws.once('error', reject);
  });
}

/** Text, binary, 1 MB binary and a ping, on one connection. */
async function echo(url: string, options: WebSocket.ClientOptions = {}): Promise<void> {
  const ws = await connect(url, options);
  try {
    const text = nextMessage(ws);
    ws.send('héllo ✓');
    const t = await text;
    assert.equal(t.binary, false);
    assert.equal(t.data.toString('utf8'), 'héllo ✓');

    const small = Buffer.from([0, 1, 2, 253, 254, 255]);
    const bin = nextMessage(ws);
    ws.send(small);
    const b = await bin;
    assert.equal(b.binary, true);
    assert.deepEqual(b.data, small);

    const big = randomBytes(1024 * 1024);
    const large = nextMessage(ws);
    ws.send(big);
    const l = await large;
    assert.equal(l.data.length, big.length);
    assert.ok(l.data.equals(big), '1 MB came back changed');

    const pong = once(ws, 'pong');
    ws.ping(Buffer.from('are you there'));
    const [payload] = (await pong) as [Buffer];
    assert.equal(payload.toString(), 'are you there');
  } finally {
    ws.close(1000);
    await once(ws, 'close');
  }
}

const MODULES = [
  {
    name: 'an exported upgrade(req, socket, head) (ws noServer + handleUpgrade)',
    fixture: 'ws-upgrade-export.mjs',
  },
  { name: 'new WebSocketServer({ port: 8080 }), nothing exported', fixture: 'ws-port.cjs' },
  {
    name: 'new WebSocketServer({ server: app.listen(3000) }) with Express',
    fixture: 'ws-express-server.mjs',
  },
] as const;

for (const mod of MODULES) {
  describe(mod.name, () => {
    let server: RunningServer;
    let nginxPort = 0;
    let closeNginx: (() => Promise<void>) | undefined;
    before(async () => {
      server = await startServer(
        [
          '--master',
          '--processes',
          '2',
          '--http-socket',
          '127.0.0.1:0',
          ...(hasTls ? ['--https-socket', `127.0.0.1:0,${cert},${key}`] : []),
          '--app',
          `test/fixtures/frameworks/${mod.fixture}`,
        ],
        { timeoutMs: 30_000 },
      );
      const nginx = await startNginx({
        locations: [
          {
            path: '/',
            pass: 'proxy',
            upstream: `http://127.0.0.1:${server.ports[0]}`,
            directives: [
              'proxy_http_version 1.1',
              'proxy_set_header Upgrade $http_upgrade',
              'proxy_set_header Connection "upgrade"',
              'proxy_read_timeout 60s',
            ],
          },
        ],
      });
      if (nginx) {
        nginxPort = nginx.port;
        closeNginx = () => nginx.close();
      }
    });
    after(async () => {
      await closeNginx?.();
      await server?.close();
    });

    test('no worker bound a port of its own', () => {
      assert.doesNotMatch(server.log(), /EADDRINUSE/);
      assert.equal(server.log().match(/ready in \d+ seconds on pid/g)?.length, 2, server.log());
    });

    test('http-socket: echo of text, binary, 1 MB and a ping; the request log says 101', async () => {
      await echo(`ws://127.0.0.1:${server.ports[0]}/echo`);
      await server.waitFor(/GET \/echo => generated \d+ bytes in \d+ msecs \(HTTP\/1\.1 101\)/);
    });

    test('https-socket: the same over TLS', { skip: !hasTls && 'openssl missing' }, async () => {
      // the certificate names localhost (a TLS option ws passes on but does not declare)
      const tls = { ca: readFileSync(cert), servername: 'localhost' } as WebSocket.ClientOptions;
      await echo(`wss://127.0.0.1:${server.ports[1]}/echo-tls`, tls);
      await server.waitFor(/GET \/echo-tls => generated \d+ bytes in \d+ msecs \(HTTP\/1\.1 101\)/);
    });

    test('nginx proxy_pass with the Upgrade headers', async (t) => {
      if (!closeNginx) return t.skip('nginx not installed');
      await echo(`ws://127.0.0.1:${nginxPort}/echo-nginx`);
    });
  });
}

describe('plain HTTP next to WebSockets', () => {
  test('an upgrade request to an app without an upgrade handler is served as a plain request', async (t) => {
    const server = await startServer([
      '--master',
      '--processes',
      '1',
      '--http-socket',
      '127.0.0.1:0',
      '--manage-script-name',
      '--mount',
      '/ws=test/fixtures/frameworks/ws-upgrade-export.mjs',
      '--mount',
      '/plain=test/fixtures/apps/hello.mjs',
    ]);
    t.after(() => server.close());
    // the WebSocket app answers plain requests too, and takes its upgrades under its mountpoint
    assert.equal((await httpGet(server.port, '/ws/page')).body, 'plain HTTP too');
    await echo(`ws://127.0.0.1:${server.port}/ws/socket`);
    // `Upgrade: h2c` (curl --http2 on http://) to the app that takes no upgrade: an ordinary answer
    const reply = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port: server.port,
          path: '/plain/x',
          headers: {
            connection: 'Upgrade, HTTP2-Settings',
            upgrade: 'h2c',
            'http2-settings': 'AAMAAABkAARAAAAAAAIAAAAA',
          },
        },
        (res) => {
          let body = '';
          res.on('data', (c: Buffer) => {
            body += c.toString();
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      req.on('upgrade', () => reject(new Error('upgraded')));
      req.end();
    });
    assert.equal(reply.status, 200);
    assert.equal(reply.body, 'Hello World');
  });
});

describe('a graceful stop', () => {
  test('closes an open WebSocket with 1001 before reload-mercy runs out', async (t) => {
    const server = await startServer([
      '--master',
      '--processes',
      '1',
      '--http-socket',
      '127.0.0.1:0',
      '--reload-mercy',
      '3',
      '--app',
      'test/fixtures/frameworks/ws-upgrade-export.mjs',
    ]);
    t.after(() => server.close());
    const ws = await connect(`ws://127.0.0.1:${server.port}/held`);
    const closed = once(ws, 'close') as Promise<[number, Buffer]>;
    const started = Date.now();
    server.proc.kill('SIGTERM');
    const [code] = await closed;
    assert.equal(code, 1001);
    const waited = Date.now() - started;
    assert.ok(waited >= 1000 && waited < 10_000, `closed after ${waited} ms`);
    await once(server.proc, 'exit');
    assert.doesNotMatch(server.log(), /SIGKILL|killed/i);
  });
});
