// post-buffering on a uwsgi socket: the app sees the request only once the whole body has
// arrived (spooled to a temp file above the threshold), gets it intact, and the spool is removed.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
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
    '--post-buffering',
    '1024',
    '--app',
    'test/fixtures/apps/echo.mjs',
  ]);
});
after(() => server.close());

const spools = () => readdirSync(tmpdir()).filter((n) => n.startsWith('uwsgi-ts-body-')).length;

function uwsgiHead(body: Buffer): Buffer {
  const vars = encodeUwsgiVars([
    ['REQUEST_METHOD', 'POST'],
    ['REQUEST_URI', '/upload'],
    ['PATH_INFO', '/upload'],
    ['QUERY_STRING', ''],
    ['SERVER_PROTOCOL', 'HTTP/1.1'],
    ['REMOTE_ADDR', '127.0.0.1'],
    ['CONTENT_TYPE', 'application/octet-stream'],
    ['CONTENT_LENGTH', String(body.length)],
    ['HTTP_HOST', 'localhost'],
  ]);
  return encodeUwsgiPacket(0, 0, vars);
}

test('a body above post-buffering reaches the app only when complete, intact, and the spool is removed', {
  timeout: 15_000,
}, async () => {
  const body = randomBytes(300_000);
  const before = spools();
  const socket = net.connect(server.port, '127.0.0.1');
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.write(uwsgiHead(body));
  socket.write(body.subarray(0, 150_000));
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal(Buffer.concat(chunks).length, 0, 'no response before the body is complete');
  assert.doesNotMatch(server.log(), /POST \/upload =>/, 'the app has not been called yet');
  socket.write(body.subarray(150_000));
  await closed;
  const response = Buffer.concat(chunks).toString('latin1');
  assert.match(response, /^HTTP\/1\.1 200 /);
  const json = JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4)) as {
    sha256: string;
    length: number;
  };
  assert.equal(json.length, body.length);
  assert.equal(json.sha256, createHash('sha256').update(body).digest('hex'));
  // the spool is removed when its reader ends, just after the app has read the last byte
  for (let i = 0; i < 40 && spools() !== before; i++) await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(spools(), before, 'the temp file is gone');
});
