// socket-timeout on a uwsgi socket: a peer that stops in the middle of its request is dropped
// after the timeout with one log line, and the worker serves the next request.
import assert from 'node:assert/strict';
import { once } from 'node:events';
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
    '--socket',
    '127.0.0.1:0',
    '--socket-timeout',
    '1',
    '--app',
    'test/fixtures/apps/hello.mjs',
  ]);
});
after(() => server.close());

function request(): Buffer {
  const vars = encodeUwsgiVars([
    ['REQUEST_METHOD', 'GET'],
    ['REQUEST_URI', '/'],
    ['PATH_INFO', '/'],
    ['SERVER_PROTOCOL', 'HTTP/1.1'],
    ['REMOTE_ADDR', '127.0.0.1'],
  ]);
  return encodeUwsgiPacket(0, 0, vars);
}

test('a stalled uwsgi request is dropped after socket-timeout, and the worker lives on', {
  timeout: 15_000,
}, async () => {
  const stalled = net.connect(server.port, '127.0.0.1');
  await once(stalled, 'connect');
  const started = Date.now();
  stalled.write(request().subarray(0, 10));
  stalled.resume();
  await once(stalled, 'close');
  const waited = Date.now() - started;
  assert.ok(waited >= 900 && waited < 5000, `closed after ${waited} ms`);
  await server.waitFor(/timed out after 1 s \(socket-timeout\) \[ERR_PROTOCOL_TRUNCATED\]/);

  const ok = net.connect(server.port, '127.0.0.1');
  const chunks: Buffer[] = [];
  ok.on('data', (c: Buffer) => chunks.push(c));
  ok.write(request());
  await once(ok, 'close');
  assert.match(Buffer.concat(chunks).toString('latin1'), /^HTTP\/1\.1 200 [\s\S]*Hello World$/);
});
