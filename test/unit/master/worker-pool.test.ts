// The worker pool without real processes: spawn and clock are injected, so respawn, back-off,
// reload by generations and graceful stop are checked step by step.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import type { MasterMessage } from '../../../src/ipc/messages.js';
import { type PoolClock, WorkerPool, type WorkerProcess } from '../../../src/master/worker-pool.js';
import type { WorkerPlan } from '../../../src/worker/plan.js';

class FakeWorker extends EventEmitter {
  readonly sent: MasterMessage[] = [];
  readonly signals: string[] = [];
  constructor(readonly pid: number) {
    super();
  }
  send(message: MasterMessage): boolean {
    this.sent.push(message);
    return true;
  }
  kill(signal: NodeJS.Signals): boolean {
    this.signals.push(signal);
    return true;
  }
  ready(): void {
    this.emit('message', { t: 'ready', apps: 1 });
  }
  die(signal: NodeJS.Signals | null = 'SIGKILL'): void {
    this.emit('exit', signal ? null : 0, signal);
  }
}

function harness(count: number, apps = 0) {
  let now = 0;
  let nextPid = 100;
  const timers: Array<{ at: number; fn: () => void }> = [];
  const workers: FakeWorker[] = [];
  const lines: string[] = [];
  const clock: PoolClock = {
    now: () => now,
    setTimeout: (fn, ms) => {
      timers.push({ at: now + ms, fn });
      return {};
    },
  };
  const pool = new WorkerPool({
    count,
    cores: 1,
    respawn: true,
    plan: (id, generation) =>
      ({ id, generation, apps: Array.from({ length: apps }, () => ({})) }) as unknown as WorkerPlan,
    sockets: [],
    spawn: () => {
      const w = new FakeWorker(nextPid++);
      workers.push(w);
      return w as unknown as WorkerProcess;
    },
    clock,
    log: (line) => lines.push(line),
  });
  const advance = (ms: number) => {
    now += ms;
    for (const t of timers.filter((x) => x.at <= now)) {
      timers.splice(timers.indexOf(t), 1);
      t.fn();
    }
  };
  return { pool, workers, lines, advance };
}

test('start resolves once every worker is ready, with uWSGI’s spawn lines', async () => {
  const h = harness(2);
  const started = h.pool.start();
  assert.deepEqual(h.lines, [
    'spawned uWSGI worker 1 (pid: 100, cores: 1)',
    'spawned uWSGI worker 2 (pid: 101, cores: 1)',
  ]);
  assert.deepEqual(
    h.workers[0]?.sent.map((m) => m.t),
    ['plan', 'start'],
  );
  for (const w of h.workers) w.ready();
  await started;
});

test('a worker that dies after a long life is respawned at once; one that keeps dying backs off', async () => {
  const h = harness(1);
  const started = h.pool.start();
  h.workers[0]?.ready();
  await started;
  h.advance(60_000);
  h.workers[0]?.die('SIGKILL');
  assert.ok(h.lines.includes('DAMN ! worker 1 (pid: 100) died, killed by signal 9 :( trying respawn ...'));
  assert.ok(h.lines.includes('Respawned uWSGI worker 1 (new pid: 101)'));
  // dies young twice: 100 ms, then 200 ms before the next spawn
  h.workers[1]?.die(null);
  assert.equal(h.workers.length, 2, 'not respawned at once');
  h.advance(99);
  assert.equal(h.workers.length, 2);
  h.advance(1);
  assert.equal(h.workers.length, 3);
  h.workers[2]?.die(null);
  h.advance(199);
  assert.equal(h.workers.length, 3);
  h.advance(1);
  assert.equal(h.workers.length, 4);
  // once ready the count resets
  h.workers[3]?.ready();
  assert.equal(h.pool.quickDeathCount(1), 0);
});

test('reload: the new generation must be ready before the old one is told to stop', async () => {
  const h = harness(2);
  const started = h.pool.start();
  for (const w of h.workers) w.ready();
  await started;
  const reloading = h.pool.reload();
  assert.equal(h.workers.length, 4);
  assert.ok(
    !h.workers[0]?.sent.some((m) => m.t === 'stop'),
    'old workers keep serving until the new ones are ready',
  );
  h.workers[2]?.ready();
  assert.ok(!h.workers[0]?.sent.some((m) => m.t === 'stop'));
  h.workers[3]?.ready();
  await reloading;
  assert.ok(h.workers[0]?.sent.some((m) => m.t === 'stop'));
  assert.ok(h.workers[1]?.sent.some((m) => m.t === 'stop'));
  h.workers[0]?.die(null);
  h.workers[1]?.die(null);
  assert.equal(h.pool.size, 2);
  assert.ok(!h.lines.some((l) => l.startsWith('DAMN')), 'retired workers are buried, not respawned');
});

test('a reload whose new workers fail keeps the old ones serving', async () => {
  const h = harness(1);
  const started = h.pool.start();
  h.workers[0]?.ready();
  await started;
  const reloading = h.pool.reload();
  h.workers[1]?.emit('message', { t: 'failed', code: 'ERR_APP_LOAD', message: 'broken' });
  await assert.rejects(reloading, /broken/);
  assert.ok(!h.workers[0]?.sent.some((m) => m.t === 'stop'));
  assert.ok(h.workers[1]?.sent.some((m) => m.t === 'stop'));
});

test('graceful stop sends stop, then SIGKILL after the mercy', async () => {
  const h = harness(1);
  const started = h.pool.start();
  h.workers[0]?.ready();
  await started;
  const stopped = h.pool.stop(5000);
  assert.ok(h.workers[0]?.sent.some((m) => m.t === 'stop'));
  h.advance(5000);
  assert.deepEqual(h.workers[0]?.signals, ['SIGKILL']);
  h.workers[0]?.die('SIGKILL');
  await stopped;
  assert.ok(h.lines.some((l) => /worker 1 buried after 5 seconds/.test(l)));
});

test('a new worker that dies during a reload that then fails is not respawned beside the old one', async () => {
  const h = harness(2);
  const started = h.pool.start();
  h.workers[0]?.ready();
  h.workers[1]?.ready();
  await started;
  const reloading = h.pool.reload();
  // the new worker 2 exits at start-up (its app does not load): the reload fails
  h.workers[3]?.emit('exit', 1, null);
  await assert.rejects(reloading, /died before it was ready/);
  h.advance(20_000);
  // the old generation keeps its two workers; nothing more is spawned for id 2
  assert.equal(h.workers.length, 4, h.lines.join('\n'));
  assert.equal(h.pool.pids().filter((p) => p === h.workers[0]?.pid || p === h.workers[1]?.pid).length, 2);
});

test('once serving, a worker that loads fewer apps than it was given is not put in service', async () => {
  const h = harness(1, 1);
  const started = h.pool.start();
  // at start, uWSGI's "full dynamic mode": a worker without its app still serves
  h.workers[0]?.emit('message', { t: 'ready', apps: 0 });
  await started;
  // a reload meets a half-written app file: the new worker loads nothing, the old one serves on
  const reloading = h.pool.reload();
  h.workers[1]?.emit('message', { t: 'ready', apps: 0 });
  await assert.rejects(reloading, /loaded 0 of 1 apps/);
  assert.deepEqual(h.workers[1]?.signals, ['SIGKILL']);
  assert.ok(!h.workers[0]?.sent.some((m) => m.t === 'stop'));
  assert.ok(h.lines.includes('worker 1 (pid: 101) loaded 0 of its 1 apps: not put in service'));
  // the next reload loads it: the new worker serves and the old one drains
  const again = h.pool.reload();
  h.workers[2]?.emit('message', { t: 'ready', apps: 1 });
  await again;
  assert.ok(h.workers[0]?.sent.some((m) => m.t === 'stop'));
});
