// What the Emperor knows of each vassal: the file it runs (and its mtime at the last scan), and
// per running process what it has told the Emperor (spawned, accepting, loyal, heartbeat), as
// emperor-stats lists them (reference §6.3 "Emperor stats").

import type { OnDemandSocket } from './on-demand.js';
import type { VassalFile } from './vassal-file.js';

export interface Vassal {
  /** The supervisor's id for this vassal (ids are never reused). */
  readonly id: number;
  file: VassalFile;
  /** The mtime the last spawn or reload answered (uWSGI `last_mod`). */
  lastMod: number;
  readonly firstRun: number;
  lastRun: number;
  /** Exited with EXILE (26), or asked to go idle (22): not respawned until its file changes. */
  idle: boolean;
  /** Its file is gone: it is being stopped. */
  removing: boolean;
  lastReady: number;
  lastAccepting: number;
  lastLoyal: number;
  /** An on-demand vassal: the socket the Emperor holds for it (src/emperor/on-demand.ts). */
  onDemand?: OnDemandSocket;
  /** On demand and not running: waiting for a connection on its socket. */
  waiting?: boolean;
}

/** Per process of a vassal: the supervisor's slot meta. */
export interface VassalMeta {
  spawned: boolean;
  accepting: boolean;
  loyal: boolean;
  /** When it last sent byte 26 (0: never; the heartbeat check starts with the first one). */
  lastHeartbeat: number;
}

export const freshMeta = (): VassalMeta => ({
  spawned: false,
  accepting: false,
  loyal: false,
  lastHeartbeat: 0,
});

/** A vassal's status in one word (emperor-stats `status`, ours). */
export function vassalStatus(v: Vassal, meta: VassalMeta | undefined): string {
  if (v.removing) return 'stopping';
  if (v.idle) return 'idle';
  if (v.waiting) return 'on-demand';
  if (!meta) return 'throttled';
  if (meta.loyal) return 'loyal';
  if (meta.accepting) return 'accepting';
  if (meta.spawned) return 'spawned';
  return 'starting';
}
