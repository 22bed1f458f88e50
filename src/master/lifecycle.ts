// The master's lifecycle as one state machine: every trigger (SIGHUP, touch-*, fs-*, the FIFO,
// --reload, a recycle, SIGTERM...) becomes a request here, and one operation runs at a time.
// - A stop (graceful or brutal) takes over at once: queued operations are dropped, the running one
//   is abandoned at its next step (the supervisor fails what it waits for), a brutal stop during a
//   graceful one escalates it.
// - A reload of a kind already queued is merged into the queued one (one reload serves both
//   triggers: it re-reads the config when it starts, so it sees every change made before it).
// - A graceful or brutal reload requested during a chain reload abandons the chain after the
//   worker being replaced (the full reload replaces them all anyway); otherwise requests queue.
// Operations never throw out of here: a failure is logged with its code and the master goes on.

export const LIFECYCLE_OPS = [
  'reload',
  'chain-reload',
  'brutal-reload',
  'mules-reload',
  'stop',
  'kill',
] as const;
export type LifecycleOp = (typeof LIFECYCLE_OPS)[number];

export interface LifecycleActions {
  /** Graceful reload: re-read the config, new workers first, then the old ones drain; the mules restart. */
  reload(): Promise<void>;
  /** One worker at a time; stops early when `abandon()` turns true. */
  chainReload(abandon: () => boolean): Promise<void>;
  brutalReload(): Promise<void>;
  mulesReload(): Promise<void>;
  /** Stops the instance (`graceful`: drain with the mercy; else at once). Resolves when it is down. */
  stop(graceful: boolean): Promise<void>;
  log(line: string): void;
}

/** What a new request does to a running operation: a full reload cuts a chain reload short. */
const ABANDONS: Readonly<Record<LifecycleOp, readonly LifecycleOp[]>> = {
  reload: ['chain-reload'],
  'brutal-reload': ['chain-reload'],
  'chain-reload': [],
  'mules-reload': [],
  stop: [],
  kill: [],
};

export class Lifecycle {
  private running: LifecycleOp | undefined;
  private abandoned = false;
  private readonly queue: Array<Exclude<LifecycleOp, 'stop' | 'kill'>> = [];
  private stopping: 'stop' | 'kill' | undefined;
  private stopped: Promise<void> | undefined;

  constructor(private readonly actions: LifecycleActions) {}

  /** The operation running now (for logs and tests). */
  get current(): LifecycleOp | undefined {
    return this.running;
  }

  get isStopping(): boolean {
    return this.stopping !== undefined;
  }

  /** Asks for `op`; returns how it was taken: 'started', 'queued', 'merged' or 'ignored' (stopping). */
  request(op: LifecycleOp): 'started' | 'queued' | 'merged' | 'ignored' {
    if (op === 'stop' || op === 'kill') return this.requestStop(op);
    return this.requestReload(op);
  }

  private requestReload(
    op: Exclude<LifecycleOp, 'stop' | 'kill'>,
  ): 'started' | 'queued' | 'merged' | 'ignored' {
    if (this.stopping) return 'ignored';
    if (this.queue.includes(op)) {
      this.actions.log(`${op} requested while one is queued: merged into it`);
      return 'merged';
    }
    if (this.running !== undefined && ABANDONS[op].includes(this.running)) this.abandoned = true;
    this.queue.push(op);
    if (this.running !== undefined) {
      this.actions.log(`${op} requested while a ${this.running} runs: queued`);
      return 'queued';
    }
    void this.next();
    return 'started';
  }

  private requestStop(op: 'stop' | 'kill'): 'started' | 'ignored' {
    if (this.stopping === 'kill' || this.stopping === op) return 'ignored';
    const escalate = this.stopping === 'stop';
    this.stopping = op;
    this.queue.length = 0;
    this.abandoned = true;
    const done = this.run(() => this.actions.stop(op === 'stop'), op);
    // the first stop decides when the instance is down; a brutal one during it only hurries it
    if (!escalate) this.stopped = done;
    return 'started';
  }

  /** Resolves once a stop has completed. */
  whenStopped(): Promise<void> | undefined {
    return this.stopped;
  }

  private async next(): Promise<void> {
    while (this.running === undefined && !this.stopping) {
      const op = this.queue.shift();
      if (op === undefined) return;
      this.running = op;
      this.abandoned = false;
      await this.run(() => this.perform(op), op);
      this.running = undefined;
    }
  }

  private perform(op: Exclude<LifecycleOp, 'stop' | 'kill'>): Promise<void> {
    switch (op) {
      case 'reload':
        return this.actions.reload();
      case 'chain-reload':
        return this.actions.chainReload(() => this.abandoned || this.stopping !== undefined);
      case 'brutal-reload':
        return this.actions.brutalReload();
      case 'mules-reload':
        return this.actions.mulesReload();
    }
  }

  private async run(fn: () => Promise<void>, op: LifecycleOp): Promise<void> {
    try {
      await fn();
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      const why = err instanceof Error ? err.message : String(err);
      this.actions.log(`${op} failed: ${why}${typeof code === 'string' ? ` [${code}]` : ''}`);
    }
  }
}
