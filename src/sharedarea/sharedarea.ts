// SharedArea (uWSGI 2.0 `sharedarea`): pages of memory every process of the instance reads and
// writes, each area with its own lock (listed as `sharedareaN` in the stats' locks) and an update
// counter that `wait()` watches. Values are little-endian at byte positions, as a C reader of the
// same memory would see them on x86.

import { formatOrigin } from '../config/entry.js';
import type { Config } from '../config/resolve.js';
import { UwsgiError } from '../errors.js';
import { LOCK_BYTES, SharedLock } from '../locks/shared-lock.js';
import type { LayoutBuilder } from '../shared/layout.js';
import type { SharedRegion } from '../shared/region.js';

/** uWSGI counts areas in pages of the system page size. */
export const PAGE_SIZE = 4096;

export interface SharedareaPlan {
  readonly id: number;
  readonly pages: number;
  readonly size: number;
  /** The lock (LOCK_BYTES), then the update counter (8 bytes), then the data. */
  readonly offset: number;
}

const HEADER = 64;

/** `sharedarea = N` (pages) or `pages=N` / `size=BYTES`; the other keys of uWSGI map files or fds. */
export function planSharedareas(config: Config, layout: LayoutBuilder): SharedareaPlan[] {
  return config.all('sharedarea').map((option, id) => {
    const where = formatOrigin(option.origin);
    const text = String(option.value).trim();
    let size: number;
    if (/^[0-9]+$/.test(text)) size = Number(text) * PAGE_SIZE;
    else {
      const keys = new Map(
        text.split(',').map((kv) => {
          const eq = kv.indexOf('=');
          return [eq < 0 ? kv : kv.slice(0, eq), eq < 0 ? '' : kv.slice(eq + 1)] as const;
        }),
      );
      for (const key of keys.keys()) {
        if (key !== 'pages' && key !== 'size')
          throw new UwsgiError(
            'ERR_CONFIG_BAD_VALUE',
            `sharedarea "${text}" (${where}): "${key}" is not supported (uwsgi-ts areas are memory: pages=N or size=BYTES)`,
          );
      }
      const pages = keys.get('pages');
      const bytes = keys.get('size');
      size = pages !== undefined ? Number(pages) * PAGE_SIZE : Number(bytes);
    }
    if (!Number.isInteger(size) || size <= 0)
      throw new UwsgiError(
        'ERR_CONFIG_BAD_VALUE',
        `sharedarea "${text}" (${where}): give a number of pages > 0`,
      );
    const block = layout.reserve(`sharedarea${id}`, HEADER + size);
    return { id, pages: Math.ceil(size / PAGE_SIZE), size, offset: block.offset };
  });
}

function checkRange(area: SharedareaPlan, pos: number, length: number): void {
  if (
    !Number.isInteger(pos) ||
    pos < 0 ||
    !Number.isInteger(length) ||
    length < 0 ||
    pos + length > area.size
  ) {
    throw new UwsgiError(
      'ERR_API_BAD_ARGUMENT',
      `sharedarea ${area.id}: ${length} bytes at ${pos} do not fit in its ${area.size} bytes`,
    );
  }
}

type Width = 8 | 16 | 32 | 64;
const BYTES: Readonly<Record<Width, number>> = { 8: 1, 16: 2, 32: 4, 64: 8 };

export class Sharedarea {
  readonly lock: SharedLock;
  private readonly data: number;
  private readonly updatesAt: number;

  constructor(
    readonly plan: SharedareaPlan,
    private readonly region: SharedRegion,
  ) {
    this.lock = new SharedLock(region, plan.offset);
    this.updatesAt = (plan.offset + LOCK_BYTES) >> 2;
    this.data = plan.offset + HEADER;
  }

  get size(): number {
    return this.plan.size;
  }

  /**
   * Where the area's bytes sit in the region's memfd, for a process that maps them itself
   * (Python's uwsgi.sharedarea_memoryview); undefined when the region is private (no addon).
   */
  mapping(): { readonly fd: number; readonly offset: number; readonly size: number } | undefined {
    return this.region.fd === undefined
      ? undefined
      : { fd: this.region.fd, offset: this.data, size: this.plan.size };
  }

  /** A copy of `length` bytes at `pos` (default: to the end). */
  read(pos = 0, length = this.plan.size - pos): Buffer {
    checkRange(this.plan, pos, length);
    this.lock.lock();
    try {
      return Buffer.from(this.region.bytes.subarray(this.data + pos, this.data + pos + length));
    } finally {
      this.lock.unlock();
    }
  }

  /** Writes `data` (bytes, or a string as UTF-8) at `pos`; returns the number of bytes written. */
  write(pos: number, data: Uint8Array | string): number {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    checkRange(this.plan, pos, bytes.length);
    this.lock.lock();
    try {
      this.region.bytes.set(bytes, this.data + pos);
      this.touched();
    } finally {
      this.lock.unlock();
    }
    return bytes.length;
  }

  /** An unsigned integer of `bits` at `pos` (64 bits: a bigint). */
  readInt(bits: Width, pos: number): number | bigint {
    checkRange(this.plan, pos, BYTES[bits]);
    this.lock.lock();
    try {
      return this.get(bits, pos);
    } finally {
      this.lock.unlock();
    }
  }

  writeInt(bits: Width, pos: number, value: number | bigint): void {
    checkRange(this.plan, pos, BYTES[bits]);
    this.lock.lock();
    try {
      this.set(bits, pos, value);
      this.touched();
    } finally {
      this.lock.unlock();
    }
  }

  /** Adds `amount` (negative to subtract) to the integer at `pos`, wrapping; returns the new value. */
  add(bits: Width, pos: number, amount: number | bigint): number | bigint {
    checkRange(this.plan, pos, BYTES[bits]);
    this.lock.lock();
    try {
      const now = this.get(bits, pos);
      const next =
        bits === 64
          ? BigInt.asUintN(64, BigInt(now) + BigInt(amount))
          : wrap(bits, Number(now) + Number(amount));
      this.set(bits, pos, next);
      this.touched();
      return next;
    } finally {
      this.lock.unlock();
    }
  }

  /** How many writes the area has had (what `wait()` watches). */
  updates(): number {
    return Atomics.load(this.region.i32, this.updatesAt);
  }

  private touched(): void {
    Atomics.add(this.region.i32, this.updatesAt, 1);
  }

  private get(bits: Width, pos: number): number | bigint {
    const view = this.region.view;
    const at = this.data + pos;
    switch (bits) {
      case 8:
        return view.getUint8(at);
      case 16:
        return view.getUint16(at, true);
      case 32:
        return view.getUint32(at, true);
      case 64:
        return view.getBigUint64(at, true);
    }
  }

  private set(bits: Width, pos: number, value: number | bigint): void {
    const view = this.region.view;
    const at = this.data + pos;
    switch (bits) {
      case 8:
        view.setUint8(at, wrap(8, Number(value)));
        return;
      case 16:
        view.setUint16(at, wrap(16, Number(value)), true);
        return;
      case 32:
        view.setUint32(at, wrap(32, Number(value)), true);
        return;
      case 64:
        view.setBigUint64(at, BigInt.asUintN(64, BigInt(value)), true);
        return;
    }
  }
}

function wrap(bits: 8 | 16 | 32, value: number): number {
  const mod = 2 ** bits;
  return ((Math.trunc(value) % mod) + mod) % mod;
}
