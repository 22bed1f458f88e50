// The layout of an instance's shared memory: each subsystem reserves named blocks at start-up
// (caches, sharedareas, locks, worker slots); the master sizes the region from it and every worker
// receives the same layout in its plan, so an offset means the same thing in every process.

export interface Block {
  readonly offset: number;
  readonly size: number;
}

export interface Layout {
  readonly size: number;
  readonly blocks: Readonly<Record<string, Block>>;
}

/** 64 bytes: one cache line, so locks and counters of different blocks never share one. */
const ALIGN = 64;

export class LayoutBuilder {
  private size = 0;
  private readonly blocks: Record<string, Block> = {};

  /** Reserves `size` bytes under `name` (unique); returns the block. */
  reserve(name: string, size: number): Block {
    if (name in this.blocks) throw new Error(`shared memory block ${name} reserved twice`);
    const block = { offset: this.size, size };
    this.blocks[name] = block;
    this.size += Math.ceil(Math.max(size, 1) / ALIGN) * ALIGN;
    return block;
  }

  build(): Layout {
    return { size: Math.max(this.size, ALIGN), blocks: { ...this.blocks } };
  }
}

/** A block of a layout, or a clear error when a process was given another layout. */
export function blockOf(layout: Layout, name: string): Block {
  const block = layout.blocks[name];
  if (!block) throw new Error(`shared memory block ${name} is not in this instance's layout`);
  return block;
}
