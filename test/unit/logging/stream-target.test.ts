// The stream loggers' connection handling over loopback sockets: hello first, lines kept until
// the handshake is done, a refused handshake retried, a bounded queue, one notice per outage.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { journalStreamProtocol } from '../../../src/logging/journald.js';
import { parseRedisLogArgs, redisLogProtocol } from '../../../src/logging/redis-log.js';
import { type StreamAddress, StreamTarget } from '../../../src/logging/stream-target.js';

/** A server recording what each connection sends; `answer` replies to each chunk. */
async function peer(
  t: TestContext,
  listen: { port: number } | { path: string },
  answer: (connection: number, chunk: Buffer) => string = () => '',
) {
  const connections: Buffer[] = [];
  const waiters: Array<() => void> = [];
  const server = net.createServer((socket) => {
    const n = connections.push(Buffer.alloc(0)) - 1;
    socket.on('data', (chunk: Buffer) => {
      connections[n] = Buffer.concat([connections[n] ?? Buffer.alloc(0), chunk]);
      const reply = answer(n, chunk);
      if (reply) socket.write(reply);
      for (const w of waiters.splice(0)) w();
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => {
    if ('path' in listen) server.listen(listen.path, resolve);
    else server.listen(listen.port, '127.0.0.1', resolve);
  });
  t.after(() => server.close());
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  /** Resolves once connection `n` has sent something that contains `text`. */
  const until = async (n: number, text: string) => {
    const deadline = Date.now() + 5000;
    while (!connections[n]?.toString().includes(text)) {
      if (Date.now() > deadline)
        throw new Error(`no "${text}" on connection ${n}: ${connections.map(String)}`);
      await new Promise<void>((resolve) => {
        waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  };
  return { connections, until, port, server };
}

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });

describe('stream loggers', () => {
  it('journald: the stream header, then one line per message (a newline added when missing)', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'uwsgi-ts-journal-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'stdout');
    const p = await peer(t, { path });
    const target = new StreamTarget({ path }, journalStreamProtocol(), { describe: 'j' });
    t.after(() => target.close());
    target.write('first line\n');
    target.write(Buffer.from('second'));
    await p.until(0, 'second\n');
    assert.equal(p.connections[0]?.toString(), 'uwsgi\n\n6\n0\n0\n0\n0\nfirst line\nsecond\n');
  });

  it('redis: a refused select is retried; queued lines go out once +OK comes; one notice each way', async (t) => {
    const p = await peer(t, { port: 0 }, (n, chunk) =>
      chunk.toString().includes('select')
        ? n === 0
          ? '-ERR DB index is out of range\r\n'
          : '+OK\r\n'
        : ':1\r\n',
    );
    const notices: string[] = [];
    const address: StreamAddress = { host: '127.0.0.1', port: p.port };
    const target = new StreamTarget(
      address,
      redisLogProtocol(parseRedisLogArgs(`127.0.0.1:${p.port}/9`, 'x')),
      {
        describe: 'redislog logger',
        retryMs: 20,
        notice: (line) => notices.push(line),
      },
    );
    t.after(() => target.close());
    target.write('kept while refused\n');
    await p.until(1, 'kept while refused');
    assert.equal(p.connections[0]?.toString(), '*2\r\n$6\r\nselect\r\n$1\r\n9\r\n');
    assert.equal(
      p.connections[1]?.toString(),
      '*2\r\n$6\r\nselect\r\n$1\r\n9\r\n*3\r\n$7\r\npublish\r\n$5\r\nuwsgi\r\n$18\r\nkept while refused\r\n',
    );
    assert.equal(notices.length, 2, notices.join('\n'));
    assert.match(
      notices[0] ?? '',
      /^redislog logger: redis answered "-ERR DB index is out of range"; retrying/,
    );
    assert.match(notices[1] ?? '', /^redislog logger: connected again$/);
  });

  it('a peer that is away: lines are kept up to the bound, the rest dropped and counted', async (t) => {
    const port = await freePort();
    const notices: string[] = [];
    const target = new StreamTarget({ host: '127.0.0.1', port }, journalStreamProtocol(), {
      describe: 'j',
      retryMs: 20,
      maxQueued: 11,
      notice: (line) => notices.push(line),
    });
    t.after(() => target.close());
    target.write('12345\n');
    target.write('abcd\n');
    target.write('dropped\n');
    // the connection is refused at least once before the peer appears
    while (notices.length === 0) await new Promise((r) => setTimeout(r, 10));
    assert.match(notices[0] ?? '', /ECONNREFUSED/);
    const p = await peer(t, { port });
    await p.until(0, 'abcd');
    assert.equal(p.connections[0]?.toString(), 'uwsgi\n\n6\n0\n0\n0\n0\n12345\nabcd\n');
    assert.match(notices.at(-1) ?? '', /connected again, 1 line was dropped$/);
  });

  it('close() sends what was written, then stops for good (no retry)', async (t) => {
    let connects = 0;
    const p = await peer(t, { port: 0 });
    p.server.on('connection', () => connects++);
    const target = new StreamTarget({ host: '127.0.0.1', port: p.port }, journalStreamProtocol(), {
      describe: 'j',
      retryMs: 10,
    });
    target.write('last words\n');
    await p.until(0, 'last words');
    target.close();
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(connects, 1);
  });
});
