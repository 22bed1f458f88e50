// The HTTP router role's master side: `http-processes` router processes on the generic supervisor
// (src/master/supervisor/), with uWSGI's lines ("spawned uWSGI http 1 (pid: P)", "respawned
// uWSGI http 1 (pid: P)", observed on 2.0.21), a ready handshake (the process listens before the
// instance says it serves), and no reload: uWSGI does not reload its gateways with the workers,
// and a request in the router survives a reload of the workers behind it.

import type { ChildProcessLike } from '../../master/supervisor/child.js';
import type { RoleSpec } from '../../master/supervisor/role.js';
import { Supervisor } from '../../master/supervisor/supervisor.js';

/** A gateway's role: uWSGI's lines with its name (`http`, `fastrouter`). */
export function gatewayRole(name: string): RoleSpec {
  return {
    noun: name,
    handshake: true,
    reload: 'restart',
    backoff: { quickDeathMs: 1000, firstMs: 1000, maxMs: 10_000 },
    lines: {
      spawned: (id, pid) => `spawned uWSGI ${name} ${id} (pid: ${pid})`,
      respawned: (id, pid) => `respawned uWSGI ${name} ${id} (pid: ${pid})`,
      died: (id, pid, how) => `uWSGI ${name} ${id} (pid: ${pid}) died${how}: respawning`,
      diedForGood: (id, pid, how) => `uWSGI ${name} ${id} (pid: ${pid}) died${how}`,
      diedYoung: (id, pid, how) => `uWSGI ${name} ${id} (pid: ${pid}) died at start${how}`,
      replacementDied: (id, pid, how) => `the replacement of uWSGI ${name} ${id} (pid: ${pid}) died${how}`,
      // uWSGI: gateway "uWSGI fastrouter 1" has been buried (pid: P)
      buried: (id, pid) => `gateway "uWSGI ${name} ${id}" has been buried (pid: ${pid})`,
      chainStep: (id, pid) => `replacing uWSGI ${name} ${id} (pid: ${pid})`,
    },
  };
}

export const HTTP_ROUTER_ROLE: RoleSpec = gatewayRole('http');

export interface RouterPoolOptions {
  readonly role?: RoleSpec;
  readonly processes: number;
  spawn(id: number): ChildProcessLike;
  readonly mercyMs: number;
  log(line: string): void;
}

export class RouterPool {
  private readonly sup: Supervisor<undefined>;

  constructor(private readonly options: RouterPoolOptions) {
    this.sup = new Supervisor<undefined>({
      role: options.role ?? HTTP_ROUTER_ROLE,
      spawn: (id) => options.spawn(id),
      onMessage: (slot, message) => {
        const t = (message as { t?: unknown } | null)?.t;
        if (t === 'ready') this.sup.markReady(slot);
      },
      meta: () => undefined,
      clock: { now: () => Date.now(), setTimeout: (fn, ms) => setTimeout(fn, ms) },
      log: (line) => options.log(line),
      respawn: true,
      mercyMs: () => options.mercyMs,
    });
  }

  start(): Promise<void> {
    return this.sup.start(Array.from({ length: this.options.processes }, (_, i) => i + 1));
  }

  pids(): number[] {
    return this.sup.slots().map((s) => s.pid);
  }

  stop(graceful: boolean): Promise<void> {
    return graceful ? this.sup.stop(this.options.mercyMs) : this.sup.kill('SIGKILL');
  }
}
