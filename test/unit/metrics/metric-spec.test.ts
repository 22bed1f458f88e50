// `metric` options (seed manual "Custom metrics"): both forms, every key, and the refusals that
// uWSGI 2.0.21 turns into silent surprises (unknown keys, unknown types) or crashes (ptr).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseMetricOption } from '../../../src/metrics/metric-spec.js';

const codeOf = (fn: () => unknown) => {
  try {
    fn();
    return 'no error';
  } catch (err) {
    return (err as { code?: string }).code;
  }
};

test('the simplified form is a manual counter', () => {
  const m = parseMetricOption('foobar', 'cli');
  assert.equal(m.name, 'foobar');
  assert.equal(m.type, 'counter');
  assert.equal(m.collector, 'manual');
  assert.equal(m.oid, '');
  assert.equal(m.initialValue, 0);
  assert.equal(m.freq, 1);
});

test('the keyval form reads every key uWSGI documents', () => {
  const m = parseMetricOption(
    'name=loadavg,type=gauge,oid=100.100.100,collector=file,arg1=/proc/loadavg,arg1n=1,freq=3,initial_value=-4,reset_after_push=1,arg2=x,arg3=y,arg2n=2,arg3n=3',
    'app.ini:2',
  );
  assert.deepEqual(
    { ...m, children: [...m.children] },
    {
      name: 'loadavg',
      oid: '100.100.100',
      type: 'gauge',
      collector: 'file',
      initialValue: -4,
      freq: 3,
      resetAfterPush: true,
      children: [],
      alias: undefined,
      arg1: '/proc/loadavg',
      arg2: 'x',
      arg3: 'y',
      arg1n: 1,
      arg2n: 2,
      arg3n: 3,
    },
  );
  assert.deepEqual(
    parseMetricOption('name=reqs,collector=sum,children=worker.1.requests;worker.2.requests', 'x').children,
    ['worker.1.requests', 'worker.2.requests'],
  );
});

test('alias= only makes an alias with type=alias (uWSGI 2.0.21 recorded)', () => {
  assert.equal(parseMetricOption('name=a,type=alias,alias=foo', 'x').alias, 'foo');
  const plain = parseMetricOption('name=a,alias=foo', 'x');
  assert.equal(plain.alias, undefined);
  assert.equal(plain.type, 'counter');
});

test('bad metric options are refused with ERR_CONFIG_BAD_VALUE', () => {
  for (const bad of [
    'type=gauge', // no name
    'name=x!y', // uWSGI: invalid metric name
    'name=x,collector=blah', // uWSGI: unable to find metric collector
    'name=x,collector=ptr', // crashes uWSGI's master
    'name=x,collector=func,arg1=my_collector', // needs dlopen()
    'name=x,foo=bar', // uWSGI ignores unknown keys
    'name=x,type=blah', // uWSGI turns it into a counter
    'name=x,collector=sum', // no children
    'name=x,collector=file', // no arg1
    'name=x,type=alias', // no target
    'name=x,freq=0',
    'name=x,initial_value=1.5',
  ]) {
    assert.equal(
      codeOf(() => parseMetricOption(bad, 'cli')),
      'ERR_CONFIG_BAD_VALUE',
      bad,
    );
  }
});
