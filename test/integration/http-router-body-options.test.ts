// Issue 15 point 1: `http-auto-gzip`, `http-raw-body` and `http-fallback` on the HTTP router,
// compared with uWSGI 2.0.21's answers recorded in test/fixtures/gateway/
// (http-auto-gzip-uwsgi-2.0.21.json, http-raw-body-uwsgi-2.0.21.json). The raw-body and fallback
// backends are uwsgi servers written here that record the packet they get.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { REPO } from '../helpers/cli.js';
import { type RunningServer, startServer } from '../helpers/server.js';

const FIXTURES = join(REPO, 'test', 'fixtures', 'gateway');
const GZIP_APP = join(FIXTURES, 'gzip-app.mjs');
const gzipFixture = JSON.parse(readFileSync(join(FIXTURES, 'http-auto-gzip-uwsgi-2.0.21.json'), 'utf8')) as {
  body_length: number;
  cases: Record<string, { gzipped: boolean }>;
};
const rawFixture = JSON.parse(readFileSync(join(FIXTURES, 'http-raw-body-uwsgi-2.0.21.json'), 'utf8')) as {
  chunked: { vars_absent: string[]; HTTP_TRANSFER_ENCODING: string };
};

function routerPort(server: RunningServer): number {
  const m = server.log().match(/uWSGI http bound on \S*:(\d+) fd/);
  if (!m) throw new Error(`no router address in the log:\n${server.log()}`);
  return Number(m[1]);
}

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

function request(
  port: number,
  path: string,
  headers: http.OutgoingHttpHeaders = {},
  body?: (req: http.ClientRequest) => void,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path, method: body ? 'POST' : 'GET', headers, agent: false },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }),
        );
      },
    );
    req.on('error', reject);
    req.setTimeout(15_000, () => req.destroy(new Error('timeout')));
    if (body) body(req);
    else req.end();
  });
}

interface Packet {
  vars: Record<string, string>;
  body: Buffer;
}

/**
 * A uwsgi backend that reads one packet, and its body until a chunked body's last chunk (or
 * CONTENT_LENGTH bytes), then answers with the body's sha256 and closes.
 */
function uwsgiBackend(): Promise<{ port: number; packets: Packet[]; close: () => void }> {
  const packets: Packet[] = [];
  const server = net.createServer((socket) => {
    let buf = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length < 4) return;
      const size = buf.readUInt16LE(1);
      if (buf.length < 4 + size) return;
      const vars: Record<string, string> = {};
      let at = 4;
      while (at < 4 + size) {
        const kl = buf.readUInt16LE(at);
        const k = buf.toString('latin1', at + 2, at + 2 + kl);
        at += 2 + kl;
        const vl = buf.readUInt16LE(at);
        vars[k] = buf.toString('latin1', at + 2, at + 2 + vl);
        at += 2 + vl;
      }
      const body = buf.subarray(4 + size);
      const length = Number(vars['CONTENT_LENGTH'] ?? 0);
      const done = vars['HTTP_TRANSFER_ENCODING']
        ? body.subarray(-5).toString('latin1') === '0\r\n\r\n'
        : body.length >= length;
      if (!done) return;
      socket.removeAllListeners('data');
      packets.push({ vars, body });
      const text = createHash('sha256').update(body).digest('hex');
      socket.end(
        `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${text.length}\r\n\r\n${text}`,
      );
    });
    socket.on('error', () => socket.destroy());
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ port: (server.address() as net.AddressInfo).port, packets, close: () => server.close() }),
    ),
  );
}

/** A chunked body back to its bytes (the test's own decoder: sizes in hex, CRLFs). */
function dechunk(raw: Buffer): Buffer {
  const out: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = raw.indexOf('\r\n', at, 'latin1');
    const size = Number.parseInt(raw.toString('latin1', at, eol), 16);
    if (size === 0) return Buffer.concat(out);
    out.push(raw.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
}

describe('http-auto-gzip', { timeout: 60_000 }, () => {
  let server: RunningServer;
  let port: number;
  before(async () => {
    server = await startServer(['--http', '127.0.0.1:0', '--http-auto-gzip', '--app', GZIP_APP, '--master']);
    port = routerPort(server);
  });
  after(() => server.close());

  const expected = 'hello world '.repeat(50) + 'x'.repeat(500);
  const cases: Array<[string, string, http.OutgoingHttpHeaders]> = [
    ['/plain accept gzip', '/plain', { 'Accept-Encoding': 'gzip' }],
    ['/gz accept gzip', '/gz', { 'Accept-Encoding': 'gzip, deflate' }],
    ['/gz/len accept gzip', '/gz/len', { 'Accept-Encoding': 'gzip' }],
    ['/gz no accept-encoding', '/gz', {}],
  ];
  for (const [name, path, headers] of cases) {
    it(`${name}: gzipped as uWSGI 2.0.21 does (${gzipFixture.cases[name]?.gzipped})`, async () => {
      const r = await request(port, path, headers);
      assert.equal(r.status, 200);
      const gzipped = r.headers['content-encoding'] === 'gzip';
      assert.equal(gzipped, gzipFixture.cases[name]?.gzipped);
      const body = gzipped ? gunzipSync(r.body) : r.body;
      assert.equal(body.length, gzipFixture.body_length);
      assert.equal(body.toString(), expected);
      if (gzipped) assert.ok(r.body.length < 200, `compressed to ${r.body.length} bytes`);
    });
  }

  it('an answer with its own Content-Encoding is left alone (uWSGI adds a second one: README)', async () => {
    const r = await request(port, '/gz/ce', { 'Accept-Encoding': 'gzip' });
    assert.equal(r.headers['content-encoding'], 'identity');
    assert.equal(r.body.toString(), expected);
  });

  it('q=0 refuses gzip', async () => {
    const r = await request(port, '/gz', { 'Accept-Encoding': 'gzip;q=0' });
    assert.equal(r.headers['content-encoding'], undefined);
  });
});

describe('http-raw-body and http-fallback (uwsgi backends)', { timeout: 60_000 }, () => {
  let backend: Awaited<ReturnType<typeof uwsgiBackend>>;
  let server: RunningServer;
  let deadPort: number;
  let port: number;
  before(async () => {
    backend = await uwsgiBackend();
    const dead = net.createServer();
    await new Promise<void>((ok) => dead.listen(0, '127.0.0.1', () => ok()));
    deadPort = (dead.address() as net.AddressInfo).port;
    await new Promise<void>((ok) => dead.close(() => ok()));
    server = await startServer([
      '--http',
      '127.0.0.1:0',
      '--http-to',
      `127.0.0.1:${deadPort}`,
      '--http-fallback',
      `127.0.0.1:${backend.port}`,
      '--http-raw-body',
      '--http-connect-timeout',
      '5',
      '--app',
      GZIP_APP,
      '--master',
    ]);
    port = routerPort(server);
  });
  after(async () => {
    await server?.close();
    backend?.close();
  });

  it('a dead http-to node falls back to http-fallback, logged', async () => {
    const r = await request(port, '/fallback');
    assert.equal(r.status, 200);
    await server.waitFor(new RegExp(`unable to connect\\(\\) to node "127\\.0\\.0\\.1:${deadPort}"`), 5000);
    assert.equal(backend.packets.at(-1)?.vars['PATH_INFO'], '/fallback');
  });

  it('a chunked body is passed in its framing, with no CONTENT_LENGTH (uWSGI 2.0.21)', async () => {
    const parts = [randomBytes(1000), randomBytes(70_000), randomBytes(5)];
    const all = Buffer.concat(parts);
    const r = await request(port, '/raw', { 'Transfer-Encoding': 'chunked' }, (req) => {
      for (const p of parts) req.write(p);
      req.end();
    });
    assert.equal(r.status, 200);
    const got = backend.packets.at(-1);
    assert.ok(got);
    for (const absent of rawFixture.chunked.vars_absent) assert.equal(got.vars[absent], undefined, absent);
    assert.equal(got.vars['HTTP_TRANSFER_ENCODING'], rawFixture.chunked.HTTP_TRANSFER_ENCODING);
    assert.ok(got.body.subarray(-5).equals(Buffer.from('0\r\n\r\n')));
    assert.ok(dechunk(got.body).equals(all));
  });

  it('a body with a length is passed as before', async () => {
    const body = randomBytes(30_000);
    const r = await request(port, '/len', { 'Content-Length': body.length }, (req) => req.end(body));
    assert.equal(r.status, 200);
    assert.equal(r.body.toString(), createHash('sha256').update(body).digest('hex'));
    assert.equal(backend.packets.at(-1)?.vars['CONTENT_LENGTH'], String(body.length));
  });
});
