// The native part of shared memory (native/shm.c, built by node-gyp at `npm install`): a memfd,
// its MAP_SHARED mapping as an ArrayBuffer, and futex wait/wake. Loaded once; when the addon was
// not built, `nativeShm()` says why and the instance falls back (src/shared/region.ts).

import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export interface ShmBinding {
  /** An anonymous memory file of `size` zeroed bytes; returns its fd. */
  create(size: number): number;
  /** Maps `size` bytes of `fd` shared; the ArrayBuffer lives as long as the process. */
  map(fd: number, size: number): ArrayBuffer;
  /** 0 woken, 1 timed out, 2 the word was not `expected`, 3 interrupted by a signal. */
  wait(buffer: ArrayBuffer, byteOffset: number, expected: number, timeoutMs: number): number;
  /** Wakes up to `count` waiters; returns how many woke. */
  wake(buffer: ArrayBuffer, byteOffset: number, count: number): number;
}

/** Where node-gyp puts the addon: build/Release under the package root. */
export const ADDON_PATH = fileURLToPath(new URL('../../build/Release/uwsgi_ts_shm.node', import.meta.url));

let loaded: { binding: ShmBinding } | { error: string } | undefined;

function isBinding(value: unknown): value is ShmBinding {
  const v = value as Partial<Record<keyof ShmBinding, unknown>> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.create === 'function' &&
    typeof v.map === 'function' &&
    typeof v.wait === 'function' &&
    typeof v.wake === 'function'
  );
}

/** The addon, or the reason it cannot be used. */
export function nativeShm(): { binding: ShmBinding } | { error: string } {
  if (loaded) return loaded;
  // for trying the fallback (and testing it) on a machine where the addon is built
  if (process.env['UWSGI_TS_NO_SHM'] === '1') {
    loaded = { error: 'the shared memory addon is turned off (UWSGI_TS_NO_SHM=1)' };
    return loaded;
  }
  if (process.platform !== 'linux') {
    loaded = { error: `shared memory needs Linux (this is ${process.platform})` };
    return loaded;
  }
  try {
    const value: unknown = createRequire(import.meta.url)(ADDON_PATH);
    loaded = isBinding(value) ? { binding: value } : { error: `${ADDON_PATH} is not the uwsgi-ts addon` };
  } catch (err) {
    loaded = {
      error: `the shared memory addon was not built (${ADDON_PATH}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}); run \`npm rebuild uwsgi-ts\` with python3, make and a C compiler`,
    };
  }
  return loaded;
}
