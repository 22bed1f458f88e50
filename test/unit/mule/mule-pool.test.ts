// The master's mule pool with fake processes: spawn lines, respawn of a dead mule (paced when it
// died at once), messages by id and to the next programmed mule, a stop that waits for the exit
// and logs uWSGI's line, SIGKILL after the mercy.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import type { MuleSpec } from '../../../src/mule/mule-config.js';
import { MulePool, type MuleProcess } from '../../../src/mule/mule-pool.js';

class FakeMule extends EventEmitter implements MuleProcess {
  readonly sent: unknown[] = [];
  readonly signals: string[] = [];
  constructor(
    readonly pid: number,
    private readonly obey = true,
  ) {
    super();
  }
  send(message: unknown): boolean {
    this.sent.push(message);
    if (this.obey && (message as { t?: string }).t === 'stop') setImmediate(() => this.emit('exit', 0, null));
    return true;
  }
  kill(signal: NodeJS.Signals = 'SIGTERM'): boolean {
    this.signals.push(signal);
    setImmediate(() => this.emit('exit', null, signal));
    return true;
  }
}

function pool(specs: MuleSpec[], obey = true) {
  const lines: string[] = [];
  const spawned: FakeMule[] = [];
  let pid = 100;
  const timers: Array<() => void> = [];
  const p = new MulePool({
    specs,
    spawn: () => {
      const m = new FakeMule(++pid, obey);
      spawned.push(m);
      return m;
    },
    mercyMs: 1000,
    log: (line) => lines.push(line),
    clock: {
      setTimeout: (fn) => {
        timers.push(fn);
        return {};
      },
    },
  });
  return { p, lines, spawned, timers };
}

const specs: MuleSpec[] = [
  { id: 1, script: 'a.mjs' },
  { id: 2, script: undefined },
  { id: 3, script: 'b.mjs' },
];

test('spawns every mule with its line; messages go by id or to the programmed mules in turn', () => {
  const { p, lines, spawned } = pool(specs);
  p.start();
  assert.deepEqual(lines, [
    'spawned uWSGI mule 1 (pid: 101)',
    'spawned uWSGI mule 2 (pid: 102)',
    'spawned uWSGI mule 3 (pid: 103)',
  ]);
  assert.deepEqual(p.serving(), [
    { id: 1, pid: 101 },
    { id: 2, pid: 102 },
    { id: 3, pid: 103 },
  ]);
  assert.equal(p.send(2, 'x'), true);
  assert.equal(p.send(4, 'x'), false);
  assert.deepEqual([p.sendAnyProgrammed('m'), p.sendAnyProgrammed('m'), p.sendAnyProgrammed('m')], [1, 3, 1]);
  assert.deepEqual(spawned[1]?.sent, ['x']);
  assert.equal(p.sendToPid(103, 's'), true);
  assert.equal(p.sendToPid(999, 's'), false);
});

test('a dead mule is respawned with uWSGI line; one that died at once waits for the pause', () => {
  const { p, lines, spawned, timers } = pool([{ id: 1, script: undefined }]);
  p.start();
  spawned[0]?.emit('exit', 1, null);
  assert.equal(lines[1], 'OOOPS mule 1 (pid: 101) crippled...trying respawn...');
  // it lived less than a second: the respawn waits on a timer
  assert.equal(spawned.length, 1);
  assert.deepEqual(p.serving(), []);
  timers.shift()?.();
  assert.equal(spawned.length, 2);
  assert.equal(lines[2], 'spawned uWSGI mule 1 (pid: 102)');
});

test('stop asks each mule to exit and logs the annihilated line; no respawn after', async () => {
  const { p, lines, spawned } = pool(specs.slice(0, 2));
  p.start();
  await p.stop();
  assert.deepEqual(lines.slice(2).sort(), ['mule 1 (pid: 101) annihilated', 'mule 2 (pid: 102) annihilated']);
  assert.deepEqual(spawned[0]?.sent, [{ t: 'stop' }]);
  assert.equal(spawned.length, 2);
});

test('a mule that ignores stop is killed after the mercy', async () => {
  const { p, lines, spawned, timers } = pool([{ id: 1, script: 'a.mjs' }], false);
  p.start();
  const stopped = p.stop();
  assert.equal(timers.length, 1);
  timers.shift()?.();
  await stopped;
  assert.deepEqual(spawned[0]?.signals, ['SIGKILL']);
  assert.equal(lines.at(-1), 'mule 1 (pid: 101) annihilated');
});

test('reload replaces every mule', async () => {
  const { p, spawned } = pool(specs.slice(0, 2));
  p.start();
  await p.reload();
  assert.equal(spawned.length, 4);
  assert.deepEqual(p.serving(), [
    { id: 1, pid: 103 },
    { id: 2, pid: 104 },
  ]);
});
