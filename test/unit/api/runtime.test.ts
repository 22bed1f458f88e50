// The app API's bridge to the worker (src/api/runtime.ts): a coded error outside a worker, the
// calls reaching whatever runtime sits in the Symbol.for() slot (as one installed by another copy
// of the package would), a server too old for a function, arguments checked before the worker.
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import {
  installRuntime,
  RUNTIME_KEY,
  uninstallRuntime,
  type WorkerRuntime,
} from '../../../src/api/runtime.js';
import { lock, masterPid, requestsServed, setUserHarakiri, unlock, workerId } from '../../../src/index.js';

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return (err as { code?: unknown }).code;
  }
  return 'no error';
};

afterEach(() => uninstallRuntime());

test('outside a worker every function throws ERR_API_OUTSIDE_SERVER', () => {
  assert.equal(code(workerId), 'ERR_API_OUTSIDE_SERVER');
  assert.equal(code(masterPid), 'ERR_API_OUTSIDE_SERVER');
  assert.equal(code(requestsServed), 'ERR_API_OUTSIDE_SERVER');
  assert.equal(
    code(() => setUserHarakiri(1)),
    'ERR_API_OUTSIDE_SERVER',
  );
});

test('the functions reach a runtime put in the global slot by any copy of the package', () => {
  const calls: unknown[][] = [];
  // a plain object under Symbol.for(): what another copy's installRuntime() leaves there
  (globalThis as Record<symbol, unknown>)[Symbol.for('uwsgi-ts.runtime')] = {
    version: '9.9.9',
    workerId: () => 3,
    masterPid: () => 42,
    requestsServed: () => 7,
    setUserHarakiri: (...args: unknown[]) => calls.push(args),
    lock: (...args: unknown[]) => calls.push(['lock', ...args]),
    unlock: (...args: unknown[]) => calls.push(['unlock', ...args]),
  } satisfies Partial<WorkerRuntime>;
  assert.equal(RUNTIME_KEY, Symbol.for('uwsgi-ts.runtime'));
  assert.equal(workerId(), 3);
  assert.equal(masterPid(), 42);
  assert.equal(requestsServed(), 7);
  const req = {};
  setUserHarakiri(5, req);
  setUserHarakiri(0);
  lock();
  unlock(1);
  assert.throws(() => lock(-1), { code: 'ERR_API_BAD_ARGUMENT' });
  assert.deepEqual(calls, [
    [5, req],
    [0, undefined],
    ['lock', 0],
    ['unlock', 1],
  ]);
});

test('a function the running server lacks is ERR_API_UNAVAILABLE, naming its version', () => {
  installRuntime({ version: '0.0.1', workerId: () => 1 } as unknown as WorkerRuntime);
  assert.equal(workerId(), 1);
  assert.throws(() => requestsServed(), { code: 'ERR_API_UNAVAILABLE', message: /version 0\.0\.1/ });
});

test('setUserHarakiri checks seconds before the worker sees them', () => {
  let called = 0;
  installRuntime({
    version: 'test',
    workerId: () => 1,
    masterPid: () => 1,
    requestsServed: () => 0,
    setUserHarakiri: () => {
      called++;
    },
  } satisfies Partial<WorkerRuntime> as unknown as WorkerRuntime);
  for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY, '3' as unknown as number]) {
    assert.equal(
      code(() => setUserHarakiri(bad)),
      'ERR_API_BAD_ARGUMENT',
      String(bad),
    );
  }
  assert.equal(called, 0);
  setUserHarakiri(0.5);
  assert.equal(called, 1);
});
