// The cheaper algorithms as state machines, ticked with made-up views (one tick = one second).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CHEAPER_ALGOS, type CheaperSettings, type CheaperView } from '../../../src/master/cheaper-algos.js';

const settings = (over: Partial<CheaperSettings> = {}): CheaperSettings => ({
  min: 1,
  max: 4,
  step: 1,
  overload: 3,
  idleSeconds: 10,
  busyness: {
    max: 50,
    min: 25,
    multiplier: 10,
    penalty: 2,
    verbose: false,
    backlogAlert: 33,
    backlogMultiplier: 3,
    backlogStep: 1,
    backlogNonzeroSeconds: 60,
    ...over.busyness,
  },
  ...over,
});

const view = (busy: boolean[], nowMs = 0, queue = 0, busyUs: number[] = []): CheaperView => ({
  workers: busy.map((b, i) => ({ id: i + 1, busy: b, busyUs: busyUs[i] ?? 0 })),
  queue,
  nowMs,
});

test('spare: cheaper-overload busy cycles spawn cheaper-step workers; an idle worker resets', () => {
  const algo = CHEAPER_ALGOS['spare']?.(settings({ step: 2 }), () => {});
  assert.ok(algo);
  assert.equal(algo.tick(view([true])), 0);
  assert.equal(algo.tick(view([true])), 0);
  assert.equal(algo.tick(view([true])), 2, 'third busy cycle');
  assert.equal(algo.tick(view([true, true, true])), 0);
  assert.equal(algo.tick(view([true, false, true])), 0, 'one idle worker: not overloaded');
  assert.equal(algo.tick(view([true, true, true])), 0, 'the count started over');
});

test('spare: one worker stopped per cheaper-overload cycles while two or more are idle', () => {
  const algo = CHEAPER_ALGOS['spare']?.(settings(), () => {});
  assert.ok(algo);
  const ticks = [0, 0, -1, 0, 0, -1].map(() => algo.tick(view([false, false, false])));
  assert.deepEqual(ticks, [0, 0, -1, 0, 0, -1]);
  // a single idle worker is the spare: kept
  for (let i = 0; i < 5; i++) assert.equal(algo.tick(view([false, true])), 0);
});

test('spare2: spawns the missing idle workers at once (up to the step), stops one after cheaper-idle', () => {
  const algo = CHEAPER_ALGOS['spare2']?.(settings({ min: 2, step: 3, idleSeconds: 5 }), () => {});
  assert.ok(algo);
  assert.equal(algo.tick(view([true, true], 0)), 2, 'two idle workers missing');
  assert.equal(algo.tick(view([true, false], 1000)), 1);
  assert.equal(algo.tick(view([false, false], 2000)), 0, 'exactly cheaper idle');
  assert.equal(algo.tick(view([false, false, false], 3000)), 0, 'surplus starts');
  assert.equal(algo.tick(view([false, false, false], 7000)), 0);
  assert.equal(algo.tick(view([false, false, false], 8000)), -1, 'surplus for cheaper-idle seconds');
  assert.equal(algo.tick(view([false, false, false], 9000)), 0, 'and the clock starts again');
});

test('backlog: a listen queue above cheaper-overload spawns, below it an idle worker goes', () => {
  const algo = CHEAPER_ALGOS['backlog']?.(settings({ overload: 2 }), () => {});
  assert.ok(algo);
  assert.equal(algo.tick(view([true], 0, 3)), 1);
  assert.equal(algo.tick(view([true, true], 0, 2)), 0, 'at the threshold, nobody idle');
  assert.equal(algo.tick(view([true, false], 0, 0)), -1);
});

test('manual: never decides', () => {
  const algo = CHEAPER_ALGOS['manual']?.(settings(), () => {});
  assert.equal(algo?.tick(view([true, true], 0, 100)), 0);
});

test('busyness: the average over cheaper-overload seconds spawns above max, idle cycles stop below min', () => {
  const lines: string[] = [];
  const algo = CHEAPER_ALGOS['busyness']?.(
    settings({ overload: 10, busyness: { ...settings().busyness, multiplier: 2, verbose: true } }),
    (l) => lines.push(l),
  );
  assert.ok(algo);
  // the first window only records where each worker's busy time stands
  assert.equal(algo.tick(view([false, false], 0, 0, [0, 0])), 0);
  assert.equal(algo.tick(view([false, false], 10_000, 0, [0, 0])), 0);
  // 8 s busy of 10 s on each worker: 80% > 50%
  assert.equal(algo.tick(view([true, true], 20_000, 0, [8e6, 8e6])), 1);
  assert.match(lines.join('\n'), /average busyness is at 80%/);
  // 1 s of 10 s: 10% < 25%: two idle cycles stop one worker
  assert.equal(algo.tick(view([false, false], 30_000, 0, [9e6, 9e6])), 0);
  assert.equal(algo.tick(view([false, false], 40_000, 0, [10e6, 10e6])), -1);
  // needed again right away: the penalty makes the next stop wait longer (2 + 2 cycles)
  assert.equal(algo.tick(view([true, true], 50_000, 0, [19e6, 19e6])), 1);
  assert.match(lines.join('\n'), /multiplier now 4/);
  const after = [60_000, 70_000, 80_000, 90_000].map((t, i) =>
    algo.tick(view([false, false], t, 0, [19e6 + i * 1e5, 19e6 + i * 1e5])),
  );
  assert.deepEqual(after, [0, 0, 0, -1]);
});

test('busyness: a listen queue above backlog-alert spawns emergency workers every second', () => {
  const algo = CHEAPER_ALGOS['busyness']?.(
    settings({ busyness: { ...settings().busyness, backlogAlert: 5, backlogStep: 2 } }),
    () => {},
  );
  assert.ok(algo);
  assert.equal(algo.tick(view([true], 0, 6)), 2);
  assert.equal(algo.tick(view([true], 1000, 6)), 2);
  assert.equal(algo.tick(view([true], 2000, 0)), 0);
});

test('busyness: a queue that stays non-empty for backlog-nonzero seconds spawns one worker', () => {
  const algo = CHEAPER_ALGOS['busyness']?.(
    settings({ overload: 100, busyness: { ...settings().busyness, backlogNonzeroSeconds: 3 } }),
    () => {},
  );
  assert.ok(algo);
  assert.equal(algo.tick(view([true], 0, 1)), 0);
  assert.equal(algo.tick(view([true], 2000, 1)), 0);
  assert.equal(algo.tick(view([true], 3000, 1)), 1);
});
