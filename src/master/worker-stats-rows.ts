// The workers as the stats document lists them (reference §5), cheap slots included.

import type { WorkerSnapshot } from '../stats/worker-stats.js';

/** One worker as the stats document needs it. */
export interface WorkerStatsRow {
  readonly id: number;
  readonly pid: number;
  readonly accepting: boolean;
  readonly harakiriCount: number;
  readonly lastSpawn: number;
  readonly respawnCount: number;
  readonly snapshot: WorkerSnapshot | undefined;
  /** The worker answered this query (a blocked one sends nothing: `snapshot` is its last). */
  readonly answered: boolean;
  /** A worker slot the cheaper subsystem keeps stopped (uWSGI's status "cheap", pid 0). */
  readonly cheap: boolean;
}

/**
 * uWSGI lists every worker slot: one the cheaper subsystem stopped keeps its id and counters with
 * pid 0; one never spawned is all zeros (id 0).
 */
export function cheapRows(
  count: number,
  shown: ReadonlySet<number>,
  spawned: {
    readonly spawns: ReadonlyMap<number, number>;
    readonly lastSpawnAt: ReadonlyMap<number, number>;
  },
  harakiriById: ReadonlyMap<number, number>,
  lastSnapshot: ReadonlyMap<number, WorkerSnapshot>,
): WorkerStatsRow[] {
  const rows: WorkerStatsRow[] = [];
  for (let id = 1; id <= count; id++) {
    if (shown.has(id)) continue;
    const ran = spawned.spawns.has(id);
    rows.push({
      id: ran ? id : 0,
      pid: 0,
      accepting: false,
      harakiriCount: harakiriById.get(id) ?? 0,
      lastSpawn: ran ? Math.floor((spawned.lastSpawnAt.get(id) ?? 0) / 1000) : 0,
      respawnCount: spawned.spawns.get(id) ?? 0,
      snapshot: lastSnapshot.get(id),
      answered: false,
      cheap: true,
    });
  }
  return rows;
}
