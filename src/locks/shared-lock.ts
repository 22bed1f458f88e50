// A lock shared by every process of an instance (uWSGI's `locks`, reference §2.9): a futex word
// in the shared region. Taking a free lock is one compare-and-swap in JS; only a process that must
// wait calls into the addon. The holder's pid is kept beside the word, so a lock whose holder died
// (killed by harakiri while holding it, say) is taken over instead of blocking everyone forever.

import type { SharedRegion } from '../shared/region.js';

/** Bytes a lock takes in the region: the futex word and the holder's pid. */
export const LOCK_BYTES = 8;

const FREE = 0;
const LOCKED = 1;
/** Locked, and someone may be waiting: unlock must wake. */
const CONTENDED = 2;
/** How long a waiter sleeps before it checks that the holder is still alive. */
const CHECK_MS = 200;
/** Read once: `process.pid` is a getter, and lock() is on every cache operation's path. */
const PID = process.pid;

/** Whether process `pid` still exists (EPERM: it does, as another user's). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class SharedLock {
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

  /** Takes the lock, waiting as long as it takes (the event loop waits too, as in uWSGI). */
  lock(): void {
    const i32 = this.region.i32;
    let c = Atomics.compareExchange(i32, this.word, FREE, LOCKED);
    if (c !== FREE) {
      const native = this.region.native;
      if (!native) {
        // a private region lives in one process: nobody else can release it
        throw new Error(`lock at ${this.offset} is already held by this process`);
      }
      do {
        if (c === CONTENDED || Atomics.compareExchange(i32, this.word, LOCKED, CONTENDED) !== FREE) {
          if (native.wait(this.region.buffer, this.word * 4, CONTENDED, CHECK_MS) === 1) this.reapDeadOwner();
        }
        c = Atomics.compareExchange(i32, this.word, FREE, CONTENDED);
      } while (c !== FREE);
    }
    Atomics.store(i32, this.owner, PID);
  }

  /** Takes the lock only if it is free. */
  tryLock(): boolean {
    if (Atomics.compareExchange(this.region.i32, this.word, FREE, LOCKED) !== FREE) return false;
    Atomics.store(this.region.i32, this.owner, PID);
    return true;
  }

  unlock(): void {
    const i32 = this.region.i32;
    Atomics.store(i32, this.owner, 0);
    if (Atomics.sub(i32, this.word, 1) !== LOCKED) {
      Atomics.store(i32, this.word, FREE);
      this.region.native?.wake(this.region.buffer, this.word * 4, 1);
    }
  }

  /** The pid holding the lock, 0 when free (stats `locks`). */
  holder(): number {
    return Atomics.load(this.region.i32, this.word) === FREE ? 0 : Atomics.load(this.region.i32, this.owner);
  }

  /** The holder died with the lock: free it, once, for whoever gets there first. */
  private reapDeadOwner(): void {
    const i32 = this.region.i32;
    const pid = Atomics.load(i32, this.owner);
    if (pid === 0 || pid === PID || alive(pid)) return;
    if (Atomics.compareExchange(i32, this.owner, pid, 0) !== pid) return;
    Atomics.store(i32, this.word, FREE);
    this.region.native?.wake(this.region.buffer, this.word * 4, 1);
  }
}
