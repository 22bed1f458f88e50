// Issue 15 point 1: the HTTP router (`--http`) in front of the instance's own workers and of
// `http-to` backends. The vars it sends are compared with what uWSGI 2.0.21's router sent
// (test/fixtures/gateway/http-router-uwsgi-2.0.21.json); keep-alive is ours (uWSGI closes).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REPO } from '../helpers/cli.js';
import { request, routerPort, sha256 } from '../helpers/router.js';
import { type RunningServer, startServer } from '../helpers/server.js';

const ECHO = join(REPO, 'test', 'fixtures', 'apps', 'echo.mjs');
const RECORDED = JSON.parse(
  readFileSync(join(REPO, 'test', 'fixtures', 'gateway', 'http-router-uwsgi-2.0.21.json'), 'utf8'),
) as {
  vars_get: { vars: string[] };
  stats_json: Record<string, unknown>;
  path_decoding: Record<string, string>;
};

type Echo = { env: Record<string, string>; sha256: string; length: number };
const echoOf = (body: Buffer) => JSON.parse(body.toString('utf8')) as Echo;

/** A port nothing listens on. */
async function deadPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((ok) => s.listen(0, '127.0.0.1', ok));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((ok) => s.close(() => ok()));
  return port;
}

describe('the HTTP router in front of its own workers', { timeout: 120_000 }, () => {
  let server: RunningServer;
  let port: number;
  before(async () => {
    server = await startServer([
      '--http',
      '127.0.0.1:0',
      '--app',
      ECHO,
      '--master',
      '--processes',
      '2',
      '--http-stats',
      '127.0.0.1:0',
      '--http-var',
      'ROUTED_BY=test',
    ]);
    port = routerPort(server);
  });
  after(() => server.close());

  it('logs its sockets as uWSGI does, the hidden uwsgi socket and the router process', () => {
    const log = server.log();
    assert.match(log, /uwsgi socket 0 bound to TCP address 127\.0\.0\.1:\d+ \(port auto-assigned\) fd \d+/);
    assert.match(log, /uWSGI http bound on 127\.0\.0\.1:\d+ fd \d+/);
    assert.match(log, /spawned uWSGI http 1 \(pid: \d+\)/);
    assert.match(log, /\*\*\* http stats server enabled on 127\.0\.0\.1:\d+ fd: \d+ \*\*\*/);
  });

  it('answers with keep-alive: ten requests on one client connection', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const replies = [];
      for (let i = 0; i < 10; i++) replies.push(await request(port, { path: `/k${i}`, agent }));
      for (const r of replies) assert.equal(r.status, 200);
      assert.equal(replies.filter((r) => r.reused).length, 9, 'one connection served all ten');
      assert.equal(replies[0]?.headers.connection, 'keep-alive');
      // a length-less answer is chunked for keep-alive
      const stream = await request(port, { path: '/stream', agent });
      assert.equal(stream.headers['transfer-encoding'], 'chunked');
      assert.equal(stream.body.toString(), 'chunk 0\nchunk 1\nchunk 2\nchunk 3\nchunk 4\n');
      assert.equal(stream.reused, true);
    } finally {
      agent.destroy();
    }
  });

  it("sends uWSGI's vars: the client's address, PATH_INFO decoded, UWSGI_ROUTER, http-var", async () => {
    const r = await request(port, {
      path: '/a%20b/%2Fc?q=%20',
      headers: { 'X-Forwarded-For': '1.2.3.4', 'X-A': ['1', '2'], 'Content-Type': 'text/x' },
    });
    const env = echoOf(r.body).env;
    for (const name of RECORDED.vars_get.vars) {
      if (!name.startsWith('HTTP_X_FOO') && name !== 'HTTP_USER_AGENT' && name !== 'HTTP_ACCEPT')
        assert.ok(name in env, `${name} sent`);
    }
    assert.equal(env['REMOTE_ADDR'], '127.0.0.1');
    assert.equal(env['HTTP_X_FORWARDED_FOR'], '1.2.3.4');
    assert.equal(env['PATH_INFO'], RECORDED.path_decoding['PATH_INFO']);
    assert.equal(env['REQUEST_URI'], RECORDED.path_decoding['REQUEST_URI']);
    assert.equal(env['QUERY_STRING'], RECORDED.path_decoding['QUERY_STRING']);
    assert.equal(env['HTTP_X_A'], '1, 2');
    assert.equal(env['CONTENT_TYPE'], 'text/x');
    assert.equal(env['UWSGI_ROUTER'], 'http');
    assert.equal(env['SERVER_NAME'], hostname());
    assert.equal(env['SERVER_PORT'], String(port));
    assert.equal(env['ROUTED_BY'], 'test');
    assert.equal(env['HTTPS'], undefined);
    const https = echoOf((await request(port, { headers: { 'X-Forwarded-Proto': 'https' } })).body).env;
    assert.equal(https['HTTPS'], 'on');
  });

  it('streams a 1 MB POST and a 25 MB chunked POST byte-identical', async () => {
    const mb = randomBytes(1024 * 1024);
    const one = echoOf((await request(port, { body: mb })).body);
    assert.equal(one.length, mb.length);
    assert.equal(one.sha256, sha256(mb));
    const chunks = Array.from({ length: 25 }, () => randomBytes(1024 * 1024));
    const r = await request(port, { body: chunks, timeoutMs: 60_000 });
    assert.equal(r.status, 200);
    const big = echoOf(r.body);
    assert.equal(big.length, 25 * 1024 * 1024);
    assert.equal(big.sha256, sha256(chunks));
    assert.equal(big.env['CONTENT_LENGTH'], String(25 * 1024 * 1024));
  });

  it("serves uWSGI's stats JSON shape on http-stats", async () => {
    const statsPort = Number(server.log().match(/http stats server enabled on \S*:(\d+)/)?.[1]);
    const text = await new Promise<string>((resolve, reject) => {
      let out = '';
      net
        .connect(statsPort, '127.0.0.1')
        .on('data', (d) => {
          out += d.toString();
        })
        .on('end', () => resolve(out))
        .on('error', reject);
    });
    const stats = JSON.parse(text) as Record<string, unknown>;
    assert.deepEqual(Object.keys(stats), Object.keys(RECORDED.stats_json));
    assert.deepEqual(stats['http'], ['127.0.0.1:0']);
    assert.equal(typeof stats['active_sessions'], 'number');
  });
});

describe('the HTTP router with http-to backends', { timeout: 120_000 }, () => {
  let backendA: RunningServer;
  let backendB: RunningServer;
  before(async () => {
    [backendA, backendB] = await Promise.all([
      startServer([
        '--socket',
        '127.0.0.1:0',
        '--app',
        ECHO,
        '--master',
        '--processes',
        '1',
        '--http-var',
        'X=1',
      ]),
      startServer(['--socket', '127.0.0.1:0', '--app', ECHO, '--master', '--processes', '1']),
    ]);
  });
  after(async () => {
    await Promise.all([backendA.close(), backendB.close()]);
  });

  it('balances round robin over http-to', async () => {
    const front = await startServer([
      '--http',
      '127.0.0.1:0',
      '--http-to',
      `127.0.0.1:${backendA.port}`,
      '--http-to',
      `127.0.0.1:${backendB.port}`,
      '--master',
      '--processes',
      '1',
    ]);
    try {
      const port = routerPort(front);
      for (let i = 0; i < 6; i++) assert.equal((await request(port, { path: `/r${i}` })).status, 200);
      const served = (s: RunningServer) => (s.log().match(/GET \/r\d/g) ?? []).length;
      // each backend's request lines come through its master's log pipe, in their own time
      const end = Date.now() + 10_000;
      while (served(backendA) + served(backendB) < 6 && Date.now() < end)
        await new Promise((r) => setTimeout(r, 50));
      assert.equal(served(backendA) + served(backendB), 6);
      assert.equal(served(backendA), 3, backendA.log());
      assert.equal(served(backendB), 3, backendB.log());
    } finally {
      await front.close();
    }
  });

  it('fails over to the next backend when a connect is refused, and answers 502 when none answers', async () => {
    const dead1 = await deadPort();
    const dead2 = await deadPort();
    const front = await startServer([
      '--http',
      '127.0.0.1:0',
      '--http-to',
      `127.0.0.1:${dead1}`,
      '--http-to',
      `127.0.0.1:${backendA.port}`,
      '--master',
      '--processes',
      '1',
    ]);
    try {
      const port = routerPort(front);
      for (let i = 0; i < 4; i++) assert.equal((await request(port, { path: `/f${i}` })).status, 200);
      await front.waitFor(new RegExp(`unable to connect\\(\\) to node "127\\.0\\.0\\.1:${dead1}"`));
    } finally {
      await front.close();
    }
    const none = await startServer([
      '--http',
      '127.0.0.1:0',
      '--http-to',
      `127.0.0.1:${dead1}`,
      '--http-to',
      `127.0.0.1:${dead2}`,
      '--master',
      '--processes',
      '1',
    ]);
    try {
      const r = await request(routerPort(none), { path: '/nobody' });
      assert.equal(r.status, 502);
      await none.waitFor(/no backend answered for GET \/nobody from 127\.0\.0\.1 -> 502/);
      // the router lives
      assert.equal((await request(routerPort(none), { path: '/again' })).status, 502);
    } finally {
      await none.close();
    }
  });

  it('sets http-modifier1 and http-modifier2 in the packet', async () => {
    // a raw uwsgi listener records the 4-byte header of the packet it gets
    const got: Buffer[] = [];
    const listener = net.createServer((s) => {
      s.once('data', (d: Buffer) => {
        got.push(d.subarray(0, 4));
        s.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
      });
    });
    await new Promise<void>((ok) => listener.listen(0, '127.0.0.1', ok));
    const lport = (listener.address() as net.AddressInfo).port;
    const front = await startServer([
      '--http',
      '127.0.0.1:0',
      '--http-to',
      `127.0.0.1:${lport}`,
      '--http-modifier1',
      '9',
      '--http-modifier2',
      '3',
      '--master',
      '--processes',
      '1',
    ]);
    try {
      const r = await request(routerPort(front));
      assert.equal(r.status, 200);
      assert.equal(r.body.toString(), 'ok');
      assert.equal(got[0]?.[0], 9);
      assert.equal(got[0]?.[3], 3);
    } finally {
      await front.close();
      listener.close();
    }
  });
});
