// A readers-writer lock shared by every process of an instance: the cache's lock (uWSGI takes a
// read lock for cache_get and a write lock to change the cache, so readers never wait for each
// other). One int32 word in the shared region holds the number of readers and two flags; the pid
// of the writer is kept beside it, as SharedLock keeps its holder's, so a writer that died holding
// it (harakiri) is taken over. Taking a free lock is one compare-and-swap; only a process that must
// wait calls into the addon (futex wait on the word).
//
// Measured with two workers answering every request from one cache key (bench/cache-route.mjs):
// with the exclusive SharedLock about one get in six found the other worker inside the lock and
// slept in the kernel, and when the holder was preempted (wrk and two workers on two cores) the
// waiter slept until it ran again.

import type { SharedRegion } from '../shared/region.js';
import { alive, LOCK_BYTES } from './shared-lock.js';

export { LOCK_BYTES };

/** A writer holds the lock. */
const WRITER = 1 << 30;
/** Someone sleeps on the word: whoever releases it wakes everyone (who then race again). */
const WAITING = 1 << 29;
const READERS = WAITING - 1;
/** How long a waiter sleeps before it checks that the writer is still alive. */
const CHECK_MS = 200;
const EVERYONE = 0x7fffffff;
const PID = process.pid;

export class SharedRwLock {
  private readonly word: number;
  private readonly owner: number;

  constructor(
    private readonly region: SharedRegion,
    /** Byte offset of the lock in the region (4-aligned, LOCK_BYTES long). */
    readonly offset: number,
  ) {
    this.word = offset >> 2;
    this.owner = this.word + 1;
  }

  /** Shared: any number of readers at once, none while a writer holds or waits for the lock. */
  rdlock(): void {
    const i32 = this.region.i32;
    for (;;) {
      const s = Atomics.load(i32, this.word);
      if ((s & (WRITER | WAITING)) === 0) {
        if (Atomics.compareExchange(i32, this.word, s, s + 1) === s) return;
        continue;
      }
      this.sleep(s);
    }
  }

  rdunlock(): void {
    const i32 = this.region.i32;
    const s = Atomics.sub(i32, this.word, 1) - 1;
    // the last reader out wakes the writer (and the readers queued behind it)
    if ((s & READERS) === 0 && (s & WAITING) !== 0) this.release(s);
  }

  /** Exclusive (every change to the cache). */
  lock(): void {
    const i32 = this.region.i32;
    for (;;) {
      const s = Atomics.load(i32, this.word);
      if ((s & ~WAITING) === 0) {
        if (Atomics.compareExchange(i32, this.word, s, s | WRITER) === s) break;
        continue;
      }
      this.sleep(s);
    }
    Atomics.store(i32, this.owner, PID);
  }

  /** Takes the exclusive lock only if it is free. */
  tryLock(): boolean {
    const i32 = this.region.i32;
    if (Atomics.compareExchange(i32, this.word, 0, WRITER) !== 0) return false;
    Atomics.store(i32, this.owner, PID);
    return true;
  }

  unlock(): void {
    const i32 = this.region.i32;
    Atomics.store(i32, this.owner, 0);
    const s = Atomics.exchange(i32, this.word, 0);
    if ((s & WAITING) !== 0) this.region.native?.wake(this.region.buffer, this.word * 4, EVERYONE);
  }

  /** The writer's pid, 0 when no writer holds it (stats `locks`; readers are not named). */
  holder(): number {
    return (Atomics.load(this.region.i32, this.word) & WRITER) === 0
      ? 0
      : Atomics.load(this.region.i32, this.owner);
  }

  /** Marks the word as waited on and sleeps until it changes (or CHECK_MS passes). */
  private sleep(s: number): void {
    const native = this.region.native;
    if (!native) {
      // a private region lives in one process: nobody else can release it
      throw new Error(`lock at ${this.offset} is already held by this process`);
    }
    const i32 = this.region.i32;
    const waited = s | WAITING;
    if (s !== waited && Atomics.compareExchange(i32, this.word, s, waited) !== s) return;
    if (native.wait(this.region.buffer, this.word * 4, waited, CHECK_MS) === 1) this.reapDeadWriter();
  }

  /** Clears the waiting flag of `s` (no reader, no writer left) and wakes every sleeper. */
  private release(s: number): void {
    if (Atomics.compareExchange(this.region.i32, this.word, s, s & ~WAITING) === s)
      this.region.native?.wake(this.region.buffer, this.word * 4, EVERYONE);
  }

  /** The writer died with the lock: free it, once, for whoever gets there first. */
  private reapDeadWriter(): void {
    const i32 = this.region.i32;
    const s = Atomics.load(i32, this.word);
    if ((s & WRITER) === 0) return;
    const pid = Atomics.load(i32, this.owner);
    if (pid === 0 || pid === PID || alive(pid)) return;
    if (Atomics.compareExchange(i32, this.owner, pid, 0) !== pid) return;
    Atomics.store(i32, this.word, 0);
    this.region.native?.wake(this.region.buffer, this.word * 4, EVERYONE);
  }
}
