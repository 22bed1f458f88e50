// The lazy Request given to fetch-style apps behaves as a Request: instanceof, url/method/headers
// without building the real one, and body/clone/signal through the real one on demand.
import assert from 'node:assert/strict';
import { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import { test } from 'node:test';
import { lazyRequest } from '../../../src/worker/lazy-request.js';

function nodeRequest(method: string, headers: string[], body?: string): IncomingMessage {
  const req = new IncomingMessage(new Socket());
  req.method = method;
  req.url = '/x?y=1';
  req.rawHeaders = headers;
  if (body !== undefined) req.push(body);
  req.push(null);
  return req;
}

test('a lazy Request is a Request with the url, method and headers of the Node request', () => {
  const request = lazyRequest(
    nodeRequest('GET', ['Host', 'example', 'X-A', '1', 'X-A', '2']),
    'http://example/x?y=1',
  );
  assert.ok(request instanceof Request);
  assert.equal(request.url, 'http://example/x?y=1');
  assert.equal(request.method, 'GET');
  assert.equal(request.headers.get('x-a'), '1, 2');
  assert.equal(new URL(request.url).searchParams.get('y'), '1');
  assert.equal(Object.prototype.toString.call(request), '[object Request]');
});

test('its body, bodyUsed and clone go through a real Request built on first use', async () => {
  const request = lazyRequest(
    nodeRequest('POST', ['Content-Type', 'application/json'], '{"a":1}'),
    'http://h/',
  );
  assert.equal(request.bodyUsed, false);
  assert.deepEqual(await request.json(), { a: 1 });
  assert.equal(request.bodyUsed, true);
  assert.ok(request.signal instanceof AbortSignal);
  const get = lazyRequest(nodeRequest('GET', []), 'http://h/');
  assert.equal(get.clone().url, 'http://h/');
  assert.equal(get.body, null);
});
