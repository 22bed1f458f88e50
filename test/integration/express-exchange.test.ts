// An Express 5 app on uwsgi-ts (issue 12): Express swaps the prototype of the request and the
// response, so the response routing and the request log's byte count hang on the exchange, not
// on methods an app can replace: an `addheader` response route adds its header, and the request
// log counts the body bytes Express sent, on an HTTP socket and on a uwsgi one.
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
    '--response-route-status',
    '200 addheader:X-Response-Route: yes',
    '--app',
    'test/fixtures/apps/express-hello.mjs',
  ]);
});
after(() => server.close());

function httpGet(path: string): Promise<{ headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    request(`http://127.0.0.1:${server.ports[0]}${path}`, (res) => {
      let body = '';
      res.setEncoding('latin1');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => resolve({ headers: res.headers, body }));
    })
      .on('error', reject)
      .end();
  });
}

function uwsgiGet(path: string): Promise<string> {
  const packet = encodeUwsgiPacket(
    0,
    0,
    encodeUwsgiVars([
      ['REQUEST_METHOD', 'GET'],
      ['REQUEST_URI', path],
      ['PATH_INFO', path],
      ['SERVER_PROTOCOL', 'HTTP/1.1'],
      ['REMOTE_ADDR', '10.1.2.3'],
      ['HTTP_HOST', 'localhost'],
    ]),
  );
  return new Promise((resolve, reject) => {
    const socket = net.connect(server.ports[1] ?? 0, '127.0.0.1');
    let text = '';
    socket.on('data', (c: Buffer) => {
      text += c.toString('latin1');
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(text));
    socket.write(packet);
  });
}

test('HTTP: the response route adds its header; the log counts the bytes Express sent', async () => {
  const { headers, body } = await httpGet('/hello');
  assert.equal(body, 'Hello from Express');
  assert.equal(headers['x-response-route'], 'yes');
  assert.equal(headers['x-powered-by'], 'Express');
  await server.waitFor(/GET \/hello => generated 18 bytes in \d+ msecs \(HTTP\/1\.1 200\)/);
});

test('HTTP: a body written in two parts is counted whole', async () => {
  const { headers, body } = await httpGet('/stream');
  assert.equal(body, 'part one, part two');
  assert.equal(headers['x-response-route'], 'yes');
  await server.waitFor(/GET \/stream => generated 18 bytes in \d+ msecs \(HTTP\/1\.1 200\)/);
});

test('uwsgi: the same, through the exchange', async () => {
  const text = await uwsgiGet('/hello');
  assert.match(text, /^HTTP\/1\.1 200 OK\r\n/);
  assert.match(text, /\r\nX-Response-Route: yes\r\n/i);
  assert.match(text, /\r\n\r\nHello from Express$/);
  await server.waitFor(
    /10\.1\.2\.3 \(\) \{\d+ vars in \d+ bytes\} \[[^\]]+\] GET \/hello => generated 18 bytes/,
  );
});

test('req.env and req.vars reach an Express app through its prototype swap (HTTP and uwsgi)', async () => {
  const overHttp = JSON.parse((await httpGet('/env')).body) as Record<string, string>;
  assert.deepEqual(overHttp, { method: 'GET', remote: '127.0.0.1', uri: '/env' });
  const text = await uwsgiGet('/env');
  const overUwsgi = JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) as Record<string, string>;
  assert.deepEqual(overUwsgi, { method: 'GET', remote: '10.1.2.3', uri: '/env' });
});
