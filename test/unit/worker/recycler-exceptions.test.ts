// reload-on-exception-type/-value/-repr in the worker's Recycler: each list is matched against
// its fact of what the app threw, a match asks once and names the option, min-worker-lifetime
// holds it back, and nothing configured means the dispatcher passes no exceptions.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { WorkerPlan } from '../../../src/worker/plan.js';
import { Recycler } from '../../../src/worker/recycler.js';

function plan(recycle: Partial<WorkerPlan['recycle']>): WorkerPlan {
  return {
    id: 1,
    recycle: {
      maxRequests: 0,
      reloadOnRssMB: 0,
      reloadOnException: false,
      exceptionTypes: [],
      exceptionValues: [],
      exceptionReprs: [],
      minLifetimeS: 0,
      ...recycle,
    },
  } as unknown as WorkerPlan;
}

class QuotaError extends Error {}

test('each option compares its own fact and names itself', () => {
  const cases: Array<[Partial<WorkerPlan['recycle']>, unknown, string | undefined]> = [
    [{ exceptionTypes: ['TypeError'] }, new TypeError('x'), 'reload-on-exception-type = TypeError'],
    [{ exceptionTypes: ['TypeError'] }, new RangeError('TypeError'), undefined],
    [{ exceptionTypes: ['QuotaError'] }, new QuotaError('over'), 'reload-on-exception-type = QuotaError'],
    [
      { exceptionValues: ['over quota'] },
      new QuotaError('over quota'),
      'reload-on-exception-value = over quota',
    ],
    [{ exceptionValues: ['over'] }, new QuotaError('over quota'), undefined],
    [{ exceptionValues: ['plain'] }, 'plain', 'reload-on-exception-value = plain'],
    [{ exceptionReprs: ['Error: boom x'] }, new Error('boom x'), 'reload-on-exception-repr = Error: boom x'],
    // uWSGI 2.0.21 would match this (it compares every list with the message); we do not
    [{ exceptionReprs: ['boom x'] }, new Error('boom x'), undefined],
    [{ exceptionTypes: ['boom x'] }, new Error('boom x'), undefined],
  ];
  for (const [recycle, thrown, expected] of cases) {
    const asked: string[] = [];
    const r = new Recycler(
      plan(recycle),
      (why) => asked.push(why),
      () => 0,
    );
    r.exception(thrown);
    assert.deepEqual(
      asked,
      expected === undefined ? [] : [`worker 1 got an exception in its app: ${expected}`],
      JSON.stringify(recycle),
    );
  }
});

test('a match asks once; before min-worker-lifetime it waits for the next matching exception', () => {
  let now = 0;
  const asked: string[] = [];
  const r = new Recycler(
    plan({ exceptionTypes: ['TypeError'], minLifetimeS: 10 }),
    (why) => asked.push(why),
    () => now,
  );
  r.exception(new TypeError('young'));
  assert.equal(asked.length, 0);
  now = 10_000;
  r.afterRequest(true);
  assert.equal(asked.length, 0, 'a later failed request alone does not recycle');
  r.exception(new Error('other'));
  assert.equal(asked.length, 0);
  r.exception(new TypeError('old enough'));
  r.exception(new TypeError('again'));
  assert.equal(asked.length, 1);
});

test('wanted and matchesExceptions follow the lists', () => {
  assert.equal(Recycler.wanted(plan({})), false);
  assert.equal(Recycler.matchesExceptions(plan({})), false);
  for (const list of ['exceptionTypes', 'exceptionValues', 'exceptionReprs'] as const) {
    assert.equal(Recycler.wanted(plan({ [list]: ['x'] })), true, list);
    assert.equal(Recycler.matchesExceptions(plan({ [list]: ['x'] })), true, list);
  }
  assert.equal(Recycler.matchesExceptions(plan({ reloadOnException: true })), false);
});
