// Issue 15 point 2: HTTP/2 over cleartext with prior knowledge (h2c) on the router's plain
// sockets, `http-h2c` (our option: uWSGI 2.0.21 has no HTTP/2). Node's http2 client on http://,
// HTTP/1.1 still served on the same port, `curl --http2-prior-knowledge` where curl has HTTP2.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REPO } from '../helpers/cli.js';
import { type RunningServer, startServer } from '../helpers/server.js';

const ECHO = join(REPO, 'test', 'fixtures', 'apps', 'echo.mjs');
const curlH2 = /\bHTTP2\b/.test(spawnSync('curl', ['--version'], { encoding: 'utf8' }).stdout ?? '');

type Echo = { env: Record<string, string>; sha256: string; length: number };

function routerPort(server: RunningServer): number {
  const m = server.log().match(/uWSGI http bound on \S*:(\d+) fd/);
  if (!m) throw new Error(`no router address in the log:\n${server.log()}`);
  return Number(m[1]);
}

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

function connect(port: number): Promise<http2.ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.once('connect', () => resolve(session));
    session.once('error', reject);
  });
}

describe('h2c prior knowledge on the router (http-h2c)', { timeout: 120_000 }, () => {
  let server: RunningServer;
  let port: number;
  before(async () => {
    server = await startServer([
      '--http',
      '127.0.0.1:0',
      '--http-h2c',
      '--app',
      ECHO,
      '--master',
      '--processes',
      '2',
    ]);
    port = routerPort(server);
  });
  after(() => server.close());

  it('answers h2 streams on http:// (GET, 1 MB POST without length, 20 at once)', async () => {
    const session = await connect(port);
    try {
      const r = await h2Request(session, { ':path': '/h2c?x=1', ':method': 'GET' });
      assert.equal(r.status, 200);
      const e = JSON.parse(r.body.toString()) as Echo;
      assert.equal(e.env['SERVER_PROTOCOL'], 'HTTP/2.0');
      assert.equal(e.env['QUERY_STRING'], 'x=1');
      assert.equal(e.env['HTTP_HOST'], `127.0.0.1:${port}`);
      assert.equal(e.env['HTTPS'], undefined);
      assert.equal(e.env['REMOTE_ADDR'], '127.0.0.1');
      const body = randomBytes(1024 * 1024);
      const posted = await h2Request(session, { ':path': '/up', ':method': 'POST' }, body);
      assert.equal(posted.status, 200);
      const pe = JSON.parse(posted.body.toString()) as Echo;
      assert.equal(pe.sha256, createHash('sha256').update(body).digest('hex'));
      const many = await Promise.all(
        Array.from({ length: 20 }, (_, i) => h2Request(session, { ':path': `/n/${i}` })),
      );
      assert.deepEqual(
        many.map((m) => m.status),
        many.map(() => 200),
      );
    } finally {
      session.close();
    }
  });

  it('still serves HTTP/1.1 on the same port', async () => {
    const r = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port, path: '/h1', agent: false }, (res) => {
          let text = '';
          res.on('data', (c: Buffer) => {
            text += c.toString();
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        })
        .on('error', reject);
    });
    assert.equal(r.status, 200);
    assert.equal((JSON.parse(r.text) as Echo).env['SERVER_PROTOCOL'], 'HTTP/1.1');
  });

  it('curl --http2-prior-knowledge', { skip: !curlH2 && 'curl without HTTP2' }, () => {
    const r = spawnSync(
      'curl',
      [
        '-s',
        '--http2-prior-knowledge',
        '-o',
        '/dev/null',
        '-w',
        '%{http_version} %{http_code}',
        `http://127.0.0.1:${port}/c`,
      ],
      { encoding: 'utf8', timeout: 20_000 },
    );
    assert.equal(r.stdout, '2 200');
  });
});

describe('without http-h2c', { timeout: 60_000 }, () => {
  it('an h2c preface is bad HTTP/1: refused and logged, the router lives', async () => {
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
      const session = http2.connect(`http://127.0.0.1:${port}`);
      session.on('error', () => {});
      await assert.rejects(h2Request(session, { ':path': '/' }));
      session.destroy();
      // refused by the worker the connection was handed to (README "How requests reach the
      // workers"), or by the router when it proxies
      await server.waitFor(/\[uwsgi-(?:http|ts)\] bad HTTP request/, 10_000);
      assert.doesNotMatch(server.log(), /respawned uWSGI http/);
    } finally {
      await server.close();
    }
  });
});

/** An HTTP/2 frame: 3-byte length, type, flags, 31-bit stream id, payload. */
function frame(type: number, flags: number, stream: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(stream, 5);
  return Buffer.concat([head, payload]);
}

describe('an h2 stream flood on the router (rapid reset, streams past the limit)', {
  timeout: 120_000,
}, () => {
  let server: RunningServer;
  let port: number;
  before(async () => {
    server = await startServer([
      '--http',
      '127.0.0.1:0',
      '--http-h2c',
      '--app',
      ECHO,
      '--master',
      '--processes',
      '2',
    ]);
    port = routerPort(server);
  });
  after(() => server.close());

  it('5,000 streams opened and reset at once from one client: the router lives, others are served', async () => {
    // HPACK, static table only: :method GET, :scheme http, :path /, :authority "x"
    const block = Buffer.from([0x82, 0x86, 0x84, 0x41, 0x01, 0x78]);
    const frames: Buffer[] = [
      Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'),
      frame(0x4, 0, 0, Buffer.alloc(0)),
    ];
    for (let i = 0; i < 5000; i++) {
      const id = 1 + 2 * i;
      // HEADERS with END_STREAM | END_HEADERS, then RST_STREAM CANCEL: the rapid-reset pattern
      frames.push(frame(0x1, 0x5, id, block), frame(0x3, 0, id, Buffer.from([0, 0, 0, 8])));
    }
    const attacker = net.connect(port, '127.0.0.1');
    attacker.on('error', () => {});
    attacker.on('data', () => {});
    const closed = new Promise<void>((ok) => attacker.once('close', () => ok()));
    attacker.write(Buffer.concat(frames));
    // meanwhile and after it: an h2 client and an HTTP/1.1 client are answered
    const session = await connect(port);
    try {
      const r = await h2Request(session, { ':path': '/during', ':method': 'GET' });
      assert.equal(r.status, 200);
    } finally {
      session.close();
    }
    await Promise.race([closed, new Promise((ok) => setTimeout(ok, 10_000))]);
    attacker.destroy();
    const after = await new Promise<number>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port, path: '/after', agent: false }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        })
        .on('error', reject);
    });
    assert.equal(after, 200);
    assert.doesNotMatch(server.log(), /respawned uWSGI http|DAMN ! worker/);
  });
});
