// What the worker pool (worker-pool.ts) is given: the count and plans of its workers, the sockets
// they inherit, and the injected spawn and clock that let the unit tests run it without processes.

import type { NativeHandle } from '../net/native-handle.js';
import type { WorkerPlan } from '../worker/plan.js';
import type { ChildProcessLike } from './supervisor/child.js';
import type { SupervisorClock } from './supervisor/supervisor.js';

/** What the pool needs of a worker process (a ChildProcess fits). */
export type WorkerProcess = ChildProcessLike;
export type PoolClock = SupervisorClock;

export interface WorkerPoolOptions {
  count: number;
  readonly cores: number;
  /** Respawn dead workers (uWSGI does only with a master). */
  readonly respawn: boolean;
  readonly plan: (id: number, generation: number) => WorkerPlan;
  readonly sockets: ReadonlyArray<{ readonly index: number; readonly handle: NativeHandle }>;
  readonly spawn: (id: number) => WorkerProcess;
  readonly clock: PoolClock;
  readonly log: (line: string) => void;
  /** Every message a worker sends; by default the pool's own handlers (tests run without a master). */
  readonly onMessage?: (pid: number, id: number, message: unknown) => void;
  /** max-worker-lifetime in ms for worker `id` (with its delta), 0 = none. */
  readonly lifetimeMs?: (id: number) => number;
  /** How long a draining worker gets before SIGKILL (`reload-mercy`); none when absent. */
  readonly mercyMs?: () => number;
  /**
   * Adaptive workers (cheaper, idle, cheap): `count` is the most workers; the first `initial` are
   * spawned at start and the others when the cheaper algorithm asks; stopped ones show as cheap.
   */
  readonly elastic?: { readonly initial: number };
}
