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

test('HTTP: the first event arrives within 50 ms of being enqueued', { timeout: 10_000 }, async () => {
  const delay = await new Promise<number>((resolve, reject) => {
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
  assert.ok(delay < 50, `first event after ${delay} ms`);
});

test('uwsgi: the first event arrives within 50 ms of being enqueued', { timeout: 10_000 }, async () => {
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
  assert.ok(delay < 50, `first event after ${delay} ms`);
});
