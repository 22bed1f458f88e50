// The uwsgi socket accepted and answered in C (native/conn.c, src/worker/native-bridge.ts): the
// requests it serves itself and those it hands over to the codec path (a body still on the wire,
// a peer quiet past the handover delay) answer as the codec path does, big answers to slow readers
// arrive whole, a client that goes is noticed by the app, a graceful stop waits for a request in
// flight, unix sockets too, and UWSGI_TS_NATIVE_CONN=0 gives the same bytes.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { encodeUwsgiPacket, encodeUwsgiVars } from '../../src/protocol/uwsgi.js';
import { type RunningServer, startServer } from '../helpers/server.js';

const APP = 'test/fixtures/apps/native-conn.mjs';

const request = (path: string, method = 'GET', length = 0): Buffer =>
  encodeUwsgiPacket(
    0,
    0,
    encodeUwsgiVars([
      ['REQUEST_METHOD', method],
      ['REQUEST_URI', path],
      ['PATH_INFO', path.split('?')[0] ?? path],
      ['QUERY_STRING', path.split('?')[1] ?? ''],
      ['SERVER_PROTOCOL', 'HTTP/1.1'],
      ['SERVER_NAME', 'test'],
      ['SERVER_PORT', '80'],
      ['REMOTE_ADDR', '127.0.0.1'],
      ['CONTENT_LENGTH', String(length)],
    ]),
  );

type Target = number | string;
const connect = (to: Target): net.Socket =>
  typeof to === 'number' ? net.connect(to, '127.0.0.1') : net.connect(to);

/** Writes the pieces (a number is a pause in ms), reads until the server closes. */
function talk(
  to: Target,
  pieces: readonly (Buffer | number)[],
  options: { pauseReadMs?: number } = {},
): Promise<{ bytes: Buffer; error: string | undefined }> {
  return new Promise((resolve) => {
    const socket = connect(to);
    const chunks: Buffer[] = [];
    let error: string | undefined;
    if (options.pauseReadMs) {
      socket.pause();
      setTimeout(() => socket.resume(), options.pauseReadMs);
    }
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', (e: NodeJS.ErrnoException) => {
      error = e.code;
    });
    const timer = setTimeout(() => socket.destroy(), 15_000);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ bytes: Buffer.concat(chunks), error });
    });
    socket.on('connect', async () => {
      for (const p of pieces) {
        if (typeof p === 'number') await sleep(p);
        else socket.write(p);
      }
    });
  });
}

const split = (bytes: Buffer): { head: string; body: Buffer } => {
  const at = bytes.indexOf('\r\n\r\n');
  return { head: bytes.subarray(0, at).toString('latin1'), body: bytes.subarray(at + 4) };
};

const pattern = (n: number): Buffer => {
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i++) out[i] = (i % 65536) % 251;
  return out;
};

describe('the native uwsgi accept path', () => {
  let server: RunningServer;
  let plain: RunningServer;
  let dir: string;
  const sockPath = () => join(dir, 'app.sock');

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'uwsgi-ts-native-'));
    const args = ['--master', '--processes', '2', '--socket-timeout', '3', '--app', APP];
    server = await startServer([
      '--socket',
      '127.0.0.1:0',
      '--socket',
      sockPath(),
      '--http-socket',
      '127.0.0.1:0',
      ...args,
    ]);
    plain = await startServer(['--socket', '127.0.0.1:0', ...args], { env: { UWSGI_TS_NATIVE_CONN: '0' } });
  });
  after(async () => {
    await server?.close();
    await plain?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers a request that came whole, on TCP and on a unix socket, as the codec path does', async () => {
    for (const to of [server.port, sockPath()]) {
      const reply = await talk(to, [request('/hello?x=1')]);
      assert.equal(reply.error, undefined);
      const { head, body } = split(reply.bytes);
      assert.match(head, /^HTTP\/1\.1 200 OK\r\n/);
      assert.equal(body.toString(), 'GET /hello');
    }
    const ours = await talk(server.port, [request('/same')]);
    const theirs = await talk(plain.port, [request('/same')]);
    const drop = (t: string) => t.replace(/^Date: .*\r\n/m, '');
    assert.equal(drop(ours.bytes.toString('latin1')), drop(theirs.bytes.toString('latin1')));
  });

  it('a body that follows its head later is handed over and echoed whole', async () => {
    const body = pattern(300_000);
    const reply = await talk(server.port, [request('/echo', 'POST', body.length), 150, body]);
    const { head, body: echoed } = split(reply.bytes);
    assert.match(head, new RegExp(`x-sha1: ${createHash('sha1').update(body).digest('hex')}`, 'i'));
    assert.equal(Buffer.compare(echoed, body), 0);
  });

  it('a head split by a pause longer than the handover delay is still answered', async () => {
    const whole = request('/late');
    const reply = await talk(server.port, [whole.subarray(0, 2), 700, whole.subarray(2)]);
    assert.equal(split(reply.bytes).body.toString(), 'GET /late');
    const quiet = await talk(server.port, [900, request('/quiet')]);
    assert.equal(split(quiet.bytes).body.toString(), 'GET /quiet');
  });

  it('an 8 MB answer to a reader that pauses arrives whole (held in C, drained in order)', async () => {
    const n = 8 * 1024 * 1024;
    const reply = await talk(server.port, [request(`/big?n=${n}`)], { pauseReadMs: 800 });
    const { head, body } = split(reply.bytes);
    assert.match(head, /content-length: 8388608/i);
    assert.equal(body.length, n);
    assert.equal(Buffer.compare(body, pattern(n)), 0);
  });

  it('a 6 MB write that ignores backpressure, then end(), reaches a pausing reader whole', async () => {
    const n = 6 * 1024 * 1024;
    const reply = await talk(server.port, [request(`/blast?n=${n}`)], { pauseReadMs: 800 });
    const { body } = split(reply.bytes);
    assert.equal(body.length, n);
    assert.equal(Buffer.compare(body, pattern(n)), 0);
  });

  it('a client that goes in the middle of a stream is noticed by the app; the worker serves on', async () => {
    const mark = server.log().length;
    const socket = connect(server.port);
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(request('/stream'));
    let got = '';
    socket.on('data', (c: Buffer) => {
      got += c.toString('latin1');
    });
    while (!got.includes('tick 2')) await sleep(20);
    socket.destroy();
    await server.waitFor(/stream closed after \d+ ticks \(finished: false\)/);
    assert.ok(server.log().slice(mark).includes('stream closed'));
    const next = await talk(server.port, [request('/after')]);
    assert.equal(split(next.bytes).body.toString(), 'GET /after');
  });

  it('a request whose client left before any answer is logged as 499, not 200 (uwsgi and HTTP)', async () => {
    // nginx closes its upstream connection when its client aborts (it never half-closes a uwsgi
    // one): the worker hears the close at once; an HTTP socket reads a FIN the same way
    const http = server.ports[1] ?? 0;
    for (const [to, tag, bytes] of [
      [server.port, 'uwsgi', request('/slow?uwsgi')],
      [http, 'http', Buffer.from('GET /slow?http HTTP/1.1\r\nHost: x\r\n\r\n')],
    ] as const) {
      const socket = connect(to);
      socket.on('error', () => {});
      socket.once('connect', () => socket.write(bytes));
      await sleep(150);
      socket.destroy();
      await server.waitFor(
        new RegExp(`GET /slow\\?${tag} => generated 0 bytes in \\d+ msecs \\(HTTP/1\\.1 499\\)`),
      );
    }
    await sleep(900);
    assert.doesNotMatch(server.log(), /\/slow\?(uwsgi|http) => .*\(HTTP\/1\.1 200\)/);
  });

  it('bytes behind a whole request never cost its answer', async () => {
    const reply = await talk(server.port, [Buffer.concat([request('/first'), Buffer.alloc(50_000, 0x41)])]);
    assert.equal(reply.error, undefined);
    assert.equal(split(reply.bytes).body.toString(), 'GET /first');
  });

  it('a graceful reload and a chain reload under uwsgi load lose no request', {
    timeout: 40_000,
  }, async () => {
    const fifo = join(dir, 'master.fifo');
    const own = await startServer([
      '--socket',
      '127.0.0.1:0',
      '--master',
      '--processes',
      '2',
      '--master-fifo',
      fifo,
      '--disable-logging',
      '--app',
      APP,
    ]);
    try {
      let ok = 0;
      const failures: string[] = [];
      let running = true;
      const client = async (n: number) => {
        for (let i = 0; running; i++) {
          const reply = await talk(own.port, [request(`/load/${n}/${i}`)]);
          if (split(reply.bytes).body.toString() === `GET /load/${n}/${i}`) ok++;
          else failures.push(`${reply.error ?? ''} ${reply.bytes.toString('latin1').slice(0, 60)}`);
        }
      };
      const clients = Array.from({ length: 8 }, (_, n) => client(n));
      await sleep(800);
      own.proc.kill('SIGHUP');
      await own.waitFor(/gracefully reloading workers/, 15_000);
      await sleep(1500);
      const { writeFileSync } = await import('node:fs');
      writeFileSync(fifo, 'c');
      await own.waitFor(/chain reload complete/, 20_000);
      await sleep(300);
      running = false;
      await Promise.all(clients);
      assert.deepEqual(failures, []);
      assert.ok(ok > 50, `only ${ok} answers`);
    } finally {
      await own.close();
    }
  });

  it('a graceful stop waits for a request in flight', { timeout: 20_000 }, async () => {
    const own = await startServer(['--socket', '127.0.0.1:0', '--master', '--processes', '1', '--app', APP]);
    try {
      const pending = talk(own.port, [request('/slow')]);
      await sleep(200);
      own.proc.kill('SIGTERM');
      const reply = await pending;
      assert.equal(split(reply.bytes).body.toString(), 'slow done');
      await own.waitFor(/goodbye to uWSGI/);
    } finally {
      await own.close();
    }
  });
});
