// Timers and cron on a fake clock (STYLE.md rule 7): when each fires, kept once when every worker
// adds them, uWSGI's "max 64", cron at minute starts and in the start minute, unique crons.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCronLine, signalCron } from '../../../src/signal/cron.js';
import {
  type CronState,
  MAX_TIMERS,
  type SchedulerClock,
  SignalScheduler,
} from '../../../src/signal/signal-scheduler.js';

class FakeClock implements SchedulerClock {
  private queue: Array<{ at: number; fn: () => void; id: number }> = [];
  private ids = 0;
  constructor(public t: number) {}
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.ids;
    this.queue.push({ at: this.t + ms, fn, id });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.queue = this.queue.filter((q) => q.id !== handle);
  }
  /** Runs every timer due up to `ms` from now, in order. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      this.queue.sort((a, b) => a.at - b.at || a.id - b.id);
      const next = this.queue[0];
      if (!next || next.at > end) break;
      this.queue.shift();
      this.t = next.at;
      next.fn();
    }
    this.t = end;
  }
}

function kit(start = new Date(2026, 10, 21, 14, 30, 20).getTime()) {
  const clock = new FakeClock(start);
  const raised: Array<[number, string, number]> = [];
  const commands: Array<[string, number]> = [];
  const lines: string[] = [];
  const running: CronState[] = [];
  let pid = 1000;
  const scheduler = new SignalScheduler(clock, {
    raise: (num, by) => raised.push([num, by, clock.now() - start]),
    runCommand: (cron) => {
      cron.pid = ++pid;
      cron.startedAt = Math.floor(clock.now() / 1000);
      running.push(cron);
      commands.push([(cron.entry.action as { command: string }).command, clock.now()]);
    },
    log: (line) => lines.push(line),
  });
  return { clock, scheduler, raised, commands, lines, running, start };
}

test('a timer raises every N seconds from when it was added; iterations stop it', () => {
  const { clock, scheduler, raised } = kit();
  scheduler.addTimer({ kind: 'timer', signal: 17, seconds: 1, iterations: 0 });
  scheduler.addTimer({ kind: 'rbtimer', signal: 18, seconds: 2, iterations: 2 });
  clock.advance(6500);
  assert.deepEqual(
    raised.filter(([n]) => n === 17).map(([, , at]) => at),
    [1000, 2000, 3000, 4000, 5000, 6000],
  );
  assert.deepEqual(
    raised.filter(([n]) => n === 18),
    [
      [18, 'rbtimer', 2000],
      [18, 'rbtimer', 4000],
    ],
  );
  assert.equal(scheduler.timerCount, 1);
  scheduler.close();
  clock.advance(5000);
  assert.equal(raised.length, 8);
});

test('the same timer added by every worker is kept once; past 64 uWSGI says so', () => {
  const { clock, scheduler, raised, lines } = kit();
  for (let w = 0; w < 4; w++) scheduler.addTimer({ kind: 'timer', signal: 17, seconds: 1, iterations: 0 });
  clock.advance(1000);
  assert.equal(raised.length, 1);
  for (let i = 1; i < MAX_TIMERS; i++)
    assert.ok(scheduler.addTimer({ kind: 'timer', signal: 1, seconds: i, iterations: 0 }));
  assert.equal(scheduler.addTimer({ kind: 'timer', signal: 2, seconds: 1, iterations: 0 }), false);
  assert.deepEqual(lines, ['you can register max 64 timers !!!']);
  assert.ok(scheduler.addTimer({ kind: 'rbtimer', signal: 2, seconds: 1, iterations: 0 }));
  scheduler.close();
});

test('cron: in the start minute when it matches, then at the start of each matching minute', () => {
  const { clock, scheduler, commands, raised, start } = kit();
  scheduler.addCron(
    parseCronLine('cron', '-1 -1 -1 -1 -1 every', 't', { unique: false, harakiri: 0 }),
    false,
  );
  scheduler.addCron(parseCronLine('cron', '-2 -1 -1 -1 -1 even', 't', { unique: false, harakiri: 0 }), false);
  scheduler.addCron(
    parseCronLine('cron', '33 14 -1 -1 -1 at1433', 't', { unique: false, harakiri: 0 }),
    false,
  );
  scheduler.start();
  // started 14:30:20: every and even (30 is even) run now
  assert.deepEqual(
    commands.map(([c, at]) => [c, at - start]),
    [
      ['every', 0],
      ['even', 0],
    ],
  );
  clock.advance(3 * 60_000);
  const at = (name: string) =>
    commands.filter(([c]) => c === name).map(([, t]) => new Date(t).toTimeString().slice(0, 8));
  assert.deepEqual(at('every'), ['14:30:20', '14:31:00', '14:32:00', '14:33:00']);
  assert.deepEqual(at('even'), ['14:30:20', '14:32:00']);
  assert.deepEqual(at('at1433'), ['14:33:00']);
  // a signal cron added by every worker mid-minute: once, now if the minute matches
  for (let w = 0; w < 3; w++)
    scheduler.addCron(signalCron(30, { minute: -1, hour: -1, day: -1, month: -1, week: -1 }), true);
  assert.equal(raised.length, 1);
  clock.advance(60_000);
  assert.deepEqual(
    raised.map(([n, by]) => [n, by]),
    [
      [30, 'cron'],
      [30, 'cron'],
    ],
  );
  scheduler.close();
});

test('a unique cron is not started while it runs, and again when it exits in a matching minute', () => {
  const { clock, scheduler, commands, running } = kit();
  const cron = scheduler.addCron(
    parseCronLine('unique-cron', '-1 -1 -1 -1 -1 long', 't', { unique: true, harakiri: 0 }),
    false,
  );
  scheduler.start();
  clock.advance(2 * 60_000);
  assert.equal(commands.length, 1, 'still running: not started again');
  assert.ok(cron.pid > 0);
  scheduler.cronExited(running[0] as CronState);
  assert.equal(commands.length, 2, 'started again at once: the minute matches');
  assert.equal(cron.pid, 1002);
  scheduler.close();
});
