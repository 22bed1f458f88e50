// The worker's recycling rules with an injected clock: max-requests, reload-on-exception, the
// min-worker-lifetime gate, and asking only once.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { WorkerPlan } from '../../../src/worker/plan.js';
import { Recycler } from '../../../src/worker/recycler.js';

function plan(recycle: Partial<WorkerPlan['recycle']>): WorkerPlan {
  return {
    id: 2,
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

test('max-requests asks once, on the Nth request, with uWSGI’s line', () => {
  const asked: string[] = [];
  const r = new Recycler(
    plan({ maxRequests: 3 }),
    (why) => asked.push(why),
    () => 0,
  );
  r.afterRequest(false);
  r.afterRequest(false);
  assert.deepEqual(asked, []);
  r.afterRequest(false);
  r.afterRequest(false);
  assert.deepEqual(asked, ['...The work of process 2 is done (max-requests 3). Seeya!']);
});

test('min-worker-lifetime holds the request back until the worker is old enough', () => {
  let now = 0;
  const asked: string[] = [];
  const r = new Recycler(
    plan({ maxRequests: 1, minLifetimeS: 10 }),
    (why) => asked.push(why),
    () => now,
  );
  r.afterRequest(false);
  now = 9_999;
  r.afterRequest(false);
  assert.equal(asked.length, 0);
  now = 10_000;
  r.afterRequest(false);
  assert.equal(asked.length, 1);
});

test('reload-on-exception fires on a failed request only; nothing configured means not wanted', () => {
  const asked: string[] = [];
  const r = new Recycler(
    plan({ reloadOnException: true }),
    (why) => asked.push(why),
    () => 0,
  );
  r.afterRequest(false);
  assert.equal(asked.length, 0);
  r.afterRequest(true);
  assert.match(asked[0] ?? '', /reload-on-exception/);
  assert.equal(Recycler.wanted(plan({})), false);
  assert.equal(Recycler.wanted(plan({ reloadOnRssMB: 100 })), true);
});
