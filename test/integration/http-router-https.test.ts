// Issue 15 point 2: the HTTPS router (`https = ADDR,CERT,KEY[,CIPHERS,CA]`) with HTTP/2 by ALPN,
// `http-to-https`, `https-export-cert` and the certificate re-read on a graceful reload. The
// certificates are made here by `openssl req` (self-signed).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import tls from 'node:tls';
import { REPO } from '../helpers/cli.js';
import { type RunningServer, startServer } from '../helpers/server.js';
import { hasOpenssl, makeCert as makeCertIn } from '../helpers/tls.js';

const ECHO = join(REPO, 'test', 'fixtures', 'apps', 'echo.mjs');
const dir = mkdtempSync(join(tmpdir(), 'uwsgi-ts-https-router-'));
const curlH2 = /\bHTTP2\b/.test(spawnSync('curl', ['--version'], { encoding: 'utf8' }).stdout ?? '');

function makeCert(name: string, cn: string): { cert: string; key: string } {
  return makeCertIn(dir, name, cn);
}

type Echo = { env: Record<string, string>; sha256: string; length: number };

function portOf(server: RunningServer, kind: 'http' | 'https'): number {
  const m = server.log().match(new RegExp(`uWSGI ${kind} bound on \\S*:(\\d+) fd`));
  if (!m) throw new Error(`no ${kind} router address in the log:\n${server.log()}`);
  return Number(m[1]);
}

function get(
  options: https.RequestOptions,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer; reused: boolean }> {
  return new Promise((resolve, reject) => {
    const req = (options.protocol === 'http:' ? http : https).request(options, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(parts),
          reused: req.reusedSocket,
        }),
      );
    });
    req.on('error', reject);
    req.setTimeout(15_000, () => req.destroy(new Error('timeout')));
    req.end();
  });
}

/** One h2 request on a session; the answer's status, headers and body. */
function h2Request(
  session: http2.ClientHttp2Session,
  headers: http2.OutgoingHttpHeaders,
  body?: Buffer,
): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const stream = session.request(headers, { endStream: body === undefined });
    let status = 0;
    const parts: Buffer[] = [];
    stream.on('response', (h) => {
      status = Number(h[':status']);
    });
    stream.on('data', (c: Buffer) => parts.push(c));
    stream.on('end', () => resolve({ status, body: Buffer.concat(parts) }));
    stream.on('error', reject);
    stream.setTimeout(15_000, () => stream.close(http2.constants.NGHTTP2_CANCEL));
    if (body !== undefined) stream.end(body);
  });
}

describe('the HTTPS router', { skip: !hasOpenssl && 'openssl missing', timeout: 120_000 }, () => {
  let server: RunningServer;
  let port: number;
  let redirectPort: number;
  const served = join(dir, 'served');
  const first = makeCert('first', 'first.test');
  const second = makeCert('second', 'second.test');
  before(async () => {
    copyFileSync(first.cert, `${served}.crt`);
    copyFileSync(first.key, `${served}.key`);
    server = await startServer([
      '--https',
      `127.0.0.1:0,${served}.crt,${served}.key`,
      '--http-to-https',
      '127.0.0.1:0',
      '--app',
      ECHO,
      '--master',
      '--processes',
      '2',
    ]);
    port = portOf(server, 'https');
    redirectPort = portOf(server, 'http');
  });
  after(() => server.close());

  it('answers HTTP/1.1 over TLS with keep-alive, and tells the app HTTPS=on', async () => {
    const agent = new https.Agent({ keepAlive: true, maxSockets: 1, rejectUnauthorized: false });
    try {
      let reused = 0;
      for (let i = 0; i < 5; i++) {
        const r = await get({ host: '127.0.0.1', port, path: `/tls?i=${i}`, agent });
        assert.equal(r.status, 200);
        const echo = JSON.parse(r.body.toString()) as Echo;
        assert.equal(echo.env['HTTPS'], 'on');
        assert.equal(echo.env['UWSGI_SCHEME'], 'https');
        assert.equal(echo.env['SERVER_PROTOCOL'], 'HTTP/1.1');
        assert.equal(echo.env['QUERY_STRING'], `i=${i}`);
        if (r.reused) reused++;
      }
      assert.equal(reused, 4, 'one TLS connection for the five requests');
    } finally {
      agent.destroy();
    }
  });

  it('negotiates h2 by ALPN and proxies each stream (GET, 1 MB POST, 20 concurrent)', async () => {
    const session = http2.connect(`https://127.0.0.1:${port}`, { rejectUnauthorized: false });
    try {
      await new Promise<void>((ok, ko) => {
        session.once('connect', () => ok());
        session.once('error', ko);
      });
      assert.equal((session.socket as tls.TLSSocket).alpnProtocol, 'h2');
      const r = await h2Request(session, { ':path': '/h2?x=1', ':method': 'GET' });
      assert.equal(r.status, 200);
      const echo = JSON.parse(r.body.toString()) as Echo;
      assert.equal(echo.env['SERVER_PROTOCOL'], 'HTTP/2.0');
      assert.equal(echo.env['HTTP_HOST'], `127.0.0.1:${port}`);
      assert.equal(echo.env['HTTPS'], 'on');
      assert.ok(!Object.keys(echo.env).some((k) => k.includes(':')), 'no pseudo-header as a var');
      // a body with a length, and one framed only by the stream (no content-length)
      const body = randomBytes(1024 * 1024);
      const sha = createHash('sha256').update(body).digest('hex');
      for (const headers of [
        { ':path': '/up', ':method': 'POST', 'content-length': String(body.length) },
        { ':path': '/up', ':method': 'POST' },
      ]) {
        const up = JSON.parse((await h2Request(session, headers, body)).body.toString()) as Echo;
        assert.equal(up.length, body.length);
        assert.equal(up.sha256, sha);
      }
      const many = await Promise.all(
        Array.from({ length: 20 }, (_, i) => h2Request(session, { ':path': `/many/${i}`, ':method': 'GET' })),
      );
      many.forEach((m, i) => {
        assert.equal(m.status, 200);
        assert.equal((JSON.parse(m.body.toString()) as { url: string }).url, `/many/${i}`);
      });
    } finally {
      session.close();
    }
  });

  it('answers curl --http2 over h2', { skip: !curlH2 && 'curl without HTTP2' }, () => {
    const run = spawnSync(
      'curl',
      [
        '-sk',
        '--http2',
        '-m',
        '15',
        '-o',
        '/dev/null',
        '-w',
        '%{http_version} %{http_code}',
        `https://127.0.0.1:${port}/c`,
      ],
      { encoding: 'utf8' },
    );
    assert.equal(run.stdout, '2 200', run.stderr);
  });

  it('logs a client that does not speak TLS, and keeps serving', async () => {
    const net = await import('node:net');
    await new Promise<void>((ok) => {
      const s = net.connect(port, '127.0.0.1', () => s.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
      s.on('error', () => ok());
      s.on('close', () => ok());
      s.resume();
    });
    await server.waitFor(/\[uwsgi-https\] TLS handshake failed from 127\.0\.0\.1/, 10_000);
    const r = await get({ host: '127.0.0.1', port, path: '/after', agent: false, rejectUnauthorized: false });
    assert.equal(r.status, 200);
    assert.doesNotMatch(server.log(), /respawned uWSGI http/);
  });

  it('http-to-https redirects to the https socket', async () => {
    const r = await get({
      protocol: 'http:',
      host: '127.0.0.1',
      port: redirectPort,
      path: '/a/b?c=d',
      agent: false,
    });
    assert.equal(r.status, 301);
    assert.equal(r.headers.location, `https://127.0.0.1:${port}/a/b?c=d`);
  });

  it('re-reads its certificate on a graceful reload (SIGHUP)', async () => {
    const subject = () =>
      new Promise<string>((ok, ko) => {
        const s = tls.connect(
          { host: '127.0.0.1', port, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] },
          () => {
            ok(String(s.getPeerCertificate().subject.CN));
            s.end();
          },
        );
        s.on('error', ko);
      });
    assert.equal(await subject(), 'first.test');
    copyFileSync(second.cert, `${served}.crt`);
    copyFileSync(second.key, `${served}.key`);
    process.kill(server.pid, 'SIGHUP');
    await server.waitFor(/\[uwsgi-https\] certificate \S+ re-read/, 20_000);
    assert.equal(await subject(), 'second.test');
  });
});

describe('the HTTPS router with a client CA and https-export-cert', {
  skip: !hasOpenssl && 'openssl missing',
  timeout: 60_000,
}, () => {
  let server: RunningServer;
  let port: number;
  const ca = makeCert('ca', 'client.test');
  const own = makeCert('own', 'router.test');
  before(async () => {
    server = await startServer([
      '--https',
      `127.0.0.1:0,${own.cert},${own.key},HIGH,${ca.cert}`,
      '--https-export-cert',
      '--app',
      ECHO,
      '--master',
      '--processes',
      '1',
    ]);
    port = portOf(server, 'https');
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a client without a certificate and passes HTTPS_DN/HTTPS_CC of one with it', async () => {
    await assert.rejects(
      get({ host: '127.0.0.1', port, path: '/', agent: false, rejectUnauthorized: false }),
    );
    const { readFileSync } = await import('node:fs');
    const r = await get({
      host: '127.0.0.1',
      port,
      path: '/',
      agent: false,
      rejectUnauthorized: false,
      cert: readFileSync(ca.cert),
      key: readFileSync(ca.key),
    });
    assert.equal(r.status, 200);
    const echo = JSON.parse(r.body.toString()) as Echo;
    assert.match(echo.env['HTTPS_DN'] ?? '', /CN=client\.test/);
    assert.match(echo.env['HTTPS_CC'] ?? '', /^-----BEGIN CERTIFICATE-----/);
  });
});
