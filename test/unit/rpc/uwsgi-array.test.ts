// The uwsgi array codec (reference §1.3): round trips, uWSGI's quirks (empty items skipped, items
// past 255 ignored), both error kinds at every truncation point, and the arrays of the recorded
// uWSGI 2.0.21 exchanges (test/fixtures/rpc, scripts/record-uwsgi-rpc.mjs).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import {
  decodeUwsgiArray,
  encodeUwsgiArray,
  UWSGI_ARRAY_MAX_ITEMS,
  uwsgiArrayErrorLine,
  uwsgiArraySize,
} from '../../../src/protocol/uwsgi-array.js';

interface Recorded {
  server: Array<{ case: string; request: string; log: string[] }>;
  clientSends: Array<{ case: string; sent: string }>;
}
const recorded = JSON.parse(
  readFileSync(new URL('../../fixtures/rpc/uwsgi-2.0.21-rpc.json', import.meta.url), 'utf8'),
) as Recorded;

const b = (s: string) => Buffer.from(s, 'latin1');
const texts = (items: Buffer[]) => items.map((i) => i.toString('latin1'));
function decodeText(payload: Buffer) {
  const r = decodeUwsgiArray(payload);
  return r.ok ? texts(r.items) : r.error;
}

test('encode then decode gives the items back', () => {
  const items = [b('hello'), b('a'), Buffer.alloc(300, 7), b('\u00ff\u0000x')];
  const encoded = encodeUwsgiArray(items);
  assert.equal(encoded.length, uwsgiArraySize(items));
  assert.equal(encoded.subarray(0, 7).toString('hex'), '050068656c6c6f');
  assert.deepEqual(decodeText(encoded), texts(items));
});

test('encoding an item of 65536 bytes is a RangeError; 65535 is fine', () => {
  assert.equal(encodeUwsgiArray([Buffer.alloc(0xffff)]).length, 0x10001);
  assert.throws(() => encodeUwsgiArray([Buffer.alloc(0x10000)]), RangeError);
});

test('zero-length items are skipped, except as the last one (uWSGI 2.0.21)', () => {
  assert.deepEqual(decodeText(Buffer.from('0000050068656c6c6f', 'hex')), ['hello']);
  assert.deepEqual(decodeText(Buffer.from('0100610000010062', 'hex')), ['a', 'b']);
  assert.equal(decodeText(Buffer.from('01006100', 'hex')), 'request');
  assert.equal(decodeText(Buffer.from('0100610000', 'hex')), 'request');
  assert.deepEqual(decodeText(Buffer.alloc(0)), []);
});

test('at most 255 items; the bytes after them are not looked at', () => {
  const items = Array.from({ length: 300 }, (_, i) => b(String(i)));
  const r = decodeUwsgiArray(
    Buffer.concat([encodeUwsgiArray(items.slice(0, 255)), Buffer.from('0900ab', 'hex')]),
  );
  assert.ok(r.ok);
  assert.equal(r.items.length, UWSGI_ARRAY_MAX_ITEMS);
  assert.equal(r.items.at(-1)?.toString(), '254');
  const three = decodeUwsgiArray(encodeUwsgiArray(items), 3);
  assert.deepEqual(three.ok && texts(three.items), ['0', '1', '2']);
});

test('every truncation of a valid array is an error or a shorter valid prefix', () => {
  const whole = encodeUwsgiArray([b('hello'), b('ab'), b('c')]);
  // cut points that end exactly after an item are valid; the others are one of the two errors
  const itemEnds = new Set([7, 11, 14]);
  for (let cut = 1; cut < whole.length; cut++) {
    const r = decodeUwsgiArray(whole.subarray(0, cut));
    if (itemEnds.has(cut)) assert.ok(r.ok, `cut ${cut}`);
    else {
      assert.equal(r.ok, false, `cut ${cut}`);
      // a length prefix with nothing (or one byte) after it, or an item cut short
      const expected =
        cut === 1 || cut === 2 || cut === 8 || cut === 9 || cut === 12 || cut === 13 ? 'request' : 'var';
      assert.equal(!r.ok && r.error, expected, `cut ${cut}`);
    }
  }
});

test('the error lines are uWSGI 2.0.21 own', () => {
  const overrun = recorded.server.find((c) => c.case === 'item overruns the payload');
  const prefix = recorded.server.find((c) => c.case === 'length prefix ends the payload');
  assert.equal(overrun?.log[0], uwsgiArrayErrorLine('var'));
  assert.equal(prefix?.log[0], uwsgiArrayErrorLine('request'));
  const cut = Buffer.from(overrun?.request ?? '', 'hex');
  assert.equal(decodeText(cut.subarray(4, 4 + cut.readUInt16LE(1))), 'var');
  const ends = Buffer.from(prefix?.request ?? '', 'hex');
  assert.equal(decodeText(ends.subarray(4)), 'request');
});

test('the arrays uWSGI client sent decode to the call it made', () => {
  const sent = Object.fromEntries(recorded.clientSends.map((c) => [c.case, Buffer.from(c.sent, 'hex')]));
  assert.deepEqual(decodeText(sent['two args']?.subarray(4) ?? Buffer.alloc(0)), ['hello', 'x', 'yy']);
  assert.deepEqual(decodeText(sent['no args']?.subarray(4) ?? Buffer.alloc(0)), ['count']);
  // uWSGI's client sends an empty argument; its own receiver then drops it
  assert.equal(
    sent['an empty arg is sent']?.subarray(4).toString('hex'),
    encodeUwsgiArray([b('count'), b('a'), b(''), b('b')]).toString('hex'),
  );
  assert.deepEqual(decodeText(sent['an empty arg is sent']?.subarray(4) ?? Buffer.alloc(0)), [
    'count',
    'a',
    'b',
  ]);
});
