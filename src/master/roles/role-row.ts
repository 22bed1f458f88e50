// A row of the master's role table: how to open one kind of child process from the config, and
// what the lifecycle does with it. The supervisor under it is src/master/supervisor/.

import type { MasterContext } from '../master-context.js';
import type { ChildRef } from '../message-table.js';

export interface RoleRunner {
  /** Spawns the first children; rejects when they cannot start (the instance does not start). */
  start(): Promise<void>;
  /** A graceful reload, by the role's policy. */
  reload(): Promise<void>;
  /** Drains with the role's mercy (`graceful`), or kills at once. Resolves when all have exited. */
  stop(graceful: boolean): Promise<void>;
  pids(): number[];
}

export interface RoleRow {
  readonly name: ChildRef['role'] | 'daemon' | 'gateway';
  /** Opens the role (undefined when the config runs none of it); `onMessage` is the master's table. */
  open(ctx: MasterContext, onMessage: (from: ChildRef, message: unknown) => void): RoleRunner | undefined;
}
