// A worker's signal table: registration line and message, delivery to the handler (sync and
// async), waiters, signal_received, uWSGI's line for a signal without a handler.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { WorkerMessage } from '../../../src/ipc/messages.js';
import { WorkerSignals } from '../../../src/signal/worker-signals.js';

function kit() {
  const sent: WorkerMessage[] = [];
  const lines: string[] = [];
  const signals = new WorkerSignals();
  signals.attach({ wid: 2, log: (l) => lines.push(l), send: (m) => sent.push(m) > 0 });
  return { signals, sent, lines };
}

test("register logs uWSGI's line and tells the master; an unknown target is refused", () => {
  const { signals, sent, lines } = kit();
  signals.register(17, 'workers', () => {});
  signals.register(18, '', () => {});
  assert.deepEqual(lines, [
    '[uwsgi-signal] signum 17 registered (wid: 2 modifier1: 0 target: workers)',
    '[uwsgi-signal] signum 18 registered (wid: 2 modifier1: 0 target: default, any worker)',
  ]);
  assert.deepEqual(sent[0], { t: 'signal-register', num: 17, target: 'workers' });
  assert.ok(signals.registered(17));
  assert.ok(!signals.registered(19));
  assert.throws(() => signals.register(19, 'bogus', () => {}), { code: 'ERR_API_BAD_ARGUMENT' });
});

test('delivery runs the handler, wakes waiters and reports done', async () => {
  const { signals, sent, lines } = kit();
  const got: number[] = [];
  signals.register(17, 'workers', (n) => got.push(n));
  signals.register(21, 'workers', async (n) => {
    await new Promise((r) => setTimeout(r, 5));
    got.push(n);
  });
  const anyOne = signals.wait(undefined);
  const only21 = signals.wait(21);
  assert.equal(signals.received(), 0);
  signals.deliver(17);
  assert.equal(await anyOne, 17);
  assert.equal(signals.received(), 17);
  signals.deliver(21);
  assert.equal(await only21, 21);
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(got, [17, 21]);
  assert.deepEqual(
    sent.filter((m) => m.t === 'signal-done'),
    [
      { t: 'signal-done', num: 17 },
      { t: 'signal-done', num: 21 },
    ],
  );
  // no handler and nobody waiting: uWSGI's error line
  signals.deliver(30);
  assert.match(
    lines.at(-1) ?? '',
    /^\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4} - error managing signal 30 on worker 2$/,
  );
});

test('a throwing handler is logged, and the signal still counts as done', () => {
  const { signals, sent, lines } = kit();
  signals.register(17, 'workers', () => {
    throw new Error('boom');
  });
  signals.deliver(17);
  assert.match(lines.at(-1) ?? '', /the handler of signal 17 on worker 2 failed: Error: boom/);
  assert.deepEqual(sent.at(-1), { t: 'signal-done', num: 17 });
  assert.ok(signals.raise(17));
  assert.ok(!signals.raise(256));
});
