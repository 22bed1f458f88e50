// The master's spooler pool with fake processes: uWSGI's spooler lines, the stats rows (tasks kept
// over a respawn, running while a task runs), spooler-harakiri killing a spooler whose task runs
// too long, and a stop that waits for the spooler to finish.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import type { ChildProcessLike } from '../../../src/master/supervisor/child.js';
import { SpoolerPool } from '../../../src/spooler/spooler-pool.js';

class FakeSpooler extends EventEmitter implements ChildProcessLike {
  readonly signals: string[] = [];
  constructor(readonly pid: number) {
    super();
  }
  send(message: unknown): boolean {
    if ((message as { t?: string }).t === 'stop') setImmediate(() => this.emit('exit', 0, null));
    return true;
  }
  kill(signal: NodeJS.Signals): boolean {
    this.signals.push(signal);
    setImmediate(() => this.emit('exit', null, signal));
    return true;
  }
}

test('spooler lines, stats rows over a respawn, harakiri, stop', async () => {
  const lines: string[] = [];
  const spawned: FakeSpooler[] = [];
  let pid = 500;
  const pool = new SpoolerPool({
    specs: [
      { id: 1, dir: '/srv/spool' },
      { id: 2, dir: '/srv/other' },
    ],
    spawn: () => {
      const s = new FakeSpooler(++pid);
      spawned.push(s);
      return s;
    },
    mercyMs: 1000,
    harakiri: 5,
    log: (l) => lines.push(l),
    clock: { now: () => Date.now(), setTimeout: (fn, ms) => setTimeout(fn, ms).unref() },
  });
  pool.start();
  assert.deepEqual(lines, [
    'spawned the uWSGI spooler on dir /srv/spool with pid 501',
    'spawned the uWSGI spooler on dir /srv/other with pid 502',
  ]);
  const now = Date.now();
  pool.status(501, { tasks: 3, task: 'uwsgi_spoolfile_on_x', since: now - 6000 });
  assert.deepEqual(pool.statsRows()[0], { dir: '/srv/spool', pid: 501, tasks: 3, respawns: 0, running: 1 });
  pool.checkHarakiri(now);
  assert.match(
    lines.at(-1) ?? '',
    /^\*\*\* HARAKIRI ON THE SPOOLER \(pid: 501\) task uwsgi_spoolfile_on_x after 6 seconds/,
  );
  assert.deepEqual(spawned[0]?.signals, ['SIGKILL']);
  await new Promise((r) => setImmediate(r));
  assert.ok(lines.includes('OOOPS the spooler is no more...trying respawn...'));
  // it died young: the respawn waits out the back-off (1 s)
  for (let i = 0; i < 40 && spawned.length < 3; i++) await new Promise((r) => setTimeout(r, 50));
  assert.equal(lines.at(-1), 'spawned the uWSGI spooler on dir /srv/spool with pid 503');
  pool.status(503, { tasks: 2, task: '', since: 0 });
  assert.deepEqual(pool.statsRows()[0], { dir: '/srv/spool', pid: 503, tasks: 5, respawns: 1, running: 0 });
  assert.deepEqual(pool.dirs(), ['/srv/spool', '/srv/other']);
  await pool.stop();
  assert.ok(lines.includes('killing the spooler with pid 503'));
  assert.ok(lines.includes('spooler (pid: 503) annihilated'));
  assert.deepEqual(pool.pids(), []);
});
