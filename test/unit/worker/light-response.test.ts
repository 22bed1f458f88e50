// The light Response (src/worker/light-response.ts): keeps a string/bytes/empty body and its init
// until something reads it, then behaves as undici's own; instanceof and static members hold.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { installLightResponse, lightParts, OriginalResponse } from '../../../src/worker/light-response.js';

installLightResponse();

test('a string body and a plain init stay light until read, then the real one answers', async () => {
  const r = new Response('hi', { status: 201, headers: { 'x-a': '1' } });
  assert.ok(r instanceof Response);
  assert.ok(r instanceof OriginalResponse);
  assert.deepEqual(lightParts(r), { status: 201, statusText: '', headers: { 'x-a': '1' }, body: 'hi' });
  assert.equal(r.headers.get('x-a'), '1');
  assert.equal(await r.text(), 'hi');
  assert.equal(lightParts(r), undefined);
});

test('a stream body or an init undici refuses builds the real one at once', () => {
  const stream = new Response(new ReadableStream());
  assert.equal(lightParts(stream), undefined);
  assert.throws(() => new Response('x', { status: 204 }), TypeError);
  assert.throws(() => new Response('x', { status: 99 }), RangeError);
});

test('real responses and subclasses keep instanceof; static members are undici`s', async () => {
  const json = Response.json({ a: 1 });
  assert.ok(json instanceof Response);
  assert.equal(await json.text(), '{"a":1}');
  class Sub extends Response {}
  const sub = new Sub('x');
  assert.ok(sub instanceof Sub);
  assert.ok(sub instanceof Response);
  assert.equal(new Response('y') instanceof Sub, false);
});
