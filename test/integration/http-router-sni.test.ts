// Issue 15 point 2: SNI on the HTTPS router (seed manual "SNI - Server Name Identification"):
// `sni = NAME CERT,KEY[,CIPHERS,CA]`, `sni-regexp`, `sni-dir` (+ sni-dir-ciphers), the context
// chosen by the client's servername (Node's tls client), the socket's own certificate without a
// match, a client CA on one SNI context only, and every SNI file re-read on a graceful reload.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import tls from 'node:tls';
import { REPO, runCli } from '../helpers/cli.js';
import { type RunningServer, startServer } from '../helpers/server.js';
import { hasOpenssl, makeCert as makeCertIn } from '../helpers/tls.js';

const ECHO = join(REPO, 'test', 'fixtures', 'apps', 'echo.mjs');
const dir = mkdtempSync(join(tmpdir(), 'uwsgi-ts-sni-'));

function makeCert(name: string, cn: string, where = dir): { cert: string; key: string } {
  return makeCertIn(where, name, cn);
}

interface Hello {
  cn: string;
  status: number;
  body: string;
}

/** A TLS connection with a servername: the certificate's CN and one HTTP/1.1 request's answer. */
function hello(
  port: number,
  servername: string | undefined,
  client?: { cert: string; key: string },
): Promise<Hello> {
  return new Promise((resolve, reject) => {
    const s = tls.connect(
      {
        host: '127.0.0.1',
        port,
        rejectUnauthorized: false,
        ALPNProtocols: ['http/1.1'],
        ...(servername ? { servername } : {}),
        ...(client ? { cert: readFileSync(client.cert), key: readFileSync(client.key) } : {}),
      },
      () => {
        const cn = String(s.getPeerCertificate().subject.CN);
        s.write(`GET /sni HTTP/1.1\r\nHost: ${servername ?? 'x'}\r\nConnection: close\r\n\r\n`);
        const parts: Buffer[] = [];
        s.on('data', (c: Buffer) => parts.push(c));
        s.on('end', () => {
          const text = Buffer.concat(parts).toString();
          resolve({ cn, status: Number(text.slice(9, 12)), body: text });
        });
      },
    );
    s.on('error', reject);
    s.setTimeout(15_000, () => s.destroy(new Error('timeout')));
  });
}

describe('SNI on the HTTPS router', { skip: !hasOpenssl && 'openssl missing', timeout: 120_000 }, () => {
  let server: RunningServer;
  let port: number;
  const certs = join(dir, 'certs');
  mkdirSync(certs);
  const own = makeCert('own', 'own.test');
  const one = makeCert('one', 'one.test');
  const oneNext = makeCert('one-next', 'one-next.test');
  const served = { cert: join(dir, 'served-one.crt'), key: join(dir, 'served-one.key') };
  const wild = makeCert('wild', 'wild.test');
  const pattern = makeCert('pattern', 'pattern.test');
  const secure = makeCert('secure', 'secure.test');
  const clientCert = makeCert('client', 'client.test');
  makeCert('three.test', 'three.test', certs);
  before(async () => {
    copyFileSync(one.cert, served.cert);
    copyFileSync(one.key, served.key);
    server = await startServer([
      '--https',
      `127.0.0.1:0,${own.cert},${own.key}`,
      '--sni',
      `one.test ${served.cert},${served.key}`,
      '--sni-regexp',
      `*.wild.test ${wild.cert},${wild.key}`,
      '--sni-regexp',
      `api[0-9]+\\.pattern\\.test ${pattern.cert},${pattern.key},HIGH`,
      // a client CA on one context only: the self-signed client certificate is its own CA
      '--sni',
      `secure.test ${secure.cert},${secure.key},,${clientCert.cert}`,
      '--sni-dir',
      certs,
      '--sni-dir-ciphers',
      'HIGH',
      '--app',
      ECHO,
      '--master',
      '--processes',
      '1',
    ]);
    const m = server.log().match(/uWSGI https bound on \S*:(\d+) fd/);
    assert.ok(m, server.log());
    port = Number(m[1]);
  });
  after(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the exact name its own context, and answers over it', async () => {
    const r = await hello(port, 'one.test');
    assert.equal(r.cn, 'one.test');
    assert.equal(r.status, 200);
    assert.match(r.body, /"HTTPS":"on"/);
  });

  it('serves the socket certificate without a servername or without a match', async () => {
    assert.equal((await hello(port, undefined)).cn, 'own.test');
    assert.equal((await hello(port, 'nobody.test')).cn, 'own.test');
  });

  it('matches sni-regexp names, the manual\'s "*.name" wildcard included', async () => {
    assert.equal((await hello(port, 'a.wild.test')).cn, 'wild.test');
    assert.equal((await hello(port, 'api12.pattern.test')).cn, 'pattern.test');
    // anchored: a longer name is not the pattern's
    assert.equal((await hello(port, 'xapi12.pattern.test.evil')).cn, 'own.test');
  });

  it('loads sni-dir contexts on first use (DIR/NAME.crt and .key)', async () => {
    const r = await hello(port, 'three.test');
    assert.equal(r.cn, 'three.test');
    assert.equal(r.status, 200);
    await server.waitFor(/sni-dir: loaded the context of three\.test/, 5000);
  });

  it('asks for a client certificate on the context with a CA only', async () => {
    // TLS 1.3: the client's handshake ends before the server checks; the connection is then cut
    const refused = await hello(port, 'secure.test').catch(() => undefined);
    assert.notEqual(refused?.status, 200);
    await server.waitFor(/client certificate refused from 127\.0\.0\.1 for secure\.test/, 5000);
    const ok = await hello(port, 'secure.test', clientCert);
    assert.equal(ok.cn, 'secure.test');
    assert.equal(ok.status, 200);
    // the other names still need none
    assert.equal((await hello(port, 'one.test')).status, 200);
  });

  it('re-reads the SNI files on a graceful reload (SIGHUP)', async () => {
    copyFileSync(oneNext.cert, served.cert);
    copyFileSync(oneNext.key, served.key);
    process.kill(server.pid, 'SIGHUP');
    await server.waitFor(/\[uwsgi-https\] SNI contexts re-read/, 20_000);
    assert.equal((await hello(port, 'one.test')).cn, 'one-next.test');
  });
});

describe('a bad sni line', () => {
  it('stops the start with a config error', async () => {
    const r = await runCli(['--https', '127.0.0.1:0,a.crt,a.key', '--sni', 'only-a-name', '--app', ECHO], {
      timeoutMs: 20_000,
    });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /sni needs "NAME CERT,KEY/);
  });
});
