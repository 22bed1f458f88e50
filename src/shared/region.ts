// An instance's shared memory region: created by the master (a memfd the workers inherit at a
// fixed fd) and mapped by every process. With the addon missing, `createRegion` gives a private
// ArrayBuffer: the master still runs the shared services in it and the workers reach them over IPC
// (src/shared/remote-services.ts).

import type { Layout } from './layout.js';
import { nativeShm, type ShmBinding } from './native-shm.js';

/** The fd at which a worker finds the region (the master puts it there with the fork's stdio). */
export const REGION_FD = 6;

export class SharedRegion {
  readonly bytes: Uint8Array;
  readonly i32: Int32Array;
  readonly view: DataView;

  constructor(
    readonly buffer: ArrayBuffer,
    readonly layout: Layout,
    /** The memfd (master) or REGION_FD (worker); undefined for a private region. */
    readonly fd: number | undefined,
    readonly native: ShmBinding | undefined,
  ) {
    this.bytes = new Uint8Array(buffer);
    this.i32 = new Int32Array(buffer, 0, Math.floor(buffer.byteLength / 4));
    this.view = new DataView(buffer);
  }

  /** True when other processes see this memory (the addon is there). */
  get shared(): boolean {
    return this.native !== undefined;
  }
}

/** The master's region: shared when the addon is built, private (with the reason) otherwise. */
export function createRegion(layout: Layout): { region: SharedRegion; warning?: string } {
  const shm = nativeShm();
  if ('error' in shm) {
    return {
      region: new SharedRegion(new ArrayBuffer(layout.size), layout, undefined, undefined),
      warning: shm.error,
    };
  }
  const fd = shm.binding.create(layout.size);
  return { region: new SharedRegion(shm.binding.map(fd, layout.size), layout, fd, shm.binding) };
}

/** A worker's view of the master's region, at REGION_FD. */
export function openRegion(layout: Layout): SharedRegion {
  const shm = nativeShm();
  if ('error' in shm) throw new Error(shm.error);
  return new SharedRegion(shm.binding.map(REGION_FD, layout.size), layout, REGION_FD, shm.binding);
}
