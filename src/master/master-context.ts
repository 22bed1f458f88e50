// What the master's services and roles see of the master: the current config, the log, the bound
// sockets, the lifecycle, the children, and the services started before them (by name). Services
// and roles reach each other only through here, so adding one edits no other.

import type { Alarms } from '../alarm/alarms.js';
import type { Config } from '../config/resolve.js';
import type { DaemonPool } from '../daemon/daemon-pool.js';
import type { FromVassal } from '../emperor/emperor-messages.js';
import type { LogSink } from '../logging/log-sink.js';
import type { MasterMetrics } from '../metrics/master-metrics.js';
import type { MulePool } from '../mule/mule-pool.js';
import type { BoundSocket } from '../net/bind.js';
import type { SharedServices } from '../shared/shared-services.js';
import type { MasterSignals } from '../signal/master-signals.js';
import type { SpoolerPool } from '../spooler/spooler-pool.js';
import type { Cheaper } from './cheaper.js';
import type { Lifecycle } from './lifecycle.js';
import type { WorkerPool } from './worker-pool.js';

/** The instance's shared memory, and the master's socket for workers without the addon. */
export interface SharedState {
  readonly services: SharedServices;
  readonly remote: string | undefined;
}

/** What services offer the others, by name. */
export interface Provided {
  alarms: Alarms;
  shared: SharedState;
  metrics: MasterMetrics;
  signals: MasterSignals;
  cheaper: Cheaper;
  workers: WorkerPool;
  mules: MulePool;
  spoolers: SpoolerPool;
  daemons: DaemonPool;
  /** This instance is a vassal: the fd its Emperor gave it, and a way to send it a byte. */
  emperor: { readonly fd: number; tell(message: FromVassal): void };
  /** `subscribe-to`/`subscribe2`: FIFO `S` blocks and re-enables the announces. */
  subscriptions: { toggle(): void };
}

export interface MasterContext {
  /** The current config: a reload may have re-read it, so read it when needed, never keep it. */
  readonly config: Config;
  readonly logs: LogSink;
  log(line: string): void;
  /** The master owns the log: children's output reaches it through pipes. */
  readonly logsOwned: boolean;
  /** The fd children write their log to when the master does not own it (2: stderr). */
  readonly logFd: number;
  readonly bound: readonly BoundSocket[];
  readonly lifecycle: Lifecycle;
  readonly pidfiles: string[];
  /** Stops everything at once and exits 1 (a failed hook: "destroying instance"). */
  destroy(): void;
  /** A service or role started earlier, by name (undefined when it is not configured). */
  get<K extends keyof Provided>(name: K): Provided[K] | undefined;
  provide<K extends keyof Provided>(name: K, value: Provided[K]): void;
}

/** A master-side subsystem: started from the service table, in order; closed in reverse. */
export interface Service {
  /** Once every worker of the first generation is ready: timers, pollers. */
  serve?(): void;
  /** After a reload re-read the config. */
  reload?(): void;
  /** Once a reload is over (the new workers serve, or the old ones kept serving). */
  reloaded?(): void;
  close(): void;
}

/**
 * When a service opens: `config` before the banner (alarms print their list first, as uWSGI);
 * `bound` once the sockets are bound and privileges dropped, before any child; `supervising` once
 * the roles exist; `serving` once the first workers are ready.
 */
export type ServicePhase = 'config' | 'bound' | 'supervising' | 'serving';

export interface ServiceRow {
  readonly name: string;
  readonly phase: ServicePhase;
  /** Opens the service; undefined when the config does not ask for it. */
  open(ctx: MasterContext): Service | undefined | Promise<Service | undefined>;
}
