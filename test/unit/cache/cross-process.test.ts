// Two real processes share one cache through a memfd region (the workers' situation): each
// increments a shared counter and writes its own keys (values of varying sizes in a bitmap
// cache) at the same time; the counter is exact, each reads every key the other wrote, and the
// parent sees the final state. Needs the build (the children import dist/), like the lock test.
import assert from 'node:assert/strict';
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { Cache } from '../../../src/cache/cache.js';
import { planCache } from '../../../src/cache/cache-plan.js';
import { LayoutBuilder } from '../../../src/shared/layout.js';
import { createRegion } from '../../../src/shared/region.js';

const CHILD = new URL('../../fixtures/cache/cache-child.mjs', import.meta.url).pathname;
const N = 2000;

function next(child: ChildProcess): Promise<unknown> {
  return once(child, 'message').then(([m]) => m);
}

/** Sends an order and waits for the answer. */
function ask(child: ChildProcess, message: string | { read: string }): Promise<unknown> {
  const answer = next(child);
  child.send(message);
  return answer;
}

test('two processes write and read one cache: nothing lost, counter exact', { timeout: 60_000 }, async () => {
  const builder = new LayoutBuilder();
  const plan = planCache('name=shared,items=4200,bitmap=1,blocks=20000,blocksize=16,hashsize=1024', builder);
  const layout = builder.build();
  const { region, warning } = createRegion(layout);
  assert.equal(warning, undefined, 'the addon is built');
  const kids = ['a', 'b'].map((id) =>
    fork(CHILD, [JSON.stringify(plan), String(layout.size), id, String(N)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc', 'ignore', 'ignore', region.fd ?? -1],
    }),
  );
  try {
    await Promise.all(kids.map(next));
    const written = await Promise.all(kids.map((k) => ask(k, 'write')));
    assert.deepEqual(written, [{ written: N }, { written: N }]);
    const cache = new Cache(plan, region);
    assert.equal(cache.num('counter'), BigInt(2 * N), 'every locked increment counted');
    assert.equal(cache.count(), 2 * N + 1);
    const [a, b] = kids as [ChildProcess, ChildProcess];
    const reads = await Promise.all([ask(a, { read: 'b' }), ask(b, { read: 'a' })]);
    for (const r of reads as { found: number; right: number; counter: number }[]) {
      assert.equal(r.counter, 2 * N);
      // the other child deletes its even keys while this one reads: each key is either there,
      // whole and right, or gone
      assert.equal(r.right, r.found);
      assert.ok(r.found >= N / 2, `${r.found} found`);
    }
    assert.equal(cache.count(), N + 1, 'both deleted half of their keys');
    assert.equal(cache.getString('a:1')?.startsWith('a:1:'), true);
    assert.equal(cache.get('b:2'), undefined);
    assert.equal(cache.lockHolder(), 0);
  } finally {
    for (const k of kids) k.send('exit');
    await Promise.all(kids.map((k) => (k.exitCode === null ? once(k, 'exit') : undefined)));
  }
});
