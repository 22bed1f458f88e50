// Signal targets (seed manual register_signal) and their resolution by the master, with the lines
// uWSGI 2.0.21 logs when it cannot deliver (test/fixtures/signal/uwsgi-2.0.21-signals.json).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  FirstAvailable,
  type InstanceShape,
  parseSignalTarget,
  resolveTarget,
  type SignalPeer,
  targetLabel,
} from '../../../src/signal/signal-target.js';

const shape: InstanceShape = { processes: 2, mules: 0, spoolers: [], farms: new Map() };
const peers: SignalPeer[] = [
  { id: 1, pid: 101, pending: 0 },
  { id: 2, pid: 102, pending: 0 },
];

function resolve(
  name: string,
  list: readonly SignalPeer[] = peers,
  mules: readonly SignalPeer[] = [],
  instance: InstanceShape = shape,
) {
  const target = parseSignalTarget(name);
  assert.ok(target, name);
  const first = new FirstAvailable();
  const firstMule = new FirstAvailable();
  return resolveTarget(target, 17, { workers: list, mules }, instance, {
    worker: (p) => first.pick(p),
    mule: (p) => firstMule.pick(p),
  });
}

test('uWSGI target names parse; others do not', () => {
  for (const name of [
    '',
    'worker',
    'worker0',
    'worker2',
    'workers',
    'active-workers',
    'spooler',
    'mule',
    'mule0',
    'mule3',
    'mules',
    'farm_x',
    '/var/spool',
  ]) {
    assert.ok(parseSignalTarget(name), name);
  }
  for (const name of ['bogus', 'farm', 'worker-1', 'Workers', 'mule_1'])
    assert.equal(parseSignalTarget(name), undefined, name);
  assert.equal(targetLabel(''), 'default, any worker');
  assert.equal(targetLabel('worker2'), 'worker2');
});

test('workerN reaches that worker only; workers and active-workers every serving one', () => {
  assert.deepEqual(resolve('worker2'), { deliver: 'workers', pids: [102] });
  assert.deepEqual(resolve('workers'), { deliver: 'workers', pids: [101, 102] });
  assert.deepEqual(resolve('active-workers', [peers[0] as SignalPeer]), { deliver: 'workers', pids: [101] });
  // during a reload two processes serve under one id: the newer gets it
  const reload = [...peers, { id: 2, pid: 202, pending: 0 }];
  assert.deepEqual(resolve('worker2', reload), { deliver: 'workers', pids: [202] });
  assert.deepEqual(resolve('workers', reload), { deliver: 'workers', pids: [101, 202] });
});

test("uWSGI's lines when a target has nobody", () => {
  const cases: Array<[string, string[]]> = [
    ['worker5', ['invalid signal target: worker5']],
    ['mule', ['could not deliver signal 17 to a mule']],
    ['mule1', ['invalid signal target: mule1']],
    ['mules', []],
    ['spooler', ['could not deliver signal 17 to the spooler']],
    ['farm_x', ['unknown farm: x']],
  ];
  for (const [name, lines] of cases) assert.deepEqual(resolve(name), { deliver: 'nowhere', lines }, name);
  assert.deepEqual(resolve('worker2', [peers[0] as SignalPeer]), {
    deliver: 'nowhere',
    lines: ['could not deliver signal 17 to worker 2'],
  });
  assert.deepEqual(resolve('worker', []), {
    deliver: 'nowhere',
    lines: ['could not deliver signal 17 to workers pool'],
  });
});

test('the first available worker: fewest pending signals, in turn among equals', () => {
  const first = new FirstAvailable();
  const picks = [1, 2, 3, 4].map(() => first.pick(peers)?.id);
  assert.deepEqual(picks, [1, 2, 1, 2]);
  const busy = [
    { id: 1, pid: 101, pending: 3 },
    { id: 2, pid: 102, pending: 0 },
  ];
  assert.deepEqual([first.pick(busy)?.id, first.pick(busy)?.id], [2, 2]);
  assert.equal(first.pick([]), undefined);
});

test('mule targets reach the running mules: muleN, mules, the first available mule, a farm', () => {
  const withMules: InstanceShape = {
    processes: 2,
    mules: 3,
    spoolers: [],
    farms: new Map([['f', [2, 3]]]),
  };
  const mules: SignalPeer[] = [
    { id: 1, pid: 301, pending: 0 },
    { id: 2, pid: 302, pending: 1 },
    { id: 3, pid: 303, pending: 0 },
  ];
  assert.deepEqual(resolve('mule2', peers, mules, withMules), { deliver: 'workers', pids: [302] });
  assert.deepEqual(resolve('mules', peers, mules, withMules), { deliver: 'workers', pids: [301, 302, 303] });
  // the idle ones first
  assert.deepEqual(resolve('mule', peers, mules, withMules), { deliver: 'workers', pids: [301] });
  assert.deepEqual(resolve('farm_f', peers, mules, withMules), { deliver: 'workers', pids: [303] });
  assert.deepEqual(resolve('mule4', peers, mules, withMules), {
    deliver: 'nowhere',
    lines: ['invalid signal target: mule4'],
  });
  // a mule between death and respawn
  assert.deepEqual(resolve('mule1', peers, mules.slice(1), withMules), {
    deliver: 'nowhere',
    lines: ['could not deliver signal 17 to mule 1'],
  });
  assert.deepEqual(resolve('farm_f', peers, [], withMules), {
    deliver: 'nowhere',
    lines: ['could not deliver signal 17 to farm f'],
  });
});

test('the spooler target reaches one running spooler, the least busy', () => {
  const withSpoolers: InstanceShape = { processes: 2, mules: 0, spoolers: ['/srv/spool'], farms: new Map() };
  const spoolers: SignalPeer[] = [
    { id: 1, pid: 401, pending: 2 },
    { id: 2, pid: 402, pending: 0 },
  ];
  const pick = { worker: () => undefined, mule: () => undefined };
  const target = parseSignalTarget('spooler');
  assert.ok(target);
  assert.deepEqual(resolveTarget(target, 17, { workers: peers, mules: [], spoolers }, withSpoolers, pick), {
    deliver: 'workers',
    pids: [402],
  });
  assert.deepEqual(
    resolveTarget(target, 17, { workers: peers, mules: [], spoolers: [] }, withSpoolers, pick),
    {
      deliver: 'nowhere',
      lines: ['could not deliver signal 17 to the spooler'],
    },
  );
});
