// The shared lock across real processes: 4 children increment a plain counter 10,000 times each
// under it (final value exact); a holder killed with -9 does not block the others forever.
import assert from 'node:assert/strict';
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { SharedLock } from '../../../src/locks/shared-lock.js';
import { createRegion } from '../../../src/shared/region.js';

const CHILD = new URL('../../fixtures/shared/lock-child.mjs', import.meta.url).pathname;
const SIZE = 4096;

function child(fd: number, times: number, mode = 'count'): ChildProcess {
  return fork(CHILD, [String(SIZE), String(times), mode], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc', 'ignore', 'ignore', fd],
  });
}

test('4 processes x 10,000 locked increments of a plain counter: exactly 40,000', {
  timeout: 30_000,
}, async () => {
  const { region, warning } = createRegion({ size: SIZE, blocks: {} });
  assert.equal(warning, undefined, 'the addon is built');
  const kids = Array.from({ length: 4 }, () => child(region.fd ?? -1, 10_000));
  await Promise.all(kids.map((k) => once(k, 'exit')));
  assert.equal(region.view.getUint32(64, true), 40_000);
  assert.equal(new SharedLock(region, 0).holder(), 0, 'free at the end');
});

test('a lock whose holder was killed is taken over', { timeout: 30_000 }, async () => {
  const { region } = createRegion({ size: SIZE, blocks: {} });
  const holder = child(region.fd ?? -1, 0, 'die-holding');
  await once(holder, 'message');
  const lock = new SharedLock(region, 0);
  assert.equal(lock.holder(), holder.pid);
  assert.equal(lock.tryLock(), false);
  holder.kill('SIGKILL');
  await once(holder, 'exit');
  const waiter = child(region.fd ?? -1, 5);
  const [code] = await once(waiter, 'exit');
  assert.equal(code, 0);
  assert.equal(region.view.getUint32(64, true), 5);
});
