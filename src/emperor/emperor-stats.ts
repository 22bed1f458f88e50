// The Emperor's stats document (reference §6.3 "Emperor stats"): uWSGI's fields, times in
// seconds since the epoch, plus `status` (one word per vassal, ours) so an operator sees at once
// which vassal is throttled.

import type { StatsObject } from '../stats/stats-json.js';
import { VERSION } from '../version.js';
import { type Vassal, type VassalMeta, vassalStatus } from './vassal-state.js';

export interface EmperorStatsInput {
  readonly monitors: readonly string[];
  readonly tyrant: boolean;
  readonly vassals: ReadonlyArray<{
    readonly vassal: Vassal;
    readonly pid: number;
    readonly meta: VassalMeta | undefined;
    readonly respawns: number;
    /** Deaths in a row before it was loyal (uWSGI's blacklist `attempt`). */
    readonly attempts: number;
  }>;
  /** emperor-throttle, ms: a blacklisted vassal's level is one of these per attempt. */
  readonly throttleMs: number;
  readonly maxThrottleMs: number;
}

const sec = (ms: number) => Math.floor(ms / 1000);

export function emperorStats(input: EmperorStatsInput): StatsObject {
  return {
    version: VERSION,
    pid: process.pid,
    uid: process.getuid?.() ?? 0,
    gid: process.getgid?.() ?? 0,
    cwd: process.cwd(),
    emperor: [...input.monitors],
    emperor_tyrant: input.tyrant ? 1 : 0,
    throttle_level: 0,
    vassals: input.vassals.map(({ vassal: v, pid, meta, respawns }) => ({
      id: v.file.name,
      pid,
      status: vassalStatus(v, meta),
      born: sec(v.lastRun),
      last_mod: sec(v.lastMod),
      last_heartbeat: sec(meta?.lastHeartbeat ?? 0),
      loyal: meta?.loyal ? 1 : 0,
      ready: meta?.spawned ? 1 : 0,
      accepting: meta?.accepting ? 1 : 0,
      last_loyal: sec(v.lastLoyal),
      last_ready: sec(v.lastReady),
      last_accepting: sec(v.lastAccepting),
      first_run: sec(v.firstRun),
      last_run: sec(v.lastRun),
      cursed: v.removing ? 1 : 0,
      zerg: 0,
      // uWSGI lists the on-demand socket name here ("" for a normal vassal)
      on_demand: v.onDemand?.name ?? '',
      uid: v.file.uid,
      gid: v.file.gid,
      monitor: v.file.monitor,
      respawns,
    })),
    blacklist: input.vassals
      .filter((e) => e.attempts > 0)
      .map(({ vassal: v, attempts }) => ({
        id: v.file.name,
        throttle_level: Math.min(input.maxThrottleMs, attempts * input.throttleMs),
        attempt: attempts,
        first_attempt: sec(v.firstRun),
        last_attempt: sec(v.lastRun),
      })),
  };
}
