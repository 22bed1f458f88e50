// The sslrouter (seed manual "works in the same way as the rawrouter one, but will terminate ssl
// connections ... sni for implementing virtualhosting"): TLS ended by the router, the clear stream
// piped to sslrouter-to round robin (stats in uWSGI 2.0.21's shape: test/fixtures/gateway/
// sslrouter-uwsgi-2.0.21.json); with sslrouter-sni the SNI name is the key (use-pattern here,
// use-base as observed on uWSGI). And the seed's "scaling SSL" setup: a rawrouter in front of
// three uwsgi-ts HTTPS terminators (https-socket), curl through it.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import tls from 'node:tls';
import { REPO, runCli, tempFiles } from '../helpers/cli.js';
import { type RunningServer, startServer } from '../helpers/server.js';
import {
  corerouterPort,
  gatewayStats,
  greeter,
  type TcpBackend,
  tcpBackend,
} from '../helpers/tcp-backends.js';
import { hasOpenssl, makeCert } from '../helpers/tls.js';

const ECHO = join(REPO, 'test', 'fixtures', 'apps', 'echo.mjs');
const RECORDED = JSON.parse(
  readFileSync(join(REPO, 'test', 'fixtures', 'gateway', 'sslrouter-uwsgi-2.0.21.json'), 'utf8'),
) as { lines: Record<string, string>; stats_json: Record<string, unknown> };

/** A TLS client: sends `data`, half-closes, reads until close; what the router's certificate says. */
function tlsExchange(
  port: number,
  data: string,
  servername = 'localhost',
): Promise<{ text: string; subject: string }> {
  return new Promise((resolve, reject) => {
    let text = '';
    let subject = '';
    const s = tls.connect({ port, host: '127.0.0.1', servername, rejectUnauthorized: false }, () => {
      subject = String(s.getPeerCertificate().subject?.CN ?? '');
      s.end(data);
    });
    s.on('data', (d: Buffer) => {
      text += d.toString();
    });
    s.on('end', () => s.end());
    s.on('close', () => resolve({ text, subject }));
    s.on('error', reject);
    s.setTimeout(20_000, () => s.destroy(new Error('timed out')));
  });
}

describe('the sslrouter', { timeout: 180_000, skip: !hasOpenssl && 'openssl missing' }, () => {
  let tmp: { dir: string; cleanup: () => void };
  let cert: { cert: string; key: string };
  const backends: TcpBackend[] = [];
  before(async () => {
    tmp = tempFiles({});
    cert = makeCert(tmp.dir, 'router', 'router.example');
    for (const name of ['a', 'b']) backends.push(await tcpBackend(greeter(name)));
  });
  after(async () => {
    await Promise.all(backends.map((b) => b.close()));
    tmp.cleanup();
  });

  it('terminates TLS and pipes the clear stream round robin; stats in uWSGI shape', async () => {
    const front = await startServer([
      '--master',
      '--sslrouter',
      `127.0.0.1:0,${cert.cert},${cert.key}`,
      ...backends.flatMap((b) => ['--sslrouter-to', `127.0.0.1:${b.port}`]),
      '--sslrouter-stats',
      '127.0.0.1:0',
    ]);
    try {
      assert.match(front.log(), /uWSGI sslrouter bound on 127\.0\.0\.1:\d+ fd \d+/);
      assert.match(front.log(), /spawned uWSGI sslrouter 1 \(pid: \d+\)/);
      const port = corerouterPort(front, 'sslrouter');
      const answers = [];
      for (let i = 0; i < 4; i++) answers.push(await tlsExchange(port, `t${i}`));
      assert.deepEqual(
        answers.map((a) => a.text),
        ['a\nt0', 'b\nt1', 'a\nt2', 'b\nt3'],
      );
      assert.equal(answers[0]?.subject, 'router.example');
      const stats = await gatewayStats(front, 'sslrouter');
      assert.deepEqual(Object.keys(stats), Object.keys(RECORDED.stats_json));
      assert.deepEqual(stats['sslrouter'], ['127.0.0.1:0']);
      assert.deepEqual(
        stats['static_nodes'],
        backends.map((b) => ({ name: `127.0.0.1:${b.port}`, hits: 2, grace: 0 })),
      );
    } finally {
      await front.close();
    }
  });

  it('sslrouter-sni: the SNI name is the key (use-pattern; no backend for a name: closed)', async () => {
    const named: TcpBackend[] = [];
    const servers: net.Server[] = [];
    for (const name of ['foo.example', 'bar.example']) {
      const b = await tcpBackend(greeter(`unix ${name}`));
      named.push(b);
      // the pattern names unix sockets: one per name, served by the greeter's handler
      const unix = net.createServer((s) => b.server.emit('connection', s));
      await new Promise<void>((resolve) => unix.listen(join(tmp.dir, `${name}.sock`), () => resolve()));
      servers.push(unix);
    }
    const front = await startServer([
      '--master',
      '--sslrouter',
      `127.0.0.1:0,${cert.cert},${cert.key}`,
      '--sslrouter-sni',
      '--sslrouter-use-pattern',
      join(tmp.dir, '%s.sock'),
    ]);
    try {
      const port = corerouterPort(front, 'sslrouter');
      assert.equal((await tlsExchange(port, 'x', 'foo.example')).text, 'unix foo.example\nx');
      assert.equal((await tlsExchange(port, 'y', 'bar.example')).text, 'unix bar.example\ny');
      // closed with nothing (a reset when the router drops what the client sent unread)
      const none = await tlsExchange(port, 'z', 'nobody.example').catch((err: NodeJS.ErrnoException) => {
        assert.equal(err.code, 'ECONNRESET');
        return { text: '' };
      });
      assert.equal(none.text, '');
      await front.waitFor(
        /\[uwsgi-sslrouter\] unable to connect\(\) to node ".*nobody\.example\.sock" \(0 retries\): No such file or directory/,
      );
      await front.waitFor(/\[uwsgi-sslrouter\] no backend answered for key "nobody\.example"/);
    } finally {
      await front.close();
      for (const s of servers) s.close();
      await Promise.all(named.map((b) => b.close()));
    }
  });

  it('a sslrouter line without its certificate and key stops the start', async () => {
    const run = await runCli(['--master', '--sslrouter', '127.0.0.1:0']);
    assert.equal(run.code, 1, run.stderr);
    assert.match(
      run.stderr,
      /sslrouter needs ADDR,CERT,KEY\[,CIPHERS,CA\]: "127\.0\.0\.1:0" \[ERR_CONFIG_BAD_VALUE\]/,
    );
  });

  it("the seed's scaling SSL setup: a rawrouter balancing three HTTPS terminators, curl through it", async () => {
    const terminators: RunningServer[] = [];
    try {
      for (let i = 1; i <= 3; i++)
        terminators.push(
          await startServer([
            '--https-socket',
            `127.0.0.1:0,${cert.cert},${cert.key}`,
            '--app',
            ECHO,
            '--master',
            '--processes',
            '1',
          ]),
        );
      // the seed manual's config, addresses ours
      const ini = join(tmp.dir, 'rawrouter.ini');
      writeFileSync(
        ini,
        [
          '[uwsgi]',
          'master = true',
          'rawrouter = 127.0.0.1:0',
          ...terminators.map((t) => `rawrouter-to = 127.0.0.1:${t.port}`),
          '',
        ].join('\n'),
      );
      const front = await startServer([ini]);
      try {
        const port = corerouterPort(front, 'rawrouter');
        for (let i = 1; i <= 3; i++) {
          const out = await curl(['-sk', `https://127.0.0.1:${port}/seed-${i}`]);
          assert.equal((JSON.parse(out) as { url: string }).url, `/seed-${i}`);
        }
        // one request each: the rawrouter balanced the TLS connections themselves
        for (const [i, t] of terminators.entries()) {
          // the request line is logged once the answer went out: wait for it
          await t.waitFor(new RegExp(`GET /seed-${i + 1}`));
          const served = t.log().match(/GET \/seed-\d/g) ?? [];
          assert.deepEqual(served, [`GET /seed-${i + 1}`], t.log());
        }
      } finally {
        await front.close();
      }
    } finally {
      await Promise.all(terminators.map((t) => t.close()));
    }
  });
});

function curl(args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('curl', ['--max-time', '20', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`curl ${code}: ${err}`))));
  });
}
