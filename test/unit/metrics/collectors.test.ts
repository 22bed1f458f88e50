// The custom collectors give uWSGI 2.0.21's values (test/fixtures/metrics/uwsgi-metric-api.json
// `collectors`): the file splitter and strtoll, and sum/avg/accumulator/multiplier over children.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { COLLECTORS, fileField, leadingInteger } from '../../../src/metrics/collectors.js';
import { parseMetricOption } from '../../../src/metrics/metric-spec.js';

test('the file collector splits on white space and NUL and reads a leading integer', () => {
  const text = '1.5 2 3\n17 99\n';
  assert.equal(fileField(text, 0), 1n);
  assert.equal(fileField(text, 1), 2n);
  assert.equal(fileField(text, 3), 17n);
  assert.equal(fileField(text, 9), 0n);
  assert.equal(fileField('a\0\t-42x', 1), -42n);
  assert.equal(leadingInteger('abc'), 0n);
  const spec = parseMetricOption('name=f,collector=file,arg1=x,arg1n=3', 'cli');
  assert.equal(COLLECTORS.file(spec, { current: 5n, children: [], file: text }), 17n);
  assert.equal(COLLECTORS.file(spec, { current: 5n, children: [], file: undefined }), 0n);
});

test('children collectors: two rounds as recorded (children 2 and 2 after two requests)', () => {
  const spec = (c: string, extra = '') =>
    parseMetricOption(`name=m,collector=${c},children=a;b${extra}`, 'cli');
  const input = { current: 0n, children: [2n, 2n], file: undefined };
  assert.equal(COLLECTORS.sum(spec('sum'), input), 4n);
  assert.equal(COLLECTORS.avg(spec('avg'), input), 2n);
  assert.equal(COLLECTORS.multiplier(spec('multiplier', ',arg1n=3'), input), 12n);
  // uWSGI's accumulator reached 12 after three collections of 4
  let acc = 0n;
  for (let i = 0; i < 3; i++) acc = COLLECTORS.accumulator(spec('accumulator'), { ...input, current: acc });
  assert.equal(acc, 12n);
  // the manual's example: 22 + 17 = 39, then 39 + 26 + 30
  const a = spec('accumulator');
  const round1 = COLLECTORS.accumulator(a, { current: 0n, children: [22n, 17n], file: undefined });
  assert.equal(COLLECTORS.accumulator(a, { current: round1, children: [26n, 30n], file: undefined }), 95n);
  assert.equal(COLLECTORS.avg(spec('avg'), { current: 0n, children: [3n, 4n], file: undefined }), 3n);
});
