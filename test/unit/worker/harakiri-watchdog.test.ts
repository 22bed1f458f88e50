// The harakiri watchdog thread for real: a main loop that blocks is reported once, with the
// request it started last, as a `req` message the master accepts; a loop that keeps turning, or
// one that blocks before any request, is not reported.
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { isWorkerMessage } from '../../../src/ipc/messages.js';
import { HarakiriWatchdog } from '../../../src/worker/harakiri-watchdog.js';

/** Blocks this thread (the "event loop") for `ms`. */
function block(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function harness(t: TestContext) {
  const dir = mkdtempSync(join(tmpdir(), 'uwsgi-ts-watchdog-'));
  const path = join(dir, 'reports');
  const fd = openSync(path, 'a');
  const watchdog = new HarakiriWatchdog(fd, { blockedMs: 200, pollMs: 20 });
  t.after(() => {
    watchdog.close();
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  });
  const reports = () =>
    readFileSync(path, 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { watchdog, reports };
}

/** Waits (turning the loop) until the thread has written `n` reports, or `ms` passed. */
async function reportsAfter(read: () => unknown[], n: number, ms: number): Promise<unknown[]> {
  const deadline = Date.now() + ms;
  while (read().length < n && Date.now() < deadline) await sleep(20);
  return read();
}

test('a blocked loop is reported once, naming the request it started last', async (t) => {
  const { watchdog, reports } = harness(t);
  // give the thread time to start: it is not running until its isolate is up
  await sleep(300);
  watchdog.request('GET', '/first', '10.0.0.1', Date.now());
  const started = Date.now();
  watchdog.request('POST', '/blocker?x=é', '::ffff:127.0.0.2', started);
  block(700);
  const got = await reportsAfter(reports, 1, 2000);
  assert.equal(got.length, 1, 'one report for one blockage');
  const report = got[0] as Record<string, unknown>;
  assert.ok(isWorkerMessage(report), 'the master takes it as an IPC message');
  assert.deepEqual(
    { ...report, blockedMs: 0 },
    {
      t: 'req',
      method: 'POST',
      uri: '/blocker?x=é',
      addr: '::ffff:127.0.0.2',
      since: Math.floor(started / 1000),
      blockedMs: 0,
    },
  );
  const blockedMs = (got[0] as Record<string, unknown>)['blockedMs'] as number;
  assert.ok(blockedMs >= 200 && blockedMs <= 700, `blocked ${blockedMs} ms when reported`);
  await sleep(300);
  assert.equal(reports().length, 1, 'nothing more once the loop turns again');
  // a second blockage is a second report (a long URI, the same method and address as before)
  const long = `/second?${'x'.repeat(300)}`;
  watchdog.request('POST', '/short', '::ffff:127.0.0.2', Date.now());
  watchdog.request('POST', long, '::ffff:127.0.0.2', Date.now());
  block(500);
  const again = await reportsAfter(reports, 2, 2000);
  const second = again[1] as Record<string, unknown> | undefined;
  assert.deepEqual(
    [second?.['method'], second?.['uri'], second?.['addr']],
    ['POST', long, '::ffff:127.0.0.2'],
  );
});

test('a loop that keeps turning, or blocks before any request, is not reported', async (t) => {
  const { watchdog, reports } = harness(t);
  await sleep(300);
  // turning: beats every 50 ms (as the harakiri timer does every BEAT_MS)
  for (let i = 0; i < 12; i++) {
    watchdog.beat();
    block(50);
    await sleep(0);
  }
  // blocked, but no request has started: nothing to name (the master says "no request seen")
  watchdog.beat();
  block(500);
  await sleep(200);
  assert.deepEqual(reports(), []);
});

test('close() ends the thread', async (t) => {
  const { watchdog } = harness(t);
  const thread = (watchdog as unknown as { thread: import('node:worker_threads').Worker }).thread;
  const exited = new Promise<number>((resolve) => thread.once('exit', resolve));
  // unref'd so that it never keeps a worker alive: held here until it has exited
  thread.ref();
  await sleep(100);
  watchdog.close();
  assert.equal(await exited, 0);
});
