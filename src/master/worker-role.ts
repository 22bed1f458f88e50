// The worker role's row for the supervisor: uWSGI 2.0.21's worker lines, the handshake, a reload
// that starts the new generation before the old one drains, and the respawn back-off.

import type { RoleSpec } from './supervisor/role.js';

/** The worker role's row: uWSGI 2.0.21's lines (reference §10). */
export const WORKER_ROLE: RoleSpec = {
  noun: 'worker',
  handshake: true,
  reload: 'overlap',
  backoff: { quickDeathMs: 2000, firstMs: 100, maxMs: 10_000 },
  lines: {
    spawned: (id, pid) => `spawned uWSGI worker ${id} (pid: ${pid}, cores: CORES)`,
    respawned: (id, pid) => `Respawned uWSGI worker ${id} (new pid: ${pid})`,
    died: (id, pid, how) => `DAMN ! worker ${id} (pid: ${pid}) died${how} :( trying respawn ...`,
    diedForGood: (id, pid, how) => `worker ${id} (pid: ${pid}) died${how}; no master: not respawned`,
    diedYoung: (id, pid, how) => `worker ${id} (pid: ${pid}) died before it was ready${how}`,
    replacementDied: (id, pid, how) =>
      `the replacement of worker ${id} (pid: ${pid}) died before it was ready${how}: the old one keeps serving`,
    buried: (id, _pid, seconds) => `worker ${id} buried after ${seconds} seconds`,
    stopping: (id, pid) => `Gracefully killing worker ${id} (pid: ${pid})...`,
    dismissed: (id, pid) => [`worker ${id} killed successfully (pid: ${pid})`, `uWSGI worker ${id} cheaped.`],
    backingOff: (id, ms) => `worker ${id} keeps dying: respawning it in ${ms} ms`,
    chainStep: (id, pid) => `chain reload: replacing worker ${id} (pid: ${pid})`,
  },
};
