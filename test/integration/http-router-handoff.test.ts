// Issue 15's router speed line: the HTTP router hands a plain http client connection to a worker
// (through the master), which serves it for its whole keep-alive life. What must hold on the
// handed path: several requests on one connection, a pipelined pair, a worker dying with a handed
// connection (that client is cut, the next connection is served), a graceful reload under
// keep-alive load (no failed request), and `http-no-handoff` (or a router-only option) proxying.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REPO } from '../helpers/cli.js';
import { request, routerPort } from '../helpers/router.js';
import { type RunningServer, startServer } from '../helpers/server.js';

const PROBE = join(REPO, 'test', 'fixtures', 'apps', 'handoff-probe.mjs');
const ECHO = join(REPO, 'test', 'fixtures', 'apps', 'echo.mjs');
const RECORDED = JSON.parse(
  readFileSync(join(REPO, 'test', 'fixtures', 'gateway', 'http-router-uwsgi-2.0.21.json'), 'utf8'),
) as { vars_get: { vars: string[] }; path_decoding: Record<string, string> };

interface Probe {
  pid: number;
  remotePort: number | null;
  localPort: number | null;
  url: string;
  socket: string | null;
}

/** One client connection: requests written raw, answers read back one by one (Content-Length framed). */
class Client {
  private buffered = '';
  private waiting: (() => void) | undefined;
  closed = false;
  readonly socket: net.Socket;
  readonly ready: Promise<void>;

  constructor(port: number) {
    this.socket = net.connect(port, '127.0.0.1');
    this.ready = new Promise((ok, fail) => {
      this.socket.once('connect', () => ok());
      this.socket.once('error', fail);
    });
    this.socket.on('data', (d: Buffer) => {
      this.buffered += d.toString('latin1');
      this.waiting?.();
    });
    this.socket.on('close', () => {
      this.closed = true;
      this.waiting?.();
    });
    this.socket.on('error', () => {});
  }

  send(...paths: string[]): void {
    this.socket.write(paths.map((p) => `GET ${p} HTTP/1.1\r\nHost: test\r\n\r\n`).join(''));
  }

  /** The next whole answer: status and body; rejects when the connection closes first. */
  async answer(timeoutMs = 15_000): Promise<{ status: number; body: string }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const end = this.buffered.indexOf('\r\n\r\n');
      if (end >= 0) {
        const head = this.buffered.slice(0, end);
        const length = Number(/content-length: *(\d+)/i.exec(head)?.[1] ?? 0);
        if (this.buffered.length >= end + 4 + length) {
          const body = this.buffered.slice(end + 4, end + 4 + length);
          this.buffered = this.buffered.slice(end + 4 + length);
          return { status: Number(head.split(' ')[1]), body };
        }
      }
      if (this.closed) throw new Error('connection closed');
      if (Date.now() > deadline) throw new Error('no answer in time');
      await new Promise<void>((ok) => {
        this.waiting = ok;
        setTimeout(ok, 200);
      });
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

describe('the HTTP router hands connections to the workers', { timeout: 180_000 }, () => {
  let server: RunningServer;
  let port: number;
  before(async () => {
    server = await startServer(['--http', '127.0.0.1:0', '--app', PROBE, '--master', '--processes', '2']);
    port = routerPort(server);
  });
  after(() => server.close());

  it('keeps one handed connection on one worker for several requests', async () => {
    const c = new Client(port);
    await c.ready;
    try {
      const seen: Probe[] = [];
      for (let i = 0; i < 5; i++) {
        c.send(`/n${i}`);
        const a = await c.answer();
        assert.equal(a.status, 200);
        seen.push(JSON.parse(a.body) as Probe);
      }
      // the worker read the client's own connection: its peer is our socket, its local port the router's
      for (const [i, p] of seen.entries()) {
        assert.equal(p.url, `/n${i}`);
        assert.equal(p.remotePort, c.socket.localPort);
        assert.equal(p.localPort, port);
        assert.equal(p.socket, 'Socket');
        assert.equal(p.pid, seen[0]?.pid);
      }
    } finally {
      c.close();
    }
  });

  it('answers a pipelined pair in order', async () => {
    const c = new Client(port);
    await c.ready;
    try {
      c.send('/first', '/second');
      const a = JSON.parse((await c.answer()).body) as Probe;
      const b = JSON.parse((await c.answer()).body) as Probe;
      assert.equal(a.url, '/first');
      assert.equal(b.url, '/second');
      assert.equal(a.pid, b.pid);
    } finally {
      c.close();
    }
  });

  it('a worker that dies with a handed connection: that client is cut, the next one is served', async () => {
    const c = new Client(port);
    await c.ready;
    c.send('/before');
    const { pid } = JSON.parse((await c.answer()).body) as Probe;
    process.kill(pid, 'SIGKILL');
    const started = Date.now();
    while (!c.closed && Date.now() - started < 10_000) await new Promise((r) => setTimeout(r, 50));
    assert.ok(c.closed, 'the handed connection closed with its worker');
    c.close();
    await server.waitFor(new RegExp(`\\(pid: ${pid}\\) died`), 15_000);
    // new connections go to the live worker (and the respawned one once ready)
    for (let i = 0; i < 6; i++) {
      const r = await request(port, { path: '/after', timeoutMs: 15_000 });
      assert.equal(r.status, 200);
      assert.notEqual((JSON.parse(r.body.toString()) as Probe).pid, pid);
    }
  });

  it('a graceful reload under keep-alive load: no failed request', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 10 });
    let ok = 0;
    const failed: string[] = [];
    const pids = new Set<number>();
    let running = true;
    const loops = Array.from({ length: 10 }, async () => {
      while (running) {
        try {
          const r = await request(port, { agent, path: '/load', timeoutMs: 20_000 });
          if (r.status === 200) {
            ok++;
            pids.add((JSON.parse(r.body.toString()) as Probe).pid);
          } else failed.push(`status ${r.status}`);
        } catch (err) {
          failed.push((err as Error).message);
        }
      }
    });
    try {
      await new Promise((r) => setTimeout(r, 1000));
      const before = (server.log().match(/reload done, new workers serving/g) ?? []).length;
      process.kill(server.pid, 'SIGHUP');
      await server.waitFor(new RegExp(`(reload done, new workers serving[\\s\\S]*){${before + 1}}`), 60_000);
      // the old workers drain their handed connections (each ends after its next answer)
      await new Promise((r) => setTimeout(r, 1500));
    } finally {
      running = false;
      await Promise.all(loops);
      agent.destroy();
    }
    assert.deepEqual(failed.slice(0, 5), [], `${failed.length} failed of ${ok + failed.length}`);
    assert.ok(ok > 50, `${ok} requests served`);
    // both generations answered: the keep-alive clients moved to the new workers
    assert.ok(pids.size >= 3, `answered by ${[...pids].join(', ')}`);
  });
});

describe("a handed connection gets the router's vars", { timeout: 60_000 }, () => {
  it("the client's address, PATH_INFO decoded, UWSGI_ROUTER, X-Forwarded-For passed, HTTPS from X-Forwarded-Proto", async () => {
    const server = await startServer([
      '--http',
      '127.0.0.1:0',
      '--app',
      ECHO,
      '--master',
      '--processes',
      '1',
    ]);
    try {
      const port = routerPort(server);
      const r = await request(port, {
        path: '/a%20b/%2Fc?q=%20',
        headers: { 'X-Forwarded-For': '1.2.3.4', 'X-A': ['1', '2'], 'Content-Type': 'text/x' },
      });
      const env = (JSON.parse(r.body.toString()) as { env: Record<string, string> }).env;
      // the set uWSGI 2.0.21's router sends (recorded), but for the client's own headers
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
      assert.equal(env['HTTPS'], undefined);
      const https = await request(port, { headers: { 'X-Forwarded-Proto': 'https' } });
      assert.equal((JSON.parse(https.body.toString()) as { env: Record<string, string> }).env['HTTPS'], 'on');
      // each request is logged by the worker, as on its own socket
      await server.waitFor(/GET \/a%20b\/%2Fc\?q=%20 => generated/, 10_000);
    } finally {
      await server.close();
    }
  });
});

describe('the HTTP router proxies when told to, or when an option lives in the router', {
  timeout: 60_000,
}, () => {
  for (const extra of [['--http-no-handoff'], ['--http-var', 'X_ROUTER=1'], ['--http-keepalive=0']]) {
    it(`${extra.join(' ')}: the worker reads the router's connection, not the client's`, async () => {
      const server = await startServer([
        '--http',
        '127.0.0.1:0',
        ...extra,
        '--app',
        PROBE,
        '--master',
        '--processes',
        '1',
      ]);
      try {
        const c = new Client(routerPort(server));
        await c.ready;
        c.send('/proxied');
        const a = await c.answer();
        assert.equal(a.status, 200);
        const p = JSON.parse(a.body) as Probe;
        assert.equal(p.url, '/proxied');
        assert.notEqual(p.socket, 'Socket');
        c.close();
      } finally {
        await server.close();
      }
    });
  }
});

describe('http-keepalive on keeps the hand-off', { timeout: 60_000 }, () => {
  it("--http-keepalive=1: the worker reads the client's own connection", async () => {
    const server = await startServer([
      '--http',
      '127.0.0.1:0',
      '--http-keepalive=1',
      '--app',
      PROBE,
      '--master',
      '--processes',
      '1',
    ]);
    try {
      const c = new Client(routerPort(server));
      await c.ready;
      c.send('/handed');
      const p = JSON.parse((await c.answer()).body) as Probe;
      assert.equal(p.socket, 'Socket');
      assert.equal(p.remotePort, c.socket.localPort);
      c.close();
    } finally {
      await server.close();
    }
  });
});
