// The master's lifecycle state machine with fake actions: one operation at a time, a reload of a
// kind already queued merged, a full reload cutting a chain reload short, a stop taking over from
// anything, a brutal stop escalating a graceful one, a failure logged with its code.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Lifecycle, type LifecycleActions } from '../../../src/master/lifecycle.js';

function harness() {
  const calls: string[] = [];
  const lines: string[] = [];
  const gates: Array<() => void> = [];
  let abandonSeen: (() => boolean) | undefined;
  const gate = (name: string) =>
    new Promise<void>((resolve) => {
      calls.push(name);
      gates.push(resolve);
    });
  const actions: LifecycleActions = {
    reload: () => gate('reload'),
    chainReload: (abandon) => {
      abandonSeen = abandon;
      return gate('chain');
    },
    brutalReload: () => gate('brutal'),
    mulesReload: () => gate('mules'),
    stop: (graceful) => gate(graceful ? 'stop' : 'kill'),
    log: (line) => lines.push(line),
  };
  const lifecycle = new Lifecycle(actions);
  const release = async () => {
    gates.shift()?.();
    await new Promise((r) => setImmediate(r));
  };
  return { lifecycle, calls, lines, release, abandon: () => abandonSeen?.() };
}

test('one operation at a time; a reload asked for twice while one runs is queued once, then merged', async () => {
  const h = harness();
  assert.equal(h.lifecycle.request('reload'), 'started');
  assert.equal(h.lifecycle.request('reload'), 'queued');
  assert.equal(h.lifecycle.request('reload'), 'merged');
  assert.equal(h.lifecycle.request('mules-reload'), 'queued');
  assert.deepEqual(h.calls, ['reload']);
  await h.release();
  assert.deepEqual(h.calls, ['reload', 'reload']);
  await h.release();
  assert.deepEqual(h.calls, ['reload', 'reload', 'mules']);
  await h.release();
  assert.equal(h.lifecycle.current, undefined);
});

test('a full reload asked for during a chain reload cuts the chain short, then runs', async () => {
  const h = harness();
  h.lifecycle.request('chain-reload');
  assert.equal(h.abandon(), false);
  h.lifecycle.request('reload');
  assert.equal(h.abandon(), true, 'the chain sees it must stop');
  await h.release();
  assert.deepEqual(h.calls, ['chain', 'reload']);
});

test('a chain reload asked for during a full reload waits for it (the full reload does not stop)', async () => {
  const h = harness();
  h.lifecycle.request('reload');
  assert.equal(h.lifecycle.request('chain-reload'), 'queued');
  await h.release();
  assert.deepEqual(h.calls, ['reload', 'chain']);
  assert.equal(h.abandon(), false);
});

test('a stop takes over at once: the queue is dropped, the running reload is told to give up', async () => {
  const h = harness();
  h.lifecycle.request('chain-reload');
  h.lifecycle.request('reload');
  assert.equal(h.lifecycle.request('stop'), 'started');
  assert.deepEqual(h.calls, ['chain', 'stop']);
  assert.equal(h.abandon(), true);
  assert.equal(h.lifecycle.request('reload'), 'ignored', 'nothing reloads once stopping');
  assert.equal(h.lifecycle.request('stop'), 'ignored');
  // a brutal stop during the graceful one hurries it
  assert.equal(h.lifecycle.request('kill'), 'started');
  assert.deepEqual(h.calls, ['chain', 'stop', 'kill']);
  assert.equal(h.lifecycle.request('kill'), 'ignored');
  await h.release();
  await h.release();
  await h.release();
  assert.deepEqual(h.calls, ['chain', 'stop', 'kill'], 'the dropped reload never ran');
});

test('a failed operation is logged with its code and the next one runs', async () => {
  const lines: string[] = [];
  let reloads = 0;
  const lifecycle = new Lifecycle({
    reload: async () => {
      reloads++;
      if (reloads === 1) throw Object.assign(new Error('boom'), { code: 'ERR_TEST' });
    },
    chainReload: async () => {},
    brutalReload: async () => {},
    mulesReload: async () => {},
    stop: async () => {},
    log: (line) => lines.push(line),
  });
  lifecycle.request('reload');
  lifecycle.request('reload');
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(reloads, 2);
  assert.ok(
    lines.some((l) => l === 'reload failed: boom [ERR_TEST]'),
    lines.join('\n'),
  );
});
