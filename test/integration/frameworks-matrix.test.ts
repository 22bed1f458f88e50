// Issue 13: the frameworks from npm, each exported as its own docs show it (ESM and CommonJS),
// served unchanged over `http-socket` and behind nginx `uwsgi_pass`: GET, query, JSON and 1 MB
// POSTs, params, 404, a thrown error, a redirect, two Set-Cookie headers, HEAD, UTF-8 and a
// streamed body. Two workers each: an app that listen()s itself must not take a port.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { startNginx } from '../helpers/nginx.js';
import { type RunningServer, startServer } from '../helpers/server.js';

interface Answer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
  /** When each body chunk arrived (ms since the request), to see streaming. */
  readonly arrivals: readonly number[];
}

function ask(
  port: number,
  method: string,
  path: string,
  body?: { type: string; data: Buffer },
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        agent: false,
        signal: AbortSignal.timeout(20_000),
        headers: body ? { 'content-type': body.type, 'content-length': body.data.length } : {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        const arrivals: number[] = [];
        res.on('data', (c: Buffer) => {
          chunks.push(c);
          arrivals.push(Date.now() - started);
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks),
            arrivals,
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body?.data);
  });
}

interface Framework {
  readonly name: string;
  readonly fixture: string;
  /** What /hello answers. */
  readonly hello: string;
  /** A line the server logs when the app loads (the listen() adoption). */
  readonly loadLine?: RegExp;
}

const FRAMEWORKS: readonly Framework[] = [
  { name: 'Express (export default app)', fixture: 'express-app.mjs', hello: 'hello from express' },
  {
    name: 'Express (CommonJS, app.listen(3000) only)',
    fixture: 'express-listen.cjs',
    hello: 'hello from express',
    loadLine: /called listen\(3000\) itself: its server is served on the instance's sockets/,
  },
  { name: 'Koa (module.exports = app)', fixture: 'koa-app.cjs', hello: 'hello from koa' },
  { name: 'Fastify (export default fastify)', fixture: 'fastify-app.mjs', hello: 'hello from fastify' },
  { name: 'Hono (export default app)', fixture: 'hono-app.mjs', hello: 'hello from hono' },
  {
    name: 'node:http (createServer(h).listen(3000) only)',
    fixture: 'node-listen.cjs',
    hello: 'hello from node',
    loadLine: /called listen\(3000\) itself/,
  },
];

const UPLOAD = randomBytes(1024 * 1024);
const UPLOAD_SHA1 = createHash('sha1').update(UPLOAD).digest('hex');

/** The cases, run against one port (the http-socket, or nginx in front of the uwsgi socket). */
function cases(fw: Framework, port: () => number, server: () => RunningServer): void {
  test('GET', async () => {
    const a = await ask(port(), 'GET', '/hello');
    assert.equal(a.status, 200);
    assert.equal(a.body.toString(), fw.hello);
    assert.match(String(a.headers['content-type']), /^text\/plain/);
  });
  test('query string', async () => {
    const a = await ask(port(), 'GET', `/query?name=${encodeURIComponent('zoë & co')}`);
    assert.equal(a.status, 200);
    assert.deepEqual(JSON.parse(a.body.toString()), { name: 'zoë & co' });
  });
  test('JSON POST', async () => {
    const data = Buffer.from(JSON.stringify({ a: 1, b: 'two', c: [3] }));
    const a = await ask(port(), 'POST', '/json', { type: 'application/json', data });
    assert.equal(a.status, 200);
    assert.deepEqual(JSON.parse(a.body.toString()), { got: { a: 1, b: 'two', c: [3] }, keys: 3 });
  });
  test('1 MB POST', async () => {
    const a = await ask(port(), 'POST', '/upload', { type: 'application/octet-stream', data: UPLOAD });
    assert.equal(a.status, 200, a.body.toString());
    assert.deepEqual(JSON.parse(a.body.toString()), { bytes: UPLOAD.length, sha1: UPLOAD_SHA1 });
  });
  test('route params', async () => {
    const a = await ask(port(), 'GET', '/users/42');
    assert.equal(a.status, 200);
    assert.equal(a.body.toString(), 'user 42');
  });
  test('404', async () => {
    const a = await ask(port(), 'GET', '/no/such/route');
    assert.equal(a.status, 404);
  });
  test('a thrown error is a 500', async () => {
    const a = await ask(port(), 'GET', '/boom');
    assert.equal(a.status, 500);
    await server().waitFor(/boom from \w+/);
  });
  test('redirect', async () => {
    const a = await ask(port(), 'GET', '/redirect');
    assert.equal(a.status, 302);
    assert.equal(a.headers.location, '/hello');
  });
  test('two Set-Cookie headers', async () => {
    const a = await ask(port(), 'GET', '/cookies');
    assert.equal(a.status, 200);
    const cookies = (a.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]);
    assert.deepEqual(cookies, ['a=1', 'b=2']);
  });
  test('HEAD', async () => {
    const a = await ask(port(), 'HEAD', '/hello');
    assert.equal(a.status, 200);
    assert.equal(a.body.length, 0);
    assert.match(String(a.headers['content-type']), /^text\/plain/);
  });
  test('UTF-8', async () => {
    const a = await ask(port(), 'GET', '/utf8');
    assert.equal(a.status, 200);
    assert.equal(a.body.toString('utf8'), 'héllo wörld ✓ 日本');
    assert.match(String(a.headers['content-type']), /charset=utf-8/i);
  });
  test('streaming: the chunks arrive as written, not all at the end', async () => {
    const a = await ask(port(), 'GET', '/stream');
    assert.equal(a.status, 200);
    assert.equal(a.body.toString(), 'chunk 0\nchunk 1\nchunk 2\n');
    assert.ok(a.arrivals.length >= 2, `one piece only: ${JSON.stringify(a.arrivals)}`);
    const first = a.arrivals[0] ?? 0;
    const last = a.arrivals[a.arrivals.length - 1] ?? 0;
    assert.ok(last - first >= 100, `chunks arrived together: ${JSON.stringify(a.arrivals)}`);
  });
}

for (const fw of FRAMEWORKS) {
  describe(fw.name, () => {
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
          '--socket',
          '127.0.0.1:0',
          '--app',
          `test/fixtures/frameworks/${fw.fixture}`,
        ],
        { timeoutMs: 30_000 },
      );
      if (fw.loadLine) await server.waitFor(fw.loadLine);
      const nginx = await startNginx({
        locations: [
          {
            path: '/',
            pass: 'uwsgi',
            upstream: `127.0.0.1:${server.ports[1]}`,
            directives: ['uwsgi_buffering off'],
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

    test('both workers serve: the app did not bind a port of its own', () => {
      assert.doesNotMatch(server.log(), /EADDRINUSE/);
      assert.equal(server.log().match(/ready in \d+ seconds on pid/g)?.length, 2, server.log());
    });
    describe('http-socket', () =>
      cases(
        fw,
        () => server.ports[0] ?? 0,
        () => server,
      ));
    describe('nginx uwsgi_pass', () => {
      before((t) => {
        // startNginx() threw when CI requires nginx; here it is only missing
        if (!closeNginx) (t as unknown as { skip(m: string): void }).skip?.('nginx not installed');
      });
      cases(
        fw,
        () => nginxPort,
        () => server,
      );
    });
  });
}

describe('a fetch handler of (request, env) called Node-style', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer([
      '--master',
      '--processes',
      '1',
      '--http-socket',
      '127.0.0.1:0',
      '--app',
      'test/fixtures/frameworks/fetch-two-params.mjs',
    ]);
  });
  after(() => server?.close());

  test('answers 500 at once, and the log names app-style = fetch', async () => {
    const a = await ask(server.port, 'GET', '/x');
    assert.equal(a.status, 500);
    await server.waitFor(/returned a Response without writing: it is a fetch handler, set app-style = fetch/);
  });

  test('with app-style = fetch it answers', async () => {
    const fetchServer = await startServer([
      '--master',
      '--processes',
      '1',
      '--http-socket',
      '127.0.0.1:0',
      '--app-style',
      'fetch',
      '--app',
      'test/fixtures/frameworks/fetch-two-params.mjs',
    ]);
    try {
      const a = await ask(fetchServer.port, 'GET', '/x');
      assert.equal(a.status, 200);
      assert.equal(a.body.toString(), 'hello from a fetch handler (object)');
    } finally {
      await fetchServer.close();
    }
  });
});

describe("Fastify's and Koa's getting-started servers, which only listen(3000)", () => {
  const rows = [
    { fixture: 'fastify-listen.mjs', hello: 'hello from fastify', asked: 'localhost:3000' },
    { fixture: 'koa-listen.cjs', hello: 'hello from koa', asked: '3000' },
  ];
  for (const row of rows) {
    test(`${row.fixture}: served in both workers, port 3000 bound by none`, async (t) => {
      const server = await startServer([
        '--master',
        '--processes',
        '2',
        '--http-socket',
        '127.0.0.1:0',
        '--app',
        `test/fixtures/frameworks/${row.fixture}`,
      ]);
      t.after(() => server.close());
      const said = server.log().match(new RegExp(`called listen\\(${row.asked}\\) itself`, 'g'));
      assert.equal(said?.length, 2, server.log());
      assert.doesNotMatch(server.log(), /EADDRINUSE/);
      for (let i = 0; i < 4; i++) {
        const a = await ask(server.port, 'GET', '/hello');
        assert.equal(a.status, 200);
        assert.equal(a.body.toString(), row.hello);
      }
      assert.equal((await ask(server.port, 'GET', '/nope')).status, 404);
    });
  }
});
