// The worker <-> Python frames (src/python/python-frames.ts): every input split at every byte
// gives the same frames; request frames carry uWSGI's vars block (reference §1.2) with the mount
// applied and text PATH_INFO sent as its UTF-8 bytes; heads and call lists round-trip.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  decodeHead,
  decodeList,
  encodeFrame,
  encodeList,
  encodeRequestFrame,
  Frame,
  FrameReader,
} from '../../../src/python/python-frames.js';
import { rawPathInfo } from '../../../src/python/python-process.js';

function frames(chunks: readonly Buffer[]): Array<[number, string]> {
  const out: Array<[number, string]> = [];
  const reader = new FrameReader((kind, payload) => out.push([kind, payload.toString('latin1')]));
  for (const c of chunks) reader.push(c);
  return out;
}

test('frames come out whole whatever the chunking', () => {
  const stream = Buffer.concat([
    encodeFrame(Frame.Head, Buffer.from('200 OK\r\nContent-Type: text/plain')),
    encodeFrame(Frame.Data, Buffer.from('hello')),
    encodeFrame(Frame.Data, Buffer.alloc(0)),
    encodeFrame(Frame.Finished),
  ]);
  const whole = frames([stream]);
  assert.deepEqual(
    whole.map(([k]) => k),
    [Frame.Head, Frame.Data, Frame.Data, Frame.Finished],
  );
  for (let i = 0; i <= stream.length; i++) {
    assert.deepEqual(frames([stream.subarray(0, i), stream.subarray(i)]), whole, `split at ${i}`);
  }
  assert.deepEqual(frames([...stream].map((b) => Buffer.from([b]))), whole, 'one byte at a time');
});

test('a request frame is a uwsgi vars block; the mount sets SCRIPT_NAME and PATH_INFO', () => {
  const vars = new Map([
    ['REQUEST_METHOD', 'GET'],
    ['PATH_INFO', '/app1/x'],
    ['SCRIPT_NAME', ''],
  ]);
  const frame = encodeRequestFrame(vars, false, '/app1', '/x');
  assert.equal(frame[0], Frame.RequestNoBody);
  assert.equal(frame.readUInt32BE(1), frame.length - 5);
  const seen = new Map<string, string>();
  let p = 5;
  while (p < frame.length) {
    const kl = frame.readUInt16LE(p);
    const key = frame.toString('latin1', p + 2, p + 2 + kl);
    p += 2 + kl;
    const vl = frame.readUInt16LE(p);
    seen.set(key, frame.toString('latin1', p + 2, p + 2 + vl));
    p += 2 + vl;
  }
  assert.deepEqual(Object.fromEntries(seen), {
    REQUEST_METHOD: 'GET',
    PATH_INFO: '/x',
    SCRIPT_NAME: '/app1',
  });
  assert.equal(encodeRequestFrame(vars, true, undefined, undefined)[0], Frame.Request);
  // text beyond latin-1 goes as UTF-8 bytes
  const wide = encodeRequestFrame(new Map([['PATH_INFO', '/\u20ac']]), false, undefined, undefined);
  assert.ok(wide.includes(Buffer.from('/\u20ac', 'utf8')));
});

test('PATH_INFO for WSGI: the percent-decoded bytes, seen through latin-1', () => {
  assert.equal(rawPathInfo('/caf%C3%A9?x=1', '', '/caf\u00e9'), '/caf\u00c3\u00a9');
  assert.equal(rawPathInfo('/x%C3%A9', '/m', '/m/x\u00e9'), '/m/x\u00c3\u00a9');
  assert.equal(rawPathInfo('/plain', '', '/plain'), undefined, 'nothing to redo');
  assert.equal(rawPathInfo('/caf%C3%A9', '', '/rewritten'), undefined, 'routing changed it: kept');
});

test('heads and call lists', () => {
  assert.deepEqual(decodeHead(Buffer.from('404 Not Found\r\nA: 1\r\nB: x: y')), {
    status: 404,
    reason: 'Not Found',
    headers: ['A', '1', 'B', 'x: y'],
  });
  const items = [Buffer.from('cache_get'), Buffer.alloc(0), Buffer.from([0, 255, 10])];
  assert.deepEqual(decodeList(encodeList(items)), items);
});
