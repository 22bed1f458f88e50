// A fetch app's streamed body goes out chunk by chunk as the app produces it (issue 12): the
// first server-sent event reaches the client within 50 ms of being enqueued, over HTTP and over
// the uwsgi protocol (the exchange path), though the second one comes a second later.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { encodeUwsgiPacket, encodeUwsgiVars } from '../../src/protocol/uwsgi.js';
import { type RunningServer, startServer } from '../helpers/server.js';

let server: RunningServer;
before(async () => {
  server = await startServer([
    '--master',
    '--processes',
    '1',
    '--http-socket',
    '127.0.0.1:0',
    '--socket',
    '127.0.0.1:0',
    '--app',
    'test/fixtures/apps/sse-fetch.mjs',
  ]);
});
after(() => server.close());

/** Resolves with the ms between the first event's enqueue time (its data) and its arrival. */
function firstEventDelay(text: () => string, resolve: (ms: number) => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    const m = /id: 1\ndata: (\d+)\n\n/.exec(text());
    if (!m) return;
    done = true;
    resolve(Date.now() - Number(m[1]));
  };
}

/**
 * The best of up to three streams: a held chunk (the bug this guards) delays every try by the
 * second event's second, while a loaded machine (two suites at once in CI) may delay one try
 * past 50 ms by scheduling alone.
 */
async function bestOfThree(delay: () => Promise<number>): Promise<number[]> {
  const seen: number[] = [];
  for (let i = 0; i < 3; i++) {
    seen.push(await delay());
    if ((seen.at(-1) as number) < 50) break;
  }
  return seen;
}

function httpDelay(): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    let text = '';
    const check = firstEventDelay(() => text, resolve);
    request(`http://127.0.0.1:${server.ports[0]}/events`, (res) => {
      assert.equal(res.headers['content-type'], 'text/event-stream');
      res.on('data', (c: Buffer) => {
        text += c.toString('latin1');
        check();
      });
      res.on('end', () => reject(new Error(`stream ended without event 1: ${text}`)));
    })
      .on('error', reject)
      .end();
  });
}

test('HTTP: the first event arrives within 50 ms of being enqueued', { timeout: 20_000 }, async () => {
  const delays = await bestOfThree(httpDelay);
  assert.ok(Math.min(...delays) < 50, `first event after ${delays.join(', ')} ms`);
});

async function uwsgiDelay(): Promise<number> {
  const packet = encodeUwsgiPacket(
    0,
    0,
    encodeUwsgiVars([
      ['REQUEST_METHOD', 'GET'],
      ['REQUEST_URI', '/events'],
      ['PATH_INFO', '/events'],
      ['SERVER_PROTOCOL', 'HTTP/1.1'],
      ['REMOTE_ADDR', '127.0.0.1'],
      ['HTTP_HOST', 'localhost'],
    ]),
  );
  const socket = net.connect(server.ports[1] ?? 0, '127.0.0.1');
  const delay = await new Promise<number>((resolve, reject) => {
    let text = '';
    const check = firstEventDelay(() => text, resolve);
    socket.on('data', (c: Buffer) => {
      text += c.toString('latin1');
      check();
    });
    socket.on('error', reject);
    socket.on('close', () => reject(new Error(`closed without event 1: ${text}`)));
    socket.write(packet);
  });
  socket.destroy();
  return delay;
}

test('uwsgi: the first event arrives within 50 ms of being enqueued', { timeout: 20_000 }, async () => {
  const delays = await bestOfThree(uwsgiDelay);
  assert.ok(Math.min(...delays) < 50, `first event after ${delays.join(', ')} ms`);
});
