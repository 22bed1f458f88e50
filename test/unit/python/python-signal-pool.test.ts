// Which Python process runs a signal (src/python/python-signal-pool.ts) and the events channel's
// signal bookkeeping (src/python/python-events.ts), over a real socketpair-like stream: the first
// registration enters the worker's table once, a signal goes to the least loaded live process
// that registered it, and a process that is gone counts its signals done.
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { afterEach, test } from 'node:test';
import { RUNTIME_KEY, uninstallRuntime } from '../../../src/api/runtime.js';
import { EventFrame, PythonEvents } from '../../../src/python/python-events.js';
import { encodeFrame, FrameReader } from '../../../src/python/python-frames.js';
import { isForwardedToPython, SignalPool } from '../../../src/python/python-signal-pool.js';

afterEach(() => uninstallRuntime());

/** A fake Python process end: records the signals written to it; answers G on demand. */
function fakeProcess(name: string, busy: number) {
  const got: number[] = [];
  const reader = new FrameReader((kind, payload) => {
    if (kind === EventFrame.Signal) got.push(payload[0] as number);
  });
  const stream = new Duplex({
    read() {},
    write(chunk: Buffer, _enc, done) {
      reader.push(chunk);
      done();
    },
  });
  const events = new PythonEvents(stream as unknown as Socket, () => Promise.resolve(Buffer.from('N')));
  const runner = { name, busy, exited: false, events };
  const finish = () => stream.push(encodeFrame(EventFrame.SignalDone, Buffer.from([0])));
  return { runner, got, finish };
}

test('one table entry per number; the least loaded live process runs it; done when it answers', async () => {
  const registered: unknown[][] = [];
  let handler: ((n: number) => unknown) | undefined;
  (globalThis as Record<symbol, unknown>)[RUNTIME_KEY] = {
    version: 'test',
    registerSignal: (num: number, target: string, fn: (n: number) => unknown) => {
      registered.push([num, target]);
      handler = fn;
    },
  };
  const pool = new SignalPool();
  const a = fakeProcess('a', 2);
  const b = fakeProcess('b', 0);
  pool.register(77, 'workers', a.runner);
  pool.register(77, 'workers', b.runner);
  pool.register(77, 'workers', b.runner);
  assert.deepEqual(registered, [[77, 'workers']]);
  assert.ok(isForwardedToPython(77));
  assert.ok(!isForwardedToPython(78));

  // b is idle: it gets the signal; the promise settles when b says done
  let settled = false;
  const first = (handler as (n: number) => Promise<void>)(77).then(() => {
    settled = true;
  });
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(b.got, [77]);
  assert.deepEqual(a.got, []);
  assert.equal(settled, false);
  // b now has a signal on hand (load 1) and a has 2 requests: b again
  void pool.run(77);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(b.got, [77, 77]);
  b.finish();
  await first;
  assert.equal(settled, true);

  // b is gone: a runs the next one; a gone process's signals count as done
  (b.runner as { exited: boolean }).exited = true;
  b.runner.events.close();
  void pool.run(77);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(a.got, [77]);
  a.runner.events.close();
  (a.runner as { exited: boolean }).exited = true;
  await pool.run(77); // nobody left: resolves at once
});
