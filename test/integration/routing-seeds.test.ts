// The routing snippets of the seed pages (seeds 000 "Snippets", 004 "Notable HTTP Features") run
// as written under the real CLI: the X-Sendfile emulation with JS apps setting X-Sendfile, forcing
// HTTPS with and without `HTTPS=on` from nginx, the /admin-only goto, HSTS, `route-run = chunked:`
// on a streamed body, and honour-range with check-static (the static file server) next to rules.
// Only the `...` of each snippet is filled in (sockets, the app); seeds 004's `http = :8000` (the
// HTTP router gateway, another issue) is an http-socket here.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  exchange,
  httpRequestBytes,
  type ParsedResponse,
  parseResponse,
  type RecordedRequest,
  ROUTING_FIXTURES,
} from '../fixtures/routing/routing-kit.js';
import { type RunningNginx, startNginx } from '../helpers/nginx.js';
import { type RunningServer, startServer } from '../helpers/server.js';

const SEED_APPS = join(ROUTING_FIXTURES, 'seed-apps.mjs');

const header = (r: ParsedResponse, name: string) =>
  r.headers?.find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];

async function get(port: number, request: RecordedRequest): Promise<ParsedResponse> {
  const reply = await exchange(port, httpRequestBytes(request));
  assert.equal(reply.timedOut, false, `${request.path} answered in time`);
  return parseResponse(reply.bytes);
}

/** The raw reply (for framing checks). */
async function getRaw(port: number, text: string): Promise<string> {
  const reply = await exchange(port, Buffer.from(text, 'latin1'));
  return reply.bytes.toString('latin1');
}

interface Instance {
  readonly server: RunningServer;
  readonly http: number;
  readonly uwsgi: number;
}

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'uwsgi-ts-routing-seeds-'));
  dirs.push(dir);
  return dir;
}

/** The snippet in an ini file, served by `app` on an http socket and a uwsgi socket (for nginx). */
async function serve(snippet: string, app = SEED_APPS): Promise<Instance> {
  const ini = join(tempDir(), 'snippet.ini');
  writeFileSync(ini, snippet);
  const server = await startServer(
    ['--http-socket', '127.0.0.1:0', '--socket', '127.0.0.1:0', '--app', app, '--ini', ini],
    { cwd: ROUTING_FIXTURES },
  );
  return { server, http: server.ports[0] ?? 0, uwsgi: server.ports[1] ?? 0 };
}

/** nginx in front of the uwsgi socket; a request's `X-Https: on` header becomes `uwsgi_param HTTPS on`. */
async function nginxFor(instance: Instance): Promise<RunningNginx | undefined> {
  return startNginx({
    locations: [
      {
        path: '/',
        pass: 'uwsgi',
        upstream: `127.0.0.1:${instance.uwsgi}`,
        directives: ['uwsgi_param HTTPS $http_x_https if_not_empty'],
      },
    ],
  });
}

describe('seeds 000: X-Sendfile emulation', { timeout: 60_000 }, () => {
  const privateDir = tempDir();
  const small = join(privateDir, 'report.txt');
  const large = join(privateDir, 'big.bin');
  const bigBytes = Buffer.alloc(1024 * 1024);
  for (let i = 0; i < bigBytes.length; i++) bigBytes[i] = (i * 7 + (i >> 10)) & 0xff;
  writeFileSync(small, 'the private report\n');
  writeFileSync(large, bigBytes);
  const snippet = `[uwsgi]
; load router_static plugin (compiled in by default in monolithic profiles)
plugins = router_static
; spawn 2 offload threads
offload-threads = 2
; files under /private can be safely served
static-safe = ${privateDir}
; collect the X-Sendfile response header as X_SENDFILE var
collect-header = X-Sendfile X_SENDFILE
; if X_SENDFILE is not empty, pass its value to the "static" routing action (it will automatically use offloading if available)
response-route-if-not = empty:\${X_SENDFILE} static:\${X_SENDFILE}
`;

  for (const [style, app] of [
    ['a Node-style app', SEED_APPS],
    ['a fetch app', `${SEED_APPS}:fetchApp`],
  ] as const) {
    describe(style, () => {
      let instance: Instance;
      before(async () => {
        instance = await serve(snippet, app);
      });
      after(() => instance?.server.close());

      it('sends the file the app names instead of the app body', async () => {
        const r = await get(instance.http, { path: `/send?file=${small}` });
        assert.equal(r.status, 200);
        assert.equal(r.body, 'the private report\n');
        assert.equal(header(r, 'Content-Length'), '19');
        assert.equal(header(r, 'Content-Type'), 'text/plain');
        assert.equal(
          header(r, 'Last-Modified'),
          new Date(Math.floor(statSync(small).mtimeMs / 1000) * 1000).toUTCString(),
        );
        assert.equal(header(r, 'X-Sendfile'), undefined, "the app's headers are gone");
      });

      it('streams a 1 MB file whole', async () => {
        const reply = await exchange(instance.http, httpRequestBytes({ path: `/send?file=${large}` }));
        const text = reply.bytes;
        const start = text.indexOf('\r\n\r\n') + 4;
        const head = text.toString('latin1', 0, start);
        assert.match(head, /^HTTP\/1\.1 200 /);
        assert.match(head, /Content-Length: 1048576\r\n/);
        const digest = (b: Buffer) => createHash('sha256').update(b).digest('hex');
        assert.equal(digest(text.subarray(start)), digest(bigBytes));
      });

      it("a file that is not there leaves the app's head, with no body (as 2.0.21)", async () => {
        const r = await get(instance.http, { path: `/send?file=${join(privateDir, 'missing.txt')}` });
        assert.equal(r.status, 200);
        assert.equal(header(r, 'X-Sendfile'), join(privateDir, 'missing.txt'));
        assert.equal(r.decodedBody ?? r.body, '');
      });

      it('leaves other responses alone', async () => {
        const r = await get(instance.http, { path: '/hello' });
        assert.equal(r.status, 200);
        assert.equal(r.body, 'app /hello\n');
      });
    });
  }
});

describe('seeds 000: force HTTPS, the /admin goto, HSTS (direct and behind nginx)', {
  timeout: 60_000,
}, () => {
  const forceHttps = `[uwsgi]
; load router_redirect plugin (compiled in by default in monolithic profiles)
plugins = router_redirect
route-if-not = equal:\${HTTPS};on redirect-permanent:https://\${HTTP_HOST}\${REQUEST_URI}
`;
  const adminOnly = `[uwsgi]
; load router_redirect plugin (compiled in by default in monolithic profiles)
plugins = router_redirect
route = ^/admin goto:https
; stop the chain
route-run = last:

route-label = https
route-if-not = equal:\${HTTPS};on redirect-permanent:https://\${HTTP_HOST}\${REQUEST_URI}
`;
  const hsts = `[uwsgi]
; load router_redirect plugin (compiled in by default in monolithic profiles)
plugins = router_redirect
route-if-not = equal:\${HTTPS};on redirect-permanent:https://\${HTTP_HOST}\${REQUEST_URI}
route-if = equal:\${HTTPS};on addheader:Strict-Transport-Security: max-age=31536000
`;

  it('force HTTPS: plain requests are redirected, HTTPS=on from nginx passes', async (t) => {
    const instance = await serve(forceHttps);
    t.after(() => instance.server.close());
    const direct = await get(instance.http, { path: '/x?y=1', headers: { Host: 'example.org' } });
    assert.equal(direct.status, 301);
    assert.equal(header(direct, 'Location'), 'https://example.org/x?y=1');
    const nginx = await nginxFor(instance);
    if (!nginx) return t.skip('nginx not installed');
    t.after(() => nginx.close());
    const plain = await get(nginx.port, { path: '/page?a=b' });
    assert.equal(plain.status, 301);
    assert.equal(header(plain, 'Location'), `https://localhost/page?a=b`);
    const secure = await get(nginx.port, { path: '/page?a=b', headers: { 'X-Https': 'on' } });
    assert.equal(secure.status, 200, JSON.stringify(secure));
    assert.equal(secure.body, 'app /page\n');
  });

  it('/admin only: the goto sends /admin to the HTTPS check, last: lets the rest through', async (t) => {
    const instance = await serve(adminOnly);
    t.after(() => instance.server.close());
    const admin = await get(instance.http, { path: '/admin/users' });
    assert.equal(admin.status, 301);
    assert.equal(header(admin, 'Location'), 'https://localhost/admin/users');
    const other = await get(instance.http, { path: '/public' });
    assert.equal(other.status, 200);
    assert.equal(other.body, 'app /public\n');
    const nginx = await nginxFor(instance);
    if (!nginx) return t.skip('nginx not installed');
    t.after(() => nginx.close());
    assert.equal((await get(nginx.port, { path: '/admin' })).status, 301);
    const secure = await get(nginx.port, { path: '/admin', headers: { 'X-Https': 'on' } });
    assert.equal(secure.status, 200);
    assert.equal(secure.body, 'app /admin\n');
  });

  it('HSTS: redirect without HTTPS, Strict-Transport-Security with it', async (t) => {
    const instance = await serve(hsts);
    t.after(() => instance.server.close());
    const direct = await get(instance.http, { path: '/' });
    assert.equal(direct.status, 301);
    assert.equal(header(direct, 'Strict-Transport-Security'), undefined);
    const nginx = await nginxFor(instance);
    if (!nginx) return t.skip('nginx not installed');
    t.after(() => nginx.close());
    const secure = await get(nginx.port, { path: '/account', headers: { 'X-Https': 'on' } });
    assert.equal(secure.status, 200);
    assert.equal(header(secure, 'Strict-Transport-Security'), 'max-age=31536000');
    assert.equal(secure.body, 'app /account\n');
  });
});

describe('seeds 004: route-run = chunked: on a streamed body', { timeout: 60_000 }, () => {
  const snippet = `[uwsgi]
processes = 2
master = true
route-run = chunked:
route-run = last:
`;
  const CHUNKED = '7\r\nline 1\n\r\n7\r\nline 2\n\r\n0\r\n\r\n';
  for (const [style, app] of [
    ['a Node-style app', SEED_APPS],
    ['a fetch app', `${SEED_APPS}:fetchApp`],
  ] as const) {
    it(`${style}: each write is a chunk, as the curl of the seed shows`, async (t) => {
      const instance = await serve(snippet, app);
      t.after(() => instance.server.close());
      const raw = await getRaw(
        instance.http,
        'GET /stream HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n',
      );
      const end = raw.indexOf('\r\n\r\n');
      const head = raw.slice(0, end);
      const body = raw.slice(end + 4);
      assert.match(head, /^HTTP\/1\.1 200 OK\r\n/);
      assert.match(head, /\r\nTransfer-Encoding: chunked/);
      assert.equal(body, CHUNKED);
      // an HTTP/1.0 client (which Node alone would answer unframed) gets the chunks too
      const old = await getRaw(instance.http, 'GET /stream HTTP/1.0\r\nHost: localhost\r\n\r\n');
      assert.match(old, /\r\nTransfer-Encoding: chunked\r\n/);
      assert.ok(old.endsWith(`\r\n\r\n${CHUNKED}`), old);
    });
  }

  it('a body with a Content-Length goes out chunked, without the length', async (t) => {
    const instance = await serve(snippet);
    t.after(() => instance.server.close());
    const r = await get(instance.http, { path: '/stream?cl=1' });
    assert.equal(header(r, 'Transfer-Encoding'), 'chunked');
    assert.equal(header(r, 'Content-Length'), undefined);
    assert.equal(r.body, CHUNKED);
  });
});

describe('seeds 004: honour-range with check-static, next to routing rules', { timeout: 60_000 }, () => {
  const staticDir = tempDir();
  mkdirSync(join(staticDir, 'sub'));
  const big = Buffer.alloc(26_141, 'x');
  for (let i = 0; i < big.length; i++) big[i] = 48 + (i % 10);
  writeFileSync(join(staticDir, 'large-file.json'), big);
  for (const [what, rules] of [
    ['alone (the seed)', ''],
    ['with a request rule that adds a header', 'route-run = addheader:X-Routed: yes\n'],
  ] as const) {
    it(`a Range gets 206 with Content-Range and Last-Modified, ${what}`, async (t) => {
      const instance = await serve(`[uwsgi]
honour-range = true
check-static = ${staticDir}/
processes = 2
master = true
${rules}`);
      t.after(() => instance.server.close());
      const r = await get(instance.http, { path: '/large-file.json', headers: { Range: 'bytes=1200-1299' } });
      assert.equal(r.statusLine, 'HTTP/1.1 206 Partial Content');
      assert.equal(header(r, 'Content-Length'), '100');
      assert.equal(header(r, 'Content-Range'), `bytes 1200-1299/${big.length}`);
      assert.equal(header(r, 'Content-Type'), 'application/json');
      assert.ok(header(r, 'Last-Modified'));
      assert.equal(r.body, big.subarray(1200, 1300).toString('latin1'));
      assert.equal(header(r, 'X-Routed'), rules === '' ? undefined : 'yes');
    });
  }
});
