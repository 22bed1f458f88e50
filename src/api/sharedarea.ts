// SharedArea from an app (uWSGI: `uwsgi.sharedarea_read(id, pos, len)`, `sharedarea_write`,
// `sharedarea_read8..64`, `sharedarea_write8..64`, `sharedarea_inc8..64`, `sharedarea_dec8..64`,
// `sharedarea_wait`, `sharedarea_rlock/wlock/unlock`): memory pages every worker of the instance
// reads and writes, configured with `sharedarea = PAGES` (4 KB each), one per option, ids from 0.

import { UwsgiError } from '../errors.js';
import { callRuntime, type SharedareaAccess } from './runtime.js';

type Width = 8 | 16 | 32 | 64;

/**
 * One sharedarea. Every method takes the area's lock for the time of the call (so a reader never
 * sees half a write); `lock()`/`unlock()` hold it across several calls.
 *
 * @example
 * ```ts
 * import { sharedarea } from 'uwsgi-ts';
 * const area = sharedarea(0);
 * area.write(0, 'hello');
 * area.inc(64, 8);            // a shared 64-bit counter at byte 8
 * area.read(0, 5).toString(); // 'hello'
 * ```
 */
export class SharedareaView {
  constructor(
    readonly id: number,
    private readonly area: SharedareaAccess,
  ) {}

  /** Size in bytes. */
  get size(): number {
    return this.area.size;
  }

  /** A copy of `length` bytes from `pos` (default: all of it). */
  read(pos = 0, length?: number): Buffer {
    return this.area.read(pos, length);
  }

  /** Writes bytes (a string as UTF-8) at `pos`; returns how many. */
  write(pos: number, data: Uint8Array | string): number {
    return this.area.write(pos, data);
  }

  /** The unsigned little-endian integer of `bits` at `pos` (64 bits: a bigint). */
  readInt(bits: Width, pos: number): number | bigint {
    return this.area.readInt(bits, pos);
  }

  writeInt(bits: Width, pos: number, value: number | bigint): void {
    this.area.writeInt(bits, pos, value);
  }

  /** Adds `amount` (default 1) to the integer at `pos`, atomically for the instance; returns the new value. */
  inc(bits: Width, pos: number, amount: number | bigint = 1): number | bigint {
    return this.area.add(bits, pos, amount);
  }

  /** Subtracts `amount` (default 1); returns the new value. */
  dec(bits: Width, pos: number, amount: number | bigint = 1): number | bigint {
    return this.area.add(bits, pos, typeof amount === 'bigint' ? -amount : -amount);
  }

  /**
   * Resolves true at the next write by any process, false after `timeoutMs` (0: no limit). Polls
   * every `everyMs` (uWSGI's `sharedarea_wait(id, freq, timeout)`), without blocking the worker.
   */
  wait(timeoutMs = 0, everyMs = 10): Promise<boolean> {
    const start = this.area.updates();
    const until = timeoutMs > 0 ? Date.now() + timeoutMs : Number.POSITIVE_INFINITY;
    return new Promise((resolve) => {
      const poll = () => {
        if (this.area.updates() !== start) return resolve(true);
        if (Date.now() >= until) return resolve(false);
        setTimeout(poll, everyMs);
      };
      poll();
    });
  }

  /** Holds the area's lock across several calls (uWSGI's `sharedarea_wlock`): never await inside. */
  lock(): void {
    this.area.lock.lock();
  }

  unlock(): void {
    this.area.lock.unlock();
  }
}

/** SharedArea `id` (default 0): throws ERR_API_BAD_ARGUMENT when the instance has no such area. */
export function sharedarea(id = 0): SharedareaView {
  if (!Number.isInteger(id) || id < 0) {
    throw new UwsgiError(
      'ERR_API_BAD_ARGUMENT',
      `sharedarea(): the id must be an integer >= 0, got ${String(id)}`,
    );
  }
  return new SharedareaView(id, callRuntime('sharedarea', id));
}
