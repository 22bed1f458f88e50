// The cache's readers-writer lock across real processes: writers exclude each other and the
// readers (2 writers x 5,000 increments exact, 2 readers never see a half-done write), readers
// share it, and a writer killed holding it does not block the others forever.
import assert from 'node:assert/strict';
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { SharedRwLock } from '../../../src/locks/shared-rwlock.js';
import { createRegion } from '../../../src/shared/region.js';

const CHILD = new URL('../../fixtures/shared/rwlock-child.mjs', import.meta.url).pathname;
const SIZE = 4096;

function child(fd: number, times: number, mode: string): ChildProcess {
  return fork(CHILD, [String(SIZE), String(times), mode], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc', 'ignore', 'ignore', fd],
  });
}

test('2 writers and 2 readers: every write counted, no reader sees a torn write', {
  timeout: 60_000,
}, async () => {
  const { region, warning } = createRegion({ size: SIZE, blocks: {} });
  assert.equal(warning, undefined, 'the addon is built');
  const kids = [
    child(region.fd ?? -1, 5_000, 'write'),
    child(region.fd ?? -1, 20_000, 'read'),
    child(region.fd ?? -1, 5_000, 'write'),
    child(region.fd ?? -1, 20_000, 'read'),
  ];
  const reports = await Promise.all(kids.map((k) => once(k, 'message')));
  await Promise.all(kids.map((k) => (k.exitCode === null ? once(k, 'exit') : undefined)));
  assert.deepEqual(
    reports.map(([r]) => (r as { torn: number }).torn),
    [0, 0, 0, 0],
  );
  assert.equal(region.view.getUint32(64, true), 10_000);
  assert.equal(region.view.getUint32(68, true), 10_000);
  const lock = new SharedRwLock(region, 0);
  assert.equal(lock.holder(), 0, 'free at the end');
  assert.equal(lock.tryLock(), true);
  lock.unlock();
});

test('readers share the lock; a writer waits for them', () => {
  const { region } = createRegion({ size: SIZE, blocks: {} });
  const lock = new SharedRwLock(region, 0);
  lock.rdlock();
  lock.rdlock();
  assert.equal(lock.tryLock(), false, 'readers inside');
  lock.rdunlock();
  assert.equal(lock.tryLock(), false, 'one reader still inside');
  lock.rdunlock();
  assert.equal(lock.tryLock(), true);
  assert.equal(lock.holder(), process.pid);
  lock.unlock();
  assert.equal(lock.holder(), 0);
});

test('a write lock whose holder was killed is taken over', { timeout: 30_000 }, async () => {
  const { region } = createRegion({ size: SIZE, blocks: {} });
  const holder = child(region.fd ?? -1, 0, 'die-writing');
  await once(holder, 'message');
  const lock = new SharedRwLock(region, 0);
  assert.equal(lock.holder(), holder.pid);
  holder.kill('SIGKILL');
  await once(holder, 'exit');
  const reader = child(region.fd ?? -1, 3, 'read');
  const writer = child(region.fd ?? -1, 5, 'write');
  const [[r], [w]] = await Promise.all([once(reader, 'message'), once(writer, 'message')]);
  assert.deepEqual([r, w], [{ torn: 0 }, { torn: 0 }]);
  assert.equal(region.view.getUint32(64, true), 5);
});
