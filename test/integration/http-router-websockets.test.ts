// Issue 15 points 1 and 5 (through the router): `http-websockets` relays an Upgrade request to an
// HTTP socket of the own workers (bound for it when none is configured) and copies the bytes both
// ways after the 101. The app is ws's "noServer" recipe (test/fixtures/frameworks/ws-upgrade-export.mjs).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { REPO } from '../helpers/cli.js';
import { request, routerPort, subscriptionPort } from '../helpers/router.js';
import { type RunningServer, startServer } from '../helpers/server.js';
import { hasOpenssl, makeCert } from '../helpers/tls.js';
import { noUwsgiPython } from '../helpers/uwsgi.js';

const APP = join(REPO, 'test', 'fixtures', 'frameworks', 'ws-upgrade-export.mjs');

/** Opens a socket, sends each message, collects as many answers (data, binary flag). */
function echo(
  url: string,
  messages: ReadonlyArray<string | Buffer>,
  options: WebSocket.ClientOptions = {},
): Promise<Array<[Buffer, boolean]>> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options);
    const got: Array<[Buffer, boolean]> = [];
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`timeout after ${got.length} answers`));
    }, 20_000);
    ws.on('open', () => {
      for (const m of messages) ws.send(m, { binary: typeof m !== 'string' });
    });
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      got.push([data, isBinary]);
      if (got.length === messages.length) ws.close(1000);
    });
    ws.on('close', () => {
      clearTimeout(timer);
      resolve(got);
    });
    ws.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

describe('WebSockets through the HTTP router (http-websockets)', { timeout: 90_000 }, () => {
  let server: RunningServer;
  let port: number;
  before(async () => {
    server = await startServer([
      '--http',
      '127.0.0.1:0',
      '--http-websockets',
      '--app',
      APP,
      '--master',
      '--processes',
      '2',
    ]);
    port = routerPort(server);
  });
  after(() => server.close());

  it('echoes text, binary and a 1 MB message, and plain requests still go over FastCGI', async () => {
    const big = randomBytes(1024 * 1024);
    const bin = randomBytes(300);
    const got = await echo(`ws://127.0.0.1:${port}/ws`, ['hello router', bin, big]);
    assert.equal(got.length, 3);
    assert.deepEqual([got[0]?.[0].toString(), got[0]?.[1]], ['hello router', false]);
    assert.ok(got[1]?.[1] && got[1][0].equals(bin));
    assert.ok(got[2]?.[1] && got[2][0].equals(big), '1 MB echoed byte-identical');
    const plain = await request(port, { path: '/' });
    assert.equal(plain.status, 200);
    assert.equal(plain.body.toString(), 'plain HTTP too');
  });

  it('serves several sockets at once, and logs each as a 101 request of the worker', async () => {
    const runs = await Promise.all(
      Array.from({ length: 10 }, (_, i) => echo(`ws://127.0.0.1:${port}/n${i}`, [`m${i}`, `again ${i}`])),
    );
    for (const [i, r] of runs.entries()) {
      assert.deepEqual(
        r.map(([d]) => d.toString()),
        [`m${i}`, `again ${i}`],
      );
    }
    await server.waitFor(/GET \/n9 => generated \d+ bytes .*\(HTTP\/1\.1 101\)/, 10_000);
  });
});

describe('without http-websockets', { timeout: 60_000 }, () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer(['--http', '127.0.0.1:0', '--app', APP, '--master', '--processes', '1']);
  });
  after(() => server.close());

  it('binds no HTTP socket for the workers and does not switch protocols', async () => {
    assert.equal((server.log().match(/uwsgi socket \d+ bound/g) ?? []).length, 1);
    await assert.rejects(echo(`ws://127.0.0.1:${routerPort(server)}/ws`, ['x']));
  });
});

describe('wss:// through the HTTPS router', {
  skip: !hasOpenssl && 'openssl missing',
  timeout: 60_000,
}, () => {
  let server: RunningServer;
  const dir = mkdtempSync(join(tmpdir(), 'uwsgi-ts-wss-router-'));
  before(async () => {
    const { cert, key } = makeCert(dir);
    server = await startServer([
      '--https',
      `127.0.0.1:0,${cert},${key}`,
      '--http-websockets',
      '--app',
      APP,
      '--master',
      '--processes',
      '1',
    ]);
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('echoes over TLS', async () => {
    const port = Number(server.log().match(/uWSGI https bound on \S*:(\d+) fd/)?.[1]);
    const big = randomBytes(256 * 1024);
    const got = await echo(`wss://127.0.0.1:${port}/tls`, ['over tls', big], { rejectUnauthorized: false });
    assert.equal(got[0]?.[0].toString(), 'over tls');
    assert.ok(got[1]?.[0].equals(big));
  });
});

// `http-websockets` towards http-to backends and subscribed nodes: the upgrade goes over uwsgi and
// the connection is raw after the packet (src/gateway/http/uwsgi-upgrade.ts), as uWSGI's router
// puts the session in raw mode. The nodes run uWSGI's WebSocket API on a plain uwsgi socket.
describe('WebSockets through the HTTP router to uwsgi nodes (http-to, subscriptions)', {
  timeout: 120_000,
}, () => {
  const API_APP = join(REPO, 'test', 'fixtures', 'websocket', 'echo-api.mjs');
  const PY_ECHO = join(REPO, 'test', 'fixtures', 'websocket', 'websockets_echo.py');
  const messages = ['hello', randomBytes(70_000), 'x'.repeat(200_000)];
  const started: RunningServer[] = [];
  after(async () => {
    await Promise.all(started.map((s) => s.close()));
  });
  const start = async (args: string[], env: Record<string, string> = {}) => {
    const s = await startServer(args, { env });
    started.push(s);
    return s;
  };
  const node = () => start(['--socket', '127.0.0.1:0', '--app', API_APP, '--master', '--processes', '1']);

  it('http-to: text, binary and a 200 KB message echoed through the router', async () => {
    const backend = await node();
    const router = await start([
      '--http',
      '127.0.0.1:0',
      '--http-to',
      `127.0.0.1:${backend.port}`,
      '--http-websockets',
      '--master',
    ]);
    const got = await echo(`ws://127.0.0.1:${routerPort(router)}/ws`, messages);
    assert.deepEqual(
      got.map(([d]) => d),
      messages.map((m) => Buffer.from(m)),
    );
    assert.deepEqual(
      got.map(([, binary]) => binary),
      [false, true, false],
    );
  });

  it('a subscribed node: the Host picks it, the frames go both ways', async () => {
    const router = await start([
      '--http',
      '127.0.0.1:0',
      '--http-subscription-server',
      '127.0.0.1:0',
      '--http-websockets',
      '--master',
    ]);
    const subPort = subscriptionPort(router);
    const backend = await start([
      '--socket',
      '127.0.0.1:0',
      '--app',
      API_APP,
      '--master',
      '--processes',
      '1',
      '--subscribe2',
      `server=127.0.0.1:${subPort},key=ws.example`,
      '--subscribe-freq',
      '1',
    ]);
    await router.waitFor(new RegExp(`ws\\.example => new node: 127\\.0\\.0\\.1:${backend.port}`), 15_000);
    const got = await echo(`ws://127.0.0.1:${routerPort(router)}/ws`, ['one', 'two'], {
      headers: { Host: 'ws.example' },
    });
    assert.deepEqual(
      got.map(([d]) => d.toString()),
      ['one', 'two'],
    );
    // a host nobody announced: 502, logged
    await assert.rejects(
      echo(`ws://127.0.0.1:${routerPort(router)}/ws`, ['x'], { headers: { Host: 'nobody.example' } }),
      /502/,
    );
    await router.waitFor(/no node subscribed for key "nobody\.example" \(upgrade GET \/ws/);
  });

  it("uWSGI 2.0.21's seed echo (Python, uwsgi.websocket_*) on a uwsgi socket behind our router", {
    skip: noUwsgiPython,
  }, async () => {
    const port = await new Promise<number>((ok) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => ok(p));
      });
    });
    const uwsgi = spawn(
      'uwsgi',
      [
        '--plugin',
        'python3',
        '--socket',
        `127.0.0.1:${port}`,
        '--wsgi-file',
        PY_ECHO,
        '--master',
        '--processes',
        '1',
      ],
      { stdio: 'ignore', detached: true },
    );
    try {
      const router = await start([
        '--http',
        '127.0.0.1:0',
        '--http-to',
        `127.0.0.1:${port}`,
        '--http-websockets',
        '--master',
      ]);
      let got: Array<[Buffer, boolean]> | undefined;
      for (let i = 0; i < 50 && got === undefined; i++) {
        got = await echo(`ws://127.0.0.1:${routerPort(router)}/`, ['from uWSGI', 'twice']).catch(async () => {
          await new Promise((r) => setTimeout(r, 200));
          return undefined;
        });
      }
      assert.deepEqual(
        got?.map(([d]) => d.toString()),
        ['from uWSGI', 'twice'],
      );
    } finally {
      if (uwsgi.pid) process.kill(-uwsgi.pid, 'SIGINT');
    }
  });
});
