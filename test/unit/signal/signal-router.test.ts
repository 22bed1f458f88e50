// The master's routing with a fake world: the target of the last registration, an unregistered
// signal to one worker, uWSGI's unsupported-target line, pending counts and the stats counters.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isSignalNumber, SignalRouter } from '../../../src/signal/signal-router.js';

function kit(
  serving = [
    { id: 1, pid: 101 },
    { id: 2, pid: 102 },
  ],
) {
  const sent: Array<[number, number]> = [];
  const lines: string[] = [];
  let closed = new Set<number>();
  const router = new SignalRouter({
    serving: () => serving,
    send: (pid, num) => {
      if (closed.has(pid)) return false;
      sent.push([pid, num]);
      return true;
    },
    shape: { processes: 2, mules: 0, spoolers: [], farms: new Map() },
    log: (line) => lines.push(line),
  });
  return { router, sent, lines, close: (pid: number) => (closed = new Set([...closed, pid])) };
}

test('signal numbers are one byte', () => {
  assert.ok(isSignalNumber(0) && isSignalNumber(255));
  assert.ok(!isSignalNumber(256) && !isSignalNumber(-1) && !isSignalNumber(1.5) && !isSignalNumber('17'));
});

test('a registered target routes; the last registration wins', () => {
  const { router, sent } = kit();
  router.register(17, 'worker2', 1);
  assert.equal(router.raise(17), 1);
  router.register(17, 'workers', 2);
  assert.equal(router.raise(17), 2);
  assert.deepEqual(sent, [
    [102, 17],
    [101, 17],
    [102, 17],
  ]);
  assert.ok(router.registered(17));
  assert.ok(!router.registered(18));
});

test('an unregistered signal goes to one worker; an unknown target is logged', () => {
  const { router, sent, lines } = kit();
  assert.equal(router.raise(30), 1);
  assert.equal(sent.length, 1);
  router.register(31, 'bogus', 1);
  assert.equal(router.raise(31), 0);
  assert.deepEqual(lines, ['^^^ UNSUPPORTED SIGNAL TARGET: bogus ^^^']);
});

test('pending signals steer "worker" to the idle one; stats count per worker', () => {
  const { router, sent, lines, close } = kit();
  router.register(17, 'worker', 1);
  router.raise(17);
  router.raise(17);
  router.raise(17);
  assert.deepEqual(
    sent.map(([pid]) => pid),
    [101, 102, 101],
  );
  assert.deepEqual(router.workerStats(1, 101), { signals: 2, queue: 2 });
  router.done(101);
  router.done(101);
  router.done(102);
  assert.deepEqual(router.workerStats(1, 101), { signals: 2, queue: 0 });
  assert.deepEqual(router.workerStats(2, 102), { signals: 1, queue: 0 });
  close(102);
  router.register(18, 'worker2', 1);
  router.raise(18);
  assert.deepEqual(lines, ['could not deliver signal 18 to worker 2']);
});
