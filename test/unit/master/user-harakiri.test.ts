// The master's harakiri check with a fake worker and clock: a setUserHarakiri() deadline kills
// a worker only when its loop is silent too, the global limit still applies, a cleared limit
// kills nothing, and the lines are uWSGI 2.0.21's (test/fixtures/uwsgi-2.0.21-app-api.json).
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { type PoolClock, WorkerPool, type WorkerProcess } from '../../../src/master/worker-pool.js';
import type { WorkerPlan } from '../../../src/worker/plan.js';

const fixture = JSON.parse(
  readFileSync(new URL('../../fixtures/uwsgi-2.0.21-app-api.json', import.meta.url), 'utf8'),
) as { setUserHarakiri: { lines: string[] } };

class FakeWorker extends EventEmitter {
  readonly signals: string[] = [];
  constructor(readonly pid: number) {
    super();
  }
  send(): boolean {
    return true;
  }
  kill(signal: NodeJS.Signals): boolean {
    this.signals.push(signal);
    return true;
  }
  say(message: unknown): void {
    this.emit('message', message);
  }
}

async function harness() {
  let now = 1_000_000;
  const workers: FakeWorker[] = [];
  const lines: string[] = [];
  const clock: PoolClock = { now: () => now, setTimeout: () => ({}) };
  const pool = new WorkerPool({
    count: 1,
    cores: 1,
    respawn: true,
    plan: (id, generation) => ({ id, generation, apps: [] }) as unknown as WorkerPlan,
    sockets: [],
    spawn: () => {
      const w = new FakeWorker(500 + workers.length);
      workers.push(w);
      return w as unknown as WorkerProcess;
    },
    clock,
    log: (line) => lines.push(line),
  });
  const started = pool.start();
  const worker = workers[0];
  assert.ok(worker);
  worker.say({ t: 'ready', apps: 1 });
  await started;
  lines.length = 0;
  const ctime = () => 'Sat Nov 21 13:38:46 2026';
  return {
    pool,
    worker,
    lines,
    /** Moves the clock; the worker pings every second unless `blocked`. */
    advance(ms: number, blocked: boolean) {
      for (let i = 0; i < ms; i += 500) {
        now += 500;
        if (!blocked && (now / 500) % 2 === 0) worker.say({ t: 'ping' });
      }
    },
    check: (globalMs: number) => pool.checkHarakiri(globalMs, ctime),
  };
}

const userLimit = (ms: number, uri = '/block') => ({
  t: 'user-harakiri',
  ms,
  method: 'GET',
  uri,
  addr: '127.0.0.1',
  since: 1795268324,
});

test('a blocked loop past its user deadline is killed with uWSGI 2.0.21’s four lines', async () => {
  const h = await harness();
  h.worker.say(userLimit(1000));
  h.advance(1000, true);
  h.check(0);
  assert.deepEqual(h.worker.signals, [], 'at the deadline the loop has been silent 1 s only');
  h.advance(1000, true);
  h.check(0);
  assert.deepEqual(h.worker.signals, ['SIGKILL']);
  const shape = (l: string) => l.replace(/pid: \d+/, 'pid: P').replace(/since \d+/, 'since S');
  assert.deepEqual(h.lines.map(shape), fixture.setUserHarakiri.lines.slice(0, 4).map(shape));
});

test('a live loop past its user deadline is left to the worker (it answers 504 itself)', async () => {
  const h = await harness();
  h.worker.say(userLimit(1000));
  for (let i = 0; i < 5; i++) {
    h.advance(1000, false);
    h.check(0);
  }
  assert.deepEqual(h.worker.signals, []);
});

test('a cleared limit kills nothing; without one and without harakiri nothing is killed', async () => {
  const h = await harness();
  h.worker.say(userLimit(1000));
  h.worker.say(userLimit(0));
  h.advance(10_000, true);
  h.check(0);
  assert.deepEqual(h.worker.signals, []);
});

test('the global harakiri still applies under a longer user limit, and names the last request', async () => {
  const h = await harness();
  // the request started at the harness's clock (1,000,000 ms): uWSGI's deadline is second 1000 + 3
  h.worker.say({
    t: 'req',
    method: 'GET',
    uri: '/started-last',
    addr: '127.0.0.1',
    since: 1000,
    blockedMs: 0,
  });
  h.worker.say(userLimit(60_000, '/long'));
  h.advance(3500, true);
  h.check(3000);
  assert.deepEqual(h.worker.signals, [], 'second 1003 is the deadline, not past it');
  h.advance(500, true);
  h.check(3000);
  assert.deepEqual(h.worker.signals, ['SIGKILL']);
  assert.match(h.lines[2] ?? '', /HARAKIRI \[core 0\] 127\.0\.0\.1 - GET \/started-last since 1000$/);
});

test('harakiri = 2 kills as uWSGI 2.0 does: once the clock second is past since + 2', async () => {
  // uWSGI 2.0.21 measured here: 2.55-3.9 s for a request blocked under harakiri = 2 (the master
  // checks every second; the deadline is in whole seconds)
  for (const [startOffset, killedAfter] of [
    [0, 3000],
    [500, 2500],
  ] as const) {
    const h = await harness();
    h.advance(startOffset, false);
    const since = Math.floor((1_000_000 + startOffset) / 1000);
    h.worker.say({ t: 'req', method: 'GET', uri: '/sleep', addr: '127.0.0.1', since, blockedMs: 400 });
    let waited = 0;
    while (h.worker.signals.length === 0 && waited < 10_000) {
      h.advance(500, true);
      waited += 500;
      h.check(2000);
    }
    assert.equal(waited, killedAfter, `a request started ${startOffset} ms into its second`);
  }
});

test('a watchdog report dates the silence from when the loop last turned, never earlier', async () => {
  const h = await harness();
  h.worker.say({ t: 'ping' });
  h.advance(1000, true);
  // the worker's watchdog: the loop turned 500 ms ago, then blocked (no request seen before: the
  // silence is what counts)
  h.worker.say({ t: 'user-harakiri', ms: 0, method: '', uri: '', addr: '', since: 0 });
  h.advance(1000, true);
  h.check(1500);
  assert.deepEqual(h.worker.signals, [], 'silent for 1000 ms only');
  h.advance(1000, true);
  h.check(1500);
  assert.deepEqual(h.worker.signals, ['SIGKILL']);
  assert.match(h.lines[2] ?? '', /no request seen/);
});

test('a ping ends what the report said: a later blockage is not dated from an old request', async () => {
  const h = await harness();
  h.worker.say({ t: 'req', method: 'GET', uri: '/old', addr: '::1', since: 990, blockedMs: 400 });
  h.worker.say({ t: 'ping' });
  h.advance(1000, true);
  h.check(2000);
  assert.deepEqual(h.worker.signals, [], 'second 1001 is past 990 + 2, but /old is over');
});

test('a malformed user-harakiri message is ignored', async () => {
  const h = await harness();
  h.worker.say({ ...userLimit(1000), ms: '1000' });
  h.advance(5000, true);
  h.check(0);
  assert.deepEqual(h.worker.signals, []);
});
