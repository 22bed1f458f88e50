// Connections bounded as uWSGI 2.0.21 bounds them (issue 12): one request per uwsgi/SCGI
// connection and per FastCGI one without KEEP_CONN, an empty uwsgi packet skipped, bytes behind a
// request never costing its answer, an unread body drained without an error line, and a stalled
// head or body dropped at socket-timeout on every socket type, with a log line that names the
// protocol and the peer. Each case was first run against uWSGI 2.0.21 (the expectations say what it did).
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { encodeFastCgiRequest } from '../../src/protocol/fastcgi.js';
import { encodeScgiRequest } from '../../src/protocol/scgi.js';
import { encodeUwsgiPacket, encodeUwsgiVars } from '../../src/protocol/uwsgi.js';
import { type RunningServer, startServer } from '../helpers/server.js';

type Protocol = 'http' | 'uwsgi' | 'scgi' | 'fastcgi';
const FLAGS: Readonly<Record<Protocol, string>> = {
  uwsgi: '--socket',
  scgi: '--scgi-socket',
  fastcgi: '--fastcgi-socket',
  http: '--http-socket',
};
const PROTOCOLS = Object.keys(FLAGS) as Protocol[];
/** The name each protocol has in our log lines. */
const LOG_NAMES: Readonly<Record<Protocol, string>> = {
  uwsgi: 'uwsgi',
  scgi: 'scgi',
  fastcgi: 'FastCGI',
  http: 'HTTP',
};

interface Reply {
  readonly bytes: Buffer;
  readonly error: string | undefined;
  readonly ms: number;
}

/** Connects, writes each piece, reads until the server closes (or `limitMs`). */
function exchange(port: number, pieces: readonly (Buffer | string)[], limitMs = 8000): Promise<Reply> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let error: string | undefined;
    let started = 0;
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', (e: NodeJS.ErrnoException) => {
      error = e.code;
    });
    const timer = setTimeout(() => socket.destroy(), limitMs);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ bytes: Buffer.concat(chunks), error, ms: Date.now() - started });
    });
    socket.on('connect', () => {
      started = Date.now();
      for (const p of pieces) socket.write(p);
    });
  });
}

const vars = (path: string, method = 'GET', length = 0): [string, string][] => [
  ['REQUEST_METHOD', method],
  ['REQUEST_URI', path],
  ['PATH_INFO', path],
  ['QUERY_STRING', ''],
  ['SERVER_PROTOCOL', 'HTTP/1.1'],
  ['SERVER_NAME', 'test'],
  ['SERVER_PORT', '80'],
  ['REMOTE_ADDR', '127.0.0.1'],
  ['CONTENT_LENGTH', String(length)],
];
const uwsgi = (path: string, method = 'GET', length = 0): Buffer =>
  encodeUwsgiPacket(0, 0, encodeUwsgiVars(vars(path, method, length)));
const scgi = (path: string, method = 'GET', length = 0): Buffer =>
  encodeScgiRequest(
    [['CONTENT_LENGTH', String(length)], ['SCGI', '1'], ...vars(path, method, length)],
    Buffer.alloc(0),
  );
/** A FastCGI request's records up to its params' end: the body records are the caller's. */
const fastcgiHead = (path: string, method = 'GET', length = 0): Buffer => {
  const whole = encodeFastCgiRequest(1, vars(path, method, length), Buffer.alloc(0), false);
  return whole.subarray(0, whole.length - 8);
};

/** A request of each protocol whose body (Content-Length 1000) stops after 3 bytes. */
const STALLED_BODY: Readonly<Record<Protocol, () => Buffer>> = {
  uwsgi: () => Buffer.concat([uwsgi('/echo', 'POST', 1000), Buffer.from('abc')]),
  scgi: () => Buffer.concat([scgi('/echo', 'POST', 1000), Buffer.from('abc')]),
  fastcgi: () =>
    Buffer.concat([
      fastcgiHead('/echo', 'POST', 1000),
      Buffer.from([1, 5, 0, 1, 0, 3, 0, 0]),
      Buffer.from('abc'),
    ]),
  http: () => Buffer.from('POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nabc'),
};
/** The first bytes of a request of each protocol, and nothing more. */
const STALLED_HEAD: Readonly<Record<Protocol, () => Buffer>> = {
  uwsgi: () => uwsgi('/').subarray(0, 10),
  scgi: () => scgi('/').subarray(0, 10),
  fastcgi: () => fastcgiHead('/').subarray(0, 20),
  http: () => Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n'),
};

const TIMEOUT_S = 2;

describe('connection bounds, socket-timeout 2', () => {
  let server: RunningServer;
  const port = (p: Protocol): number => server.ports[PROTOCOLS.indexOf(p)] ?? 0;
  const calls = async (): Promise<number> => {
    const reply = await exchange(port('uwsgi'), [uwsgi('/calls')]);
    return Number(reply.bytes.toString('latin1').split('\r\n\r\n')[1]);
  };

  before(async () => {
    const args = ['--master', '--processes', '1', '--socket-timeout', String(TIMEOUT_S)];
    for (const p of PROTOCOLS) args.push(FLAGS[p], '127.0.0.1:0');
    server = await startServer([...args, '--app', 'test/fixtures/apps/bounds.mjs']);
    assert.equal(server.ports.length, 4);
  });
  after(() => server.close());

  it('64 KB of zeros on a uwsgi socket calls the app at most once (uWSGI: once "Empty request. skip.")', {
    timeout: 15_000,
  }, async () => {
    const before = await calls();
    const mark = server.log().length;
    const reply = await exchange(port('uwsgi'), [Buffer.alloc(65536)]);
    assert.equal(reply.bytes.length, 0);
    assert.ok((await calls()) - before <= 1);
    const lines = server.log().slice(mark).split('\n');
    assert.equal(lines.filter((l) => l.includes('empty uwsgi request from 127.0.0.1 skipped')).length, 1);
    assert.ok(lines.length < 10, `log volume: ${lines.length} lines`);
  });

  it('a valid uwsgi request followed by 70 KB of junk gets its whole answer', async () => {
    const reply = await exchange(port('uwsgi'), [Buffer.concat([uwsgi('/a'), Buffer.alloc(70_000, 0x41)])]);
    assert.match(reply.bytes.toString('latin1'), /^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\ncall \d+ \/a$/);
    assert.equal(reply.error, undefined);
  });

  // HTTP is not among them: a FIN before the answer is read there as the client leaving (the
  // request is aborted and logged 499, log-ioerror counts it), as on a uwsgi socket while the app works
  it('a peer that half-closes right after its request is answered (uwsgi, SCGI, FastCGI)', async () => {
    const whole: Readonly<Record<'uwsgi' | 'scgi' | 'fastcgi', Buffer>> = {
      uwsgi: uwsgi('/half'),
      scgi: scgi('/half'),
      fastcgi: encodeFastCgiRequest(1, vars('/half'), Buffer.alloc(0), false),
    };
    for (const p of ['uwsgi', 'scgi', 'fastcgi'] as const) {
      const reply = await new Promise<string>((resolve) => {
        const socket = net.connect(port(p), '127.0.0.1');
        const chunks: Buffer[] = [];
        socket.on('data', (c: Buffer) => chunks.push(c));
        socket.on('error', () => {});
        socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
        socket.on('connect', () => socket.end(whole[p]));
      });
      assert.match(reply, /call \d+ \/half/, `${p}: ${JSON.stringify(reply.slice(0, 80))}`);
    }
  });

  it('three SCGI requests in one write get one answer, framed with Status:', async () => {
    const reply = await exchange(port('scgi'), [Buffer.concat([scgi('/1'), scgi('/2'), scgi('/3')])]);
    const text = reply.bytes.toString('latin1');
    assert.match(text, /^Status: 200 OK\r\n[\s\S]*\r\n\r\ncall \d+ \/1$/);
    assert.equal(text.match(/call/g)?.length, 1);
  });

  it('two FastCGI requests without KEEP_CONN in one write get one answer', async () => {
    const one = (id: number, path: string) => encodeFastCgiRequest(id, vars(path), Buffer.alloc(0), false);
    const reply = await exchange(port('fastcgi'), [Buffer.concat([one(1, '/1'), one(2, '/2')])]);
    const text = reply.bytes.toString('latin1');
    assert.match(text, /Status: 200 OK\r\n/);
    assert.equal(text.match(/call \d+ \/\d/g)?.length, 1);
    assert.doesNotMatch(text, /\/2/);
  });

  it('answers the pipelined and junk-followed cases as uWSGI 2.0.21 did (recorded)', async () => {
    const recorded = JSON.parse(
      readFileSync(new URL('../fixtures/protocol/uwsgi-2.0.21-hostile.json', import.meta.url), 'utf8'),
    ) as { cases: Record<string, { answer: string }> };
    const shape = (text: string) => [text.split('\r\n')[0], text.match(/call \d+ \/\w+/g)?.length ?? 0];
    const one = (id: number, path: string) => encodeFastCgiRequest(id, vars(path), Buffer.alloc(0), false);
    const ours: Record<string, Promise<Reply>> = {
      'valid + 70KB junk uwsgi': exchange(port('uwsgi'), [
        Buffer.concat([uwsgi('/a'), Buffer.alloc(70_000, 0x41)]),
      ]),
      'two uwsgi reqs': exchange(port('uwsgi'), [Buffer.concat([uwsgi('/a'), uwsgi('/b')])]),
      '3 scgi reqs': exchange(port('scgi'), [Buffer.concat([scgi('/1'), scgi('/2'), scgi('/3')])]),
    };
    for (const [name, reply] of Object.entries(ours)) {
      const theirs = recorded.cases[name]?.answer ?? '';
      assert.deepEqual(shape((await reply).bytes.toString('latin1')), shape(theirs), name);
    }
    // FastCGI: one STDOUT answer for the first request only, as uWSGI's
    const fcgi = (await exchange(port('fastcgi'), [Buffer.concat([one(1, '/1'), one(2, '/2')])])).bytes;
    assert.equal(
      fcgi.toString('latin1').match(/call \d+ \/\d/g)?.length,
      recorded.cases['2 fcgi reqs no keep']?.answer.match(/call \d+ \/\d/g)?.length,
    );
  });

  for (const protocol of PROTOCOLS) {
    it(`a stalled ${protocol} body is dropped within socket-timeout + 1 s, with one line naming it`, {
      timeout: 15_000,
    }, async () => {
      const reply = await exchange(port(protocol), [STALLED_BODY[protocol]()]);
      assert.ok(
        reply.ms >= TIMEOUT_S * 1000 - 100 && reply.ms <= TIMEOUT_S * 1000 + 1000,
        `closed after ${reply.ms} ms`,
      );
      assert.equal(reply.bytes.length, 0);
      await server.waitFor(
        new RegExp(
          `${LOG_NAMES[protocol]} request from 127\\.0\\.0\\.1 \\(body incomplete\\) timed out after ${TIMEOUT_S} s \\(socket-timeout\\) \\[ERR_PROTOCOL_TRUNCATED\\]`,
        ),
      );
    });

    it(`a stalled ${protocol} head is dropped within socket-timeout + 1 s, with one line naming it`, {
      timeout: 15_000,
    }, async () => {
      const reply = await exchange(port(protocol), [STALLED_HEAD[protocol]()]);
      assert.ok(
        reply.ms >= TIMEOUT_S * 1000 - 100 && reply.ms <= TIMEOUT_S * 1000 + 1000,
        `closed after ${reply.ms} ms`,
      );
      await server.waitFor(
        new RegExp(
          `${LOG_NAMES[protocol]} request from 127\\.0\\.0\\.1 \\(head incomplete\\) timed out after ${TIMEOUT_S} s`,
        ),
      );
    });
  }

  for (const protocol of ['http', 'uwsgi'] as const) {
    it(`a ${protocol} client that leaves in the middle of a response is not logged as a bad request`, {
      timeout: 10_000,
    }, async () => {
      const bytes =
        protocol === 'http' ? Buffer.from('GET /slow HTTP/1.1\r\nHost: x\r\n\r\n') : uwsgi('/slow');
      const socket = net.connect(port(protocol), '127.0.0.1');
      socket.on('error', () => {});
      socket.write(bytes);
      await once(socket, 'data');
      socket.destroy();
      await server.waitFor(/GET \/slow => generated \d+ bytes/);
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.doesNotMatch(server.log(), /bad HTTP request|EPIPE/);
    });
  }

  it('no app exception is logged for a body cut short or a client gone', () => {
    assert.doesNotMatch(server.log(), /exception in app/);
  });
});

describe('an unread body, default socket-timeout (4 s)', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer([
      '--master',
      '--processes',
      '1',
      '--socket',
      '127.0.0.1:0',
      '--app',
      'test/fixtures/apps/bounds.mjs',
    ]);
  });
  after(() => server.close());

  it('a 404 to an unread 1 MB uwsgi POST: answered, no error line, and a graceful stop is not delayed', {
    timeout: 20_000,
  }, async () => {
    const mark = server.log().length;
    const size = 1 << 20;
    const reply = await exchange(server.port, [uwsgi('/404', 'POST', size), Buffer.alloc(size, 0x42)]);
    assert.match(reply.bytes.toString('latin1'), /^HTTP\/1\.1 404 Not Found\r\n[\s\S]*\r\n\r\nnope$/);
    assert.equal(reply.error, undefined);
    await server.waitFor(/POST \/404 => generated 4 bytes in \d+ msecs \(HTTP\/1\.1 404\)/);
    const stopped = Date.now();
    process.kill(server.pid, 'SIGTERM');
    await once(server.proc, 'exit');
    const ms = Date.now() - stopped;
    assert.ok(ms < 3000, `graceful stop took ${ms} ms`);
    const after = server.log().slice(mark);
    assert.doesNotMatch(after, /timed out|refused|bad HTTP request|EPIPE|exception/);
  });
});
