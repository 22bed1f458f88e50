// Routing on every kind of socket (issue 5 with the server's protocols): the same rules act the
// same way on a request that came over HTTP, or through nginx over uwsgi, FastCGI and SCGI; the
// app (Node style and fetch style) sees the URL the rules rewrote; the response side (added
// headers, the response chain, chunked) and the routed answers (return, a static file) work on
// the bridged sockets too. Plus the worker-side actions that are not in the recordings:
// per-request harakiri, the final chain, --routers-list, and a reload with a bad rule.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  exchange,
  httpRequestBytes,
  type ParsedResponse,
  parseResponse,
  ROUTING_FIXTURES,
} from '../fixtures/routing/routing-kit.js';
import { runCli } from '../helpers/cli.js';
import { type NginxPass, startNginx } from '../helpers/nginx.js';
import { startServer } from '../helpers/server.js';

const URL_APP = join(ROUTING_FIXTURES, 'url-app.mjs');
const dir = mkdtempSync(join(tmpdir(), 'uwsgi-ts-routing-protocols-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const file = join(dir, 'hello.txt');
writeFileSync(file, 'hello file\n');

const RULES = `[uwsgi]
route = ^/old/(.*) rewrite:/new/$1?b=2
route = ^/denied return:403
route = ^/file static:${file}
route-run = addheader:X-Routed: \${REQUEST_METHOD}
route = ^/chunk chunked:
response-route-status = 200 addheader:X-Response: ok
`;
const ini = join(dir, 'rules.ini');
writeFileSync(ini, RULES);

const header = (r: ParsedResponse, name: string) =>
  r.headers?.find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];

async function get(port: number, path: string): Promise<ParsedResponse> {
  const reply = await exchange(port, httpRequestBytes({ path }));
  assert.equal(reply.timedOut, false, `${path} answered in time`);
  return parseResponse(reply.bytes);
}

const TRANSPORTS: ReadonlyArray<{ pass: NginxPass; option: string; directives: string[] }> = [
  { pass: 'uwsgi', option: '--socket', directives: [] },
  // fastcgi_params and scgi_params send no PATH_INFO: users add it (as in nginx-interop.test.ts)
  { pass: 'fastcgi', option: '--fastcgi-socket', directives: ['fastcgi_param PATH_INFO $document_uri'] },
  { pass: 'scgi', option: '--scgi-socket', directives: ['scgi_param PATH_INFO $document_uri'] },
];

for (const [style, app] of [
  ['a Node-style app', URL_APP],
  ['a fetch app', `${URL_APP}:fetchApp`],
] as const) {
  describe(`routing on http, uwsgi, FastCGI and SCGI sockets, ${style}`, { timeout: 90_000 }, () => {
    it('the same rules, the same answers, on every socket', async (t) => {
      const server = await startServer(
        [
          '--http-socket',
          '127.0.0.1:0',
          '--socket',
          '127.0.0.1:0',
          '--fastcgi-socket',
          '127.0.0.1:0',
          '--scgi-socket',
          '127.0.0.1:0',
          '--app',
          app,
          '--ini',
          ini,
        ],
        { cwd: ROUTING_FIXTURES },
      );
      t.after(() => server.close());
      const [httpPort, ...bridged] = server.ports;
      const ports: Array<[string, number]> = [['http', httpPort ?? 0]];
      for (const [i, tr] of TRANSPORTS.entries()) {
        const nginx = await startNginx({
          locations: [
            { path: '/', pass: tr.pass, upstream: `127.0.0.1:${bridged[i]}`, directives: tr.directives },
          ],
        });
        if (!nginx) continue;
        t.after(() => nginx.close());
        ports.push([tr.pass, nginx.port]);
      }
      if (ports.length === 1) t.diagnostic('nginx not installed: http only');
      for (const [via, port] of ports) {
        const rewritten = await get(port, '/old/page?a=1');
        assert.equal(rewritten.status, 200, `${via}: ${JSON.stringify(rewritten)}`);
        assert.equal(
          rewritten.body,
          'url=/new/page?b=2&a=1 path=/new/page qs=b=2&a=1\n',
          `${via}: the app sees the rewrite`,
        );
        assert.equal(header(rewritten, 'X-Routed'), 'GET', via);
        assert.equal(header(rewritten, 'X-Response'), 'ok', `${via}: the response chain ran`);
        const denied = await get(port, '/denied');
        assert.equal(denied.status, 403, via);
        assert.equal(denied.body, 'Forbidden', via);
        const served = await get(port, '/file');
        assert.equal(served.status, 200, via);
        assert.equal(served.body, 'hello file\n', via);
        assert.equal(header(served, 'Content-Length'), '11', via);
        // chunked framing means something to an HTTP client; nginx reads a uwsgi/FastCGI/SCGI
        // response as raw bytes (as it does from uWSGI)
        if (via === 'http') {
          const chunked = await get(port, '/chunk');
          assert.equal(header(chunked, 'Transfer-Encoding'), 'chunked', via);
          assert.equal(chunked.decodedBody, 'url=/chunk path=/chunk qs=\n', via);
        }
      }
    });
  });
}

describe('worker-side actions', { timeout: 60_000 }, () => {
  it('harakiri:N limits one request: 504 and the HARAKIRI line, the worker lives on', async (t) => {
    const rules = join(dir, 'harakiri.ini');
    writeFileSync(rules, '[uwsgi]\nroute = ^/slow harakiri:1\n');
    const server = await startServer(['--http-socket', '127.0.0.1:0', '--app', URL_APP, '--ini', rules], {
      cwd: ROUTING_FIXTURES,
    });
    t.after(() => server.close());
    const started = Date.now();
    const slow = await get(server.port, '/slow');
    assert.equal(slow.status, 504);
    assert.ok(Date.now() - started < 2900, 'ended before the app answered');
    await server.waitFor(/HARAKIRI: GET \/slow .* ran past its user harakiri of 1 seconds/);
    const fast = await get(server.port, '/fast');
    assert.equal(fast.status, 200);
  });

  it('the final chain runs after the response, with its status and size', async (t) => {
    const rules = join(dir, 'final.ini');
    writeFileSync(
      rules,
      `[uwsgi]\nfinal-route-run = log:FINAL \${PATH_INFO} status=\${uwsgi[status]} size=\${uwsgi[rsize]}\n`,
    );
    const server = await startServer(['--http-socket', '127.0.0.1:0', '--app', URL_APP, '--ini', rules], {
      cwd: ROUTING_FIXTURES,
    });
    t.after(() => server.close());
    const r = await get(server.port, '/done');
    assert.equal(r.status, 200);
    await server.waitFor(/^FINAL \/done status=200 size=25$/m);
  });

  it('--routers-list prints the actions and exits', async () => {
    const r = await runCli(['--routers-list']);
    assert.equal(r.code, 0);
    assert.match(r.stderr, /\*\*\* uWSGI loaded routers \*\*\*\ncontinue\nlast\n/);
    assert.match(r.stderr, /\nrewrite\n/);
    assert.match(r.stderr, /--- end of routers list ---/);
  });

  it('a reload with a bad rule fails and the old workers keep serving', async (t) => {
    const rules = join(dir, 'reload.ini');
    writeFileSync(rules, '[uwsgi]\nroute = ^/x addheader:X-Version: 1\n');
    const server = await startServer(
      ['--http-socket', '127.0.0.1:0', '--master', '--app', URL_APP, '--ini', rules],
      { cwd: ROUTING_FIXTURES },
    );
    t.after(() => server.close());
    assert.equal(header(await get(server.port, '/x'), 'X-Version'), '1');
    writeFileSync(rules, '[uwsgi]\nroute = ^/x nosuchaction:1\n');
    process.kill(server.pid, 'SIGHUP');
    await server.waitFor(
      /reload failed, the old workers keep serving: .*no router for "nosuchaction".*reload\.ini:2/,
    );
    assert.equal(header(await get(server.port, '/x'), 'X-Version'), '1');
  });
});
