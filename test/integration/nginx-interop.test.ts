// nginx in front of uwsgi-ts, as a uWSGI shop runs it: uwsgi_pass (TCP and unix), fastcgi_pass and
// scgi_pass with the distribution's *_params files. Every case of the table runs on every transport
// and asserts what a browser behind nginx would get, byte for byte.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { tempFiles } from '../helpers/cli.js';
import { findNginx, type NginxPass, type RunningNginx, startNginx } from '../helpers/nginx.js';
import { type RunningServer, startServer } from '../helpers/server.js';

interface Transport {
  readonly name: string;
  readonly flag: '--socket' | '--fastcgi-socket' | '--scgi-socket';
  readonly pass: NginxPass;
  readonly unix?: boolean;
  readonly app: string;
  readonly style: 'node' | 'fetch';
  /** Vars only this protocol's params file sends, as nginx 1.22 sends them. */
  readonly ownVars: Readonly<Record<string, string>>;
  /** Extra location directives. */
  readonly directives?: readonly string[];
}

const NODE_APP = 'test/fixtures/apps/echo.mjs';
const FETCH_APP = 'test/fixtures/apps/echo-fetch.mjs';

const TRANSPORTS: readonly Transport[] = [
  { name: 'uwsgi over TCP', flag: '--socket', pass: 'uwsgi', app: NODE_APP, style: 'node', ownVars: {} },
  {
    name: 'uwsgi over a unix socket',
    flag: '--socket',
    pass: 'uwsgi',
    unix: true,
    app: NODE_APP,
    style: 'node',
    ownVars: {},
  },
  {
    name: 'FastCGI over TCP',
    flag: '--fastcgi-socket',
    pass: 'fastcgi',
    app: NODE_APP,
    style: 'node',
    ownVars: { GATEWAY_INTERFACE: 'CGI/1.1', SERVER_ADDR: '127.0.0.1', REDIRECT_STATUS: '200' },
    // fastcgi_params and scgi_params send no PATH_INFO (real uWSGI then has none either): users add it.
    directives: ['fastcgi_param PATH_INFO $document_uri'],
  },
  {
    name: 'SCGI over TCP',
    flag: '--scgi-socket',
    pass: 'scgi',
    app: NODE_APP,
    style: 'node',
    ownVars: { SCGI: '1' },
    directives: ['scgi_param PATH_INFO $document_uri'],
  },
  {
    name: 'uwsgi over TCP, fetch-style app',
    flag: '--socket',
    pass: 'uwsgi',
    app: FETCH_APP,
    style: 'fetch',
    ownVars: {},
  },
];

interface Reply {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer;
}

interface Echo {
  readonly method: string;
  readonly url: string;
  readonly env: Readonly<Record<string, string>>;
  readonly headers: Readonly<Record<string, string>>;
  readonly sha256: string;
  readonly length: number;
}

interface Ctx {
  readonly nginx: RunningNginx;
  readonly server: RunningServer;
  readonly transport: Transport;
  /** Both logs, for failure messages. */
  logs(): string;
}

interface SendOptions {
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** The body, written in one piece (Content-Length) or, with `chunked`, in 64 KB writes. */
  readonly body?: Buffer;
  readonly chunked?: boolean;
}

/** One request to nginx on a fresh connection; rejects after 20 s. */
function send(ctx: Ctx, path: string, options: SendOptions = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.body && !options.chunked) headers['content-length'] = String(options.body.length);
    const req = request(
      ctx.nginx.url(path),
      { method: options.method ?? 'GET', headers, agent: false, signal: AbortSignal.timeout(20_000) },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (d: Buffer) => parts.push(d));
        res.on('error', reject);
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }),
        );
      },
    );
    req.on('error', reject);
    const body = options.body;
    if (!body) return void req.end();
    if (!options.chunked) return void req.end(body);
    for (let at = 0; at < body.length; at += 65536) req.write(body.subarray(at, at + 65536));
    req.end();
  });
}

/** Asserts the status (with both logs on failure) and parses the echo app's answer. */
function echoed(ctx: Ctx, reply: Reply): Echo {
  assert.equal(reply.status, 200, `${reply.body.toString('utf8')}\n${ctx.logs()}`);
  assert.equal(reply.headers['content-type'], 'application/json');
  return JSON.parse(reply.body.toString('utf8')) as Echo;
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

// What /stream in both echo apps writes, 10 ms apart.
const STREAM = 'chunk 0\nchunk 1\nchunk 2\nchunk 3\nchunk 4\n';
const BIG = 10 * 1024 * 1024;

interface Case {
  readonly name: string;
  run(ctx: Ctx): Promise<void>;
}

const CASES: readonly Case[] = [
  {
    name: 'GET with a query string: the vars nginx sent arrive as sent',
    async run(ctx) {
      const uri = '/echo/a%20b/c?x=1&y=hello%20world&z=%2F%3F&empty=';
      const echo = echoed(ctx, await send(ctx, uri));
      assert.equal(echo.method, 'GET');
      const url = new URL(echo.url, 'http://unused');
      assert.equal(url.pathname + url.search, uri);
      const want: Record<string, string> = {
        REQUEST_METHOD: 'GET',
        REQUEST_URI: uri,
        PATH_INFO: '/echo/a b/c', // nginx's $document_uri: decoded
        QUERY_STRING: 'x=1&y=hello%20world&z=%2F%3F&empty=',
        SERVER_PROTOCOL: 'HTTP/1.1',
        REQUEST_SCHEME: 'http',
        REMOTE_ADDR: '127.0.0.1',
        SERVER_NAME: 'localhost',
        SERVER_PORT: String(ctx.nginx.port),
        ...ctx.transport.ownVars,
      };
      for (const [name, value] of Object.entries(want)) assert.equal(echo.env[name], value, name);
      assert.match(echo.env['REMOTE_PORT'] ?? '', /^\d+$/);
      // Debian's params send `HTTP_HOST $host` (no port); upstream nginx passes the Host header.
      assert.match(echo.env['HTTP_HOST'] ?? '', /^127\.0\.0\.1(:\d+)?$/);
      assert.equal(echo.length, 0);
    },
  },
  {
    name: 'POST of 10 MB arrives whole (sha256 echoed back)',
    async run(ctx) {
      const body = randomBytes(BIG);
      const headers = { 'content-type': 'application/octet-stream' };
      const echo = echoed(ctx, await send(ctx, '/upload', { method: 'POST', headers, body }));
      assert.equal(echo.method, 'POST');
      assert.equal(echo.env['REQUEST_METHOD'], 'POST');
      assert.equal(echo.env['CONTENT_LENGTH'], String(BIG));
      assert.equal(echo.env['CONTENT_TYPE'], 'application/octet-stream');
      assert.equal(echo.length, BIG);
      assert.equal(echo.sha256, sha256(body));
    },
  },
  {
    name: 'a chunked POST is de-chunked by nginx: CONTENT_LENGTH set, body whole',
    async run(ctx) {
      // nginx buffers the body, sends CONTENT_LENGTH and still forwards HTTP_TRANSFER_ENCODING:
      // the server must frame the body by CONTENT_LENGTH (uwsgi, SCGI) or records (FastCGI).
      const body = randomBytes(1024 * 1024 + 7);
      const echo = echoed(ctx, await send(ctx, '/chunked', { method: 'POST', body, chunked: true }));
      assert.equal(echo.env['CONTENT_LENGTH'], String(body.length));
      assert.equal(echo.env['HTTP_TRANSFER_ENCODING'], 'chunked');
      assert.equal(echo.length, body.length);
      assert.equal(echo.sha256, sha256(body));
    },
  },
  {
    name: '100 request headers all arrive as HTTP_* vars and as headers',
    async run(ctx) {
      const headers: Record<string, string> = {};
      for (let i = 0; i < 100; i++) headers[`X-Test-Header-${i}`] = `value-${i}-${'v'.repeat(40)}`;
      const echo = echoed(ctx, await send(ctx, '/headers', { headers }));
      for (let i = 0; i < 100; i++) {
        const value = `value-${i}-${'v'.repeat(40)}`;
        assert.equal(echo.env[`HTTP_X_TEST_HEADER_${i}`], value, `HTTP_X_TEST_HEADER_${i}`);
        assert.equal(echo.headers[`x-test-header-${i}`], value, `x-test-header-${i}`);
      }
    },
  },
  {
    name: 'a 3 KB cookie arrives intact',
    async run(ctx) {
      const cookie = `session=${randomBytes(1500).toString('hex')}; theme=dark; empty=`;
      const echo = echoed(ctx, await send(ctx, '/cookie', { headers: { cookie } }));
      assert.equal(echo.env['HTTP_COOKIE'], cookie);
      assert.equal(echo.headers['cookie'], cookie);
    },
  },
  {
    name: 'HEAD answers the headers and no body',
    async run(ctx) {
      const reply = await send(ctx, '/head', { method: 'HEAD' });
      assert.equal(reply.status, 200, ctx.logs());
      assert.equal(reply.headers['content-type'], 'application/json');
      assert.equal(reply.headers['x-echo-method'], 'HEAD');
      assert.match(String(reply.headers['content-length']), /^[1-9]\d*$/);
      assert.equal(reply.body.length, 0);
    },
  },
  ...[204, 304].map(
    (status): Case => ({
      name: `${status} has no body`,
      async run(ctx) {
        const reply = await send(ctx, `/status/${status}`);
        assert.equal(reply.status, status, `${reply.body.toString('utf8')}\n${ctx.logs()}`);
        assert.equal(reply.body.length, 0);
        assert.equal(reply.headers['transfer-encoding'], undefined);
      },
    }),
  ),
  {
    name: 'a streamed response without Content-Length arrives whole and in order',
    async run(ctx) {
      const reply = await send(ctx, '/stream');
      assert.equal(reply.status, 200, ctx.logs());
      assert.equal(reply.headers['content-type'], 'text/plain');
      assert.equal(reply.headers['content-length'], undefined);
      // Over uwsgi and SCGI nginx copies the body as is: a chunked encoding would show up here.
      assert.equal(reply.body.toString('utf8'), STREAM);
    },
  },
];

const NO_NGINX = !findNginx() && !process.env['UWSGI_TS_REQUIRE_NGINX'];

for (const transport of TRANSPORTS) {
  describe(`nginx ${transport.pass}_pass -> uwsgi-ts (${transport.name})`, {
    skip: NO_NGINX && 'nginx not installed',
    timeout: 180_000,
  }, () => {
    let ctx: Ctx | undefined;
    const stops: (() => Promise<void> | void)[] = [];

    before(
      async () => {
        const temp = tempFiles({});
        stops.push(temp.cleanup);
        const address = transport.unix ? join(temp.dir, 'uwsgi.sock') : '127.0.0.1:0';
        const server = await startServer([
          '--master',
          '--processes',
          '2',
          '--buffer-size',
          '65535',
          '--app',
          transport.app,
          '--app-style',
          transport.style,
          transport.flag,
          address,
        ]);
        stops.unshift(() => server.close());
        const upstream = transport.unix ? `unix:${address}` : `127.0.0.1:${server.port}`;
        const nginx = await startNginx({
          locations: [{ path: '/', pass: transport.pass, upstream, directives: transport.directives ?? [] }],
        });
        assert.ok(nginx, 'nginx was found a moment ago');
        stops.unshift(() => nginx.close());
        ctx = {
          nginx,
          server,
          transport,
          logs: () => `--- nginx ---\n${nginx.log()}\n--- uwsgi-ts ---\n${server.log()}`,
        };
      },
      { timeout: 30_000 },
    );

    after(async () => {
      for (const stop of stops) await stop();
    });

    for (const c of CASES) {
      it(c.name, { timeout: 30_000 }, async () => {
        assert.ok(ctx, 'set up by before()');
        await c.run(ctx);
      });
    }
  });
}
