// Issue 15 point 7: the offloaded proxying of the routing actions `http`, `httpdumb` and `uwsgi`
// streams both ways without holding the app, upgrades included: after a 101 the bytes flow in
// both directions. The seed's "Authenticated WebSocket Proxy" (000_*.txt) runs as written, with
// its RPC function in JS (test/fixtures/offload/auth_kafka.*), against a real `ws` backend.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import WebSocket, { WebSocketServer } from 'ws';
import { REPO } from '../helpers/cli.js';
import { type RunningNginx, startNginx } from '../helpers/nginx.js';
import { type RunningServer, startServer } from '../helpers/server.js';

const FIXTURES = join(REPO, 'test', 'fixtures');

/** A `ws` backend that greets each connection first, then echoes with a prefix; records the URLs and headers it saw. */
async function wsBackend(): Promise<{ port: number; seen: http.IncomingMessage[]; close(): Promise<void> }> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', maxPayload: 8 * 1024 * 1024 });
  await once(wss, 'listening');
  const seen: http.IncomingMessage[] = [];
  wss.on('connection', (ws, req) => {
    seen.push(req);
    ws.send('welcome from the backend');
    ws.on('message', (data: Buffer, binary: boolean) => {
      if (binary) ws.send(data, { binary: true });
      else ws.send(`kafka:${data.toString()}`);
    });
  });
  return {
    port: (wss.address() as AddressInfo).port,
    seen,
    close: () =>
      new Promise((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => resolve());
      }),
  };
}

/** Messages in order, as they come. */
class Inbox {
  private readonly items: Array<{ data: Buffer; binary: boolean }> = [];
  private readonly waiting: Array<(m: { data: Buffer; binary: boolean }) => void> = [];
  constructor(ws: WebSocket) {
    ws.on('message', (data: Buffer, binary: boolean) => {
      const w = this.waiting.shift();
      if (w) w({ data, binary });
      else this.items.push({ data, binary });
    });
  }
  next(): Promise<{ data: Buffer; binary: boolean }> {
    const m = this.items.shift();
    if (m) return Promise.resolve(m);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no message within 20 s')), 20_000);
      this.waiting.push((x) => {
        clearTimeout(timer);
        resolve(x);
      });
    });
  }
}

/** A WebSocket and its inbox, listening before 'open' (the backend's first message may come with the 101). */
function open(url: string, headers: Record<string, string> = {}): Promise<{ ws: WebSocket; inbox: Inbox }> {
  const ws = new WebSocket(url, { headers, handshakeTimeout: 15_000, maxPayload: 8 * 1024 * 1024 });
  const inbox = new Inbox(ws);
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, inbox }));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => {
        body += d.toString();
      });
      res.on('end', () =>
        reject(Object.assign(new Error(`answered ${res.statusCode}`), { status: res.statusCode, body })),
      );
    });
  });
}

/** The backend speaks first, then text and 1 MB binary go both ways through the offload. */
async function relayBothWays(url: string, headers: Record<string, string> = {}): Promise<void> {
  const { ws, inbox } = await open(url, headers);
  try {
    assert.equal((await inbox.next()).data.toString(), 'welcome from the backend');
    ws.send('hello');
    assert.equal((await inbox.next()).data.toString(), 'kafka:hello');
    const big = randomBytes(1024 * 1024);
    ws.send(big);
    const back = await inbox.next();
    assert.equal(back.binary, true);
    assert.ok(back.data.equals(big), '1 MB came back intact');
    ws.send('again');
    assert.equal((await inbox.next()).data.toString(), 'kafka:again');
  } finally {
    ws.close();
  }
}

describe("the seed's authenticated WebSocket proxy (httpdumb + rpcvar with a JS RPC function)", {
  timeout: 120_000,
}, () => {
  let backend: Awaited<ReturnType<typeof wsBackend>>;
  let server: RunningServer;
  let nginx: RunningNginx | undefined;
  const port = () => server.ports[1] as number;
  before(async () => {
    backend = await wsBackend();
    // a uwsgi socket for nginx (bound first: port 0), then the seed's ini (its http-socket: port 1)
    server = await startServer(['--socket', '127.0.0.1:0', join(FIXTURES, 'offload', 'auth_kafka.ini')], {
      env: { KAFKA_WS_HOST: `127.0.0.1:${backend.port}` },
      timeoutMs: 30_000,
    });
    nginx = await startNginx({
      locations: [
        {
          path: '/',
          pass: 'uwsgi',
          upstream: `127.0.0.1:${server.ports[0]}`,
          directives: ['uwsgi_read_timeout 60s'],
        },
      ],
    });
  });
  after(async () => {
    await nginx?.close();
    await server?.close();
    await backend?.close();
  });

  test('behind nginx uwsgi_pass too: relayed both ways after the 101', async (t) => {
    if (!nginx) return t.skip('nginx not installed');
    await relayBothWays(`ws://127.0.0.1:${nginx.port}/?subscribe=true`, {
      Authorization: 'Bearer let-me-in',
    });
    assert.equal(backend.seen.at(-1)?.url, '/v2/broker/?subscribe=true');
  });

  test('an authorized WebSocket is relayed both ways after the 101, to the rewritten URI', async () => {
    await relayBothWays(`ws://127.0.0.1:${port()}/?subscribe=true`, {
      Authorization: 'Bearer let-me-in',
    });
    const req = backend.seen.at(-1);
    assert.equal(req?.url, '/v2/broker/?subscribe=true');
    assert.equal(req?.headers.authorization, 'Bearer let-me-in');
    await server.waitFor(/auth_kafka\(\/\?subscribe=true, , Bearer let-me-in\)/);
    await server.waitFor(
      /GET \/\?subscribe=true => generated \d+ bytes in \d+ msecs \(HTTP\/1\.1 101\)/,
      15_000,
    );
  });

  test('a refused one gets the app ("It Works!"), plain requests too', async () => {
    const before = backend.seen.length;
    await assert.rejects(open(`ws://127.0.0.1:${port()}/?subscribe=true`, { Authorization: 'Bearer nope' }), {
      status: 200,
      body: 'It Works!',
    });
    assert.equal(backend.seen.length, before, 'the backend saw nothing');
    const res = await fetch(`http://127.0.0.1:${port()}/`);
    assert.equal(await res.text(), 'It Works!');
  });

  test('ten at once, and the app keeps answering while they are open', async () => {
    const sockets = await Promise.all(
      Array.from({ length: 10 }, () =>
        open(`ws://127.0.0.1:${port()}/?subscribe=true`, { Authorization: 'Bearer let-me-in' }),
      ),
    );
    try {
      const started = Date.now();
      const res = await fetch(`http://127.0.0.1:${port()}/`);
      assert.equal(await res.text(), 'It Works!');
      assert.ok(Date.now() - started < 5000, 'the one worker was not held by the open WebSockets');
      await Promise.all(
        sockets.map(async ({ ws, inbox }, i) => {
          await inbox.next(); // the welcome
          ws.send(`n${i}`);
          assert.equal((await inbox.next()).data.toString(), `kafka:n${i}`);
        }),
      );
    } finally {
      for (const { ws } of sockets) ws.close();
    }
  });
});

describe('route = ^/ws http: and uwsgi: relay upgrades; http streams bodies both ways', {
  timeout: 120_000,
}, () => {
  let backend: Awaited<ReturnType<typeof wsBackend>>;
  let wsApp: RunningServer;
  let httpBackend: http.Server;
  let release: () => void = () => {};
  let server: RunningServer;
  before(async () => {
    backend = await wsBackend();
    // a uwsgi backend: another instance whose app uses uWSGI's WebSocket API (websocketHandshake)
    wsApp = await startServer(
      [
        '--socket',
        '127.0.0.1:0',
        '--app',
        join(FIXTURES, 'websocket', 'echo-api.mjs'),
        '--master',
        '--processes',
        '1',
      ],
      { timeoutMs: 30_000 },
    );
    // an HTTP backend: a body digest for POSTs, a response that waits for the test for /slow
    httpBackend = http.createServer((req, res) => {
      if (req.url === '/slow') {
        res.write('first part\n');
        release = () => res.end('last part\n');
        return;
      }
      const hash = createHash('sha256');
      let bytes = 0;
      req.on('data', (d: Buffer) => {
        hash.update(d);
        bytes += d.length;
      });
      req.on('end', () => {
        res.end(`${bytes} ${hash.digest('hex')}\n`);
      });
    });
    httpBackend.listen(0, '127.0.0.1');
    await once(httpBackend, 'listening');
    const httpPort = (httpBackend.address() as AddressInfo).port;
    server = await startServer(
      [
        '--http-socket',
        '127.0.0.1:0',
        '--master',
        '--processes',
        '1',
        '--app',
        join(FIXTURES, 'offload', 'auth_kafka.mjs'),
        '--route',
        `^/ws-http http:127.0.0.1:${backend.port}`,
        '--route',
        `^/ws uwsgi:127.0.0.1:${wsApp.port},0,0`,
        '--route',
        `^/slow http:127.0.0.1:${httpPort}`,
        '--route',
        `^/post http:127.0.0.1:${httpPort}`,
      ],
      { timeoutMs: 30_000 },
    );
  });
  after(async () => {
    await server?.close();
    await wsApp?.close();
    await backend?.close();
    httpBackend?.closeAllConnections();
    httpBackend?.close();
  });

  test('http: an upgrade to a ws backend (HTTP/1.1 with its Upgrade headers) relays both ways', async () => {
    await relayBothWays(`ws://127.0.0.1:${server.port}/ws-http`);
    const req = backend.seen.at(-1);
    assert.equal(req?.headers.upgrade, 'websocket');
    assert.equal(req?.httpVersion, '1.1');
  });

  test("uwsgi: an upgrade to a uwsgi backend whose app uses uWSGI's WebSocket API", async () => {
    const { ws, inbox } = await open(`ws://127.0.0.1:${server.port}/ws`);
    try {
      ws.send('through uwsgi');
      assert.equal((await inbox.next()).data.toString(), 'through uwsgi');
      const big = randomBytes(512 * 1024);
      ws.send(big);
      assert.ok((await inbox.next()).data.equals(big));
    } finally {
      ws.close();
    }
  });

  test('http: a 5 MB POST streams to the backend intact', async () => {
    const body = randomBytes(5 * 1024 * 1024);
    const res = await fetch(`http://127.0.0.1:${server.port}/post`, { method: 'POST', body });
    assert.equal(await res.text(), `${body.length} ${createHash('sha256').update(body).digest('hex')}\n`);
  });

  test('http: the answer streams as it comes, and the worker serves others meanwhile', async () => {
    const got = await new Promise<{ first: string; res: http.IncomingMessage }>((resolve, reject) => {
      http
        .get(`http://127.0.0.1:${server.port}/slow`, (res) => {
          res.once('data', (d: Buffer) => resolve({ first: d.toString(), res }));
        })
        .on('error', reject);
    });
    assert.match(got.first, /first part/);
    // the backend has not finished: the only worker answers another request now
    const other = await fetch(`http://127.0.0.1:${server.port}/`);
    assert.equal(await other.text(), 'It Works!');
    let rest = '';
    got.res.on('data', (d: Buffer) => {
      rest += d.toString();
    });
    const ended = once(got.res, 'end');
    release();
    await ended;
    assert.match(got.first + rest, /first part\n[\s\S]*last part\n/);
  });
});
