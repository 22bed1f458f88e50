// The Range header as 2.0.21 answers it (test/fixtures/static/recorded/range.json) and the two
// deliberate differences of README "Static files".
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { byteRange } from '../../../src/static/byte-range.js';

const partial = (start: number, end: number) => ({ kind: 'partial', start, end });
const UNSATISFIABLE = { kind: 'unsatisfiable' };
const WHOLE = { kind: 'whole' };

test('single ranges: first-last, open-ended, suffix, clamped to the file', () => {
  assert.deepEqual(byteRange('bytes=0-4', 13), partial(0, 4));
  assert.deepEqual(byteRange('bytes=6-', 13), partial(6, 12));
  assert.deepEqual(byteRange('bytes=-3', 13), partial(10, 12));
  assert.deepEqual(byteRange('bytes=5-100', 13), partial(5, 12));
  assert.deepEqual(byteRange('bytes=12-12', 13), partial(12, 12));
  assert.deepEqual(byteRange(' bytes = 1 - 2 ', 13), partial(1, 2));
});

test('several ranges: only the first is served, as 2.0.21', () => {
  assert.deepEqual(byteRange('bytes=0-1,3-4', 13), partial(0, 1));
});

test('unsatisfiable or malformed byte ranges: 416, as 2.0.21', () => {
  for (const header of [
    'bytes=13-',
    'bytes=20-30',
    'bytes=4-2',
    'bytes=abc',
    'bytes=-0',
    'bytes=',
    'bytes',
    'bytes=1-x',
    'bytes=-x',
  ]) {
    assert.deepEqual(byteRange(header, 13), UNSATISFIABLE, header);
  }
  assert.deepEqual(byteRange('bytes=0-0', 0), UNSATISFIABLE);
  assert.deepEqual(byteRange('bytes=-5', 0), UNSATISFIABLE);
});

test('differences: a suffix longer than the file is the whole file; another unit is ignored', () => {
  assert.deepEqual(byteRange('bytes=-100', 13), partial(0, 12));
  assert.deepEqual(byteRange('items=0-2', 13), WHOLE);
  assert.deepEqual(byteRange(undefined, 13), WHOLE);
});
