// A role: one kind of child process the master runs, as the supervisor needs to know it. Adding a
// kind of child (a gateway, a spooler, a daemon, a vassal) is one such row in its own folder plus
// its entry in the master's role table (src/master/roles.ts); the supervisor does not change.

/** uWSGI's log lines for one role's lifecycle (reference §10). */
export interface RoleLines {
  spawned(id: number, pid: number): string;
  respawned(id: number, pid: number): string;
  /** Died unexpectedly; a respawn follows. `how` is `, killed by signal 9` or `, exit code 1` or empty. */
  died(id: number, pid: number, how: string): string;
  /** Died unexpectedly and is not respawned (no master). */
  diedForGood(id: number, pid: number, how: string): string;
  /** Died before its handshake: why its generation failed. */
  diedYoung(id: number, pid: number, how: string): string;
  /** The replacement of a recycled child died before it was ready. */
  replacementDied(id: number, pid: number, how: string): string;
  /** A child the supervisor stopped has exited, `seconds` after it was told to. */
  buried(id: number, pid: number, seconds: number): string;
  /** Told to drain (no line when absent). */
  stopping?(id: number, pid: number): string;
  /** Taken out of service for good has exited (cheaper). */
  dismissed?(id: number, pid: number): string[];
  /** Waiting `ms` before the next respawn of an id that keeps dying young (no line when absent). */
  backingOff?(id: number, ms: number): string;
  chainStep(id: number, pid: number): string;
}

export interface RoleBackoff {
  readonly quickDeathMs: number;
  readonly firstMs: number;
  readonly maxMs: number;
  /** How the wait grows with each young death: doubling (default), or by `firstMs` each time. */
  readonly growth?: 'double' | 'linear';
  /**
   * A death before the handshake counts as young whatever the child's age, and one after it does
   * not (a vassal is throttled until it is loyal, reference §6.3).
   */
  readonly untilReady?: boolean;
}

export interface RoleSpec {
  /** `worker`, `mule`...: in messages about a child. */
  readonly noun: string;
  /** A spawned child counts as serving only once it says `ready`. */
  readonly handshake: boolean;
  /** A graceful reload: `overlap` (new generation ready first, then the old drains) or `restart`. */
  readonly reload: 'overlap' | 'restart';
  /** Respawn back-off: a death within `quickDeathMs` of the spawn doubles the wait from `firstMs`. */
  readonly backoff: RoleBackoff;
  readonly lines: RoleLines;
}
