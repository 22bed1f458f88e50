// The app API of metrics and alarms (src/api/metrics.ts, src/api/alarm.ts): arguments checked
// before the worker sees them, numbers and bigints passed as int64, the calls reach the runtime in
// the global slot, and outside a worker everything is ERR_API_OUTSIDE_SERVER.
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { RUNTIME_KEY, uninstallRuntime } from '../../../src/api/runtime.js';
import {
  alarm,
  metricDec,
  metricDiv,
  metricGet,
  metricGetBig,
  metricInc,
  metricMul,
  metricSet,
  metricSetMax,
  metricSetMin,
} from '../../../src/index.js';

afterEach(() => uninstallRuntime());

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return (err as { code?: unknown }).code;
  }
  return 'no error';
};

test('outside a worker: ERR_API_OUTSIDE_SERVER', () => {
  assert.equal(
    code(() => metricGet('x')),
    'ERR_API_OUTSIDE_SERVER',
  );
  assert.equal(
    code(() => metricInc('x')),
    'ERR_API_OUTSIDE_SERVER',
  );
  assert.equal(
    code(() => alarm('x', 'm')),
    'ERR_API_OUTSIDE_SERVER',
  );
});

test('bad names and values are ERR_API_BAD_ARGUMENT', () => {
  assert.equal(
    code(() => metricGet('')),
    'ERR_API_BAD_ARGUMENT',
  );
  assert.equal(
    code(() => metricSet('x', Number.NaN)),
    'ERR_API_BAD_ARGUMENT',
  );
  assert.equal(
    code(() => metricInc('x', '3' as unknown as number)),
    'ERR_API_BAD_ARGUMENT',
  );
  assert.equal(
    code(() => alarm('', 'm')),
    'ERR_API_BAD_ARGUMENT',
  );
  assert.equal(
    code(() => alarm('x', 5 as unknown as string)),
    'ERR_API_BAD_ARGUMENT',
  );
});

test('the calls reach the runtime with int64 operands and the default deltas', () => {
  const calls: unknown[][] = [];
  (globalThis as Record<symbol, unknown>)[RUNTIME_KEY] = {
    version: 'test',
    metricGet: (name: string) => {
      calls.push(['get', name]);
      return 2n ** 60n;
    },
    metricUpdate: (name: string, op: string, value: bigint) => {
      calls.push([op, name, value]);
      return value;
    },
    alarm: (name: string, message: string) => calls.push(['alarm', name, message]),
  };
  assert.equal(metricGet('a'), 2 ** 60);
  assert.equal(metricGetBig('a'), 2n ** 60n);
  metricInc('a');
  metricDec('a', 2);
  metricMul('a');
  metricDiv('a', 3.9);
  metricSet('a', 2n ** 64n + 5n);
  metricSetMax('a', -1);
  metricSetMin('a', 1n);
  alarm('pager', 'hello');
  assert.deepEqual(calls, [
    ['get', 'a'],
    ['get', 'a'],
    ['inc', 'a', 1n],
    ['dec', 'a', 2n],
    ['mul', 'a', 1n],
    ['div', 'a', 3n],
    ['set', 'a', 5n],
    ['max', 'a', -1n],
    ['min', 'a', 1n],
    ['alarm', 'pager', 'hello'],
  ]);
});

test('an older server without the metrics members: ERR_API_UNAVAILABLE', () => {
  (globalThis as Record<symbol, unknown>)[RUNTIME_KEY] = { version: 'old' };
  assert.equal(
    code(() => metricGet('a')),
    'ERR_API_UNAVAILABLE',
  );
  assert.equal(
    code(() => alarm('a', 'b')),
    'ERR_API_UNAVAILABLE',
  );
});
