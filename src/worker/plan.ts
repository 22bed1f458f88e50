// What a worker needs to know, computed once by the master from the frozen Config and sent over
// IPC: the worker never re-reads config files (they may have changed, and exec:// may not be
// repeatable).

import type { CgiPlan } from '../cgi/cgi-plan.js';
import type { HookPlan } from '../hooks/hook-plan.js';
import type { WorkerLogging } from '../logging/log-config.js';
import type { TlsFiles } from '../net/bind.js';
import type { SocketProtocol } from '../net/socket-protocol.js';
import type { PythonPlan } from '../python/python-plan.js';
import type { RoutingPlan } from '../routing/routing-plan.js';
import type { SharedPlan } from '../shared/shared-plan.js';
import type { SpoolerProcessPlan, SpoolTargets } from '../spooler/spooler-config.js';
import type { StaticPlan } from '../static/static-plan.js';

export type AppStyle = 'auto' | 'fetch' | 'node';

export interface AppSpec {
  /** '' for the default app; `/prefix` for a mount. */
  readonly mountpoint: string;
  readonly file: string;
  /** Export to use; undefined: the default export, else `application`. */
  readonly callable: string | undefined;
  /** A Python WSGI app (src/python/): a wsgi-file (`file`) or a module name (`module`). */
  readonly python?: 'file' | 'module';
}

export interface WorkerPlan {
  readonly id: number;
  /** The hooks this process runs (src/hooks/process-hooks.ts); absent when none. */
  readonly hooks?: HookPlan;
  /** Set in a mule's plan (src/mule/): its id and the script of a programmed mule. */
  readonly mule?: { readonly id: number; readonly script: string | undefined };
  /** Set in a spooler's plan (src/spooler/): the directory it runs and how. */
  readonly spooler?: SpoolerProcessPlan;
  /** The spooler directories spool() may write into (src/spooler/); absent without spoolers. */
  readonly spoolTargets?: SpoolTargets;
  readonly generation: number;
  readonly sockets: ReadonlyArray<{
    readonly index: number;
    readonly protocol: SocketProtocol;
    readonly tls?: TlsFiles;
    /** The modifier1 forced on its requests (`http-socket-modifier1`...); absent: the packet's, or 0. */
    readonly modifier1?: number;
  }>;
  readonly apps: readonly AppSpec[];
  readonly appStyle: AppStyle;
  readonly manageScriptName: boolean;
  readonly noDefaultApp: boolean;
  readonly needApp: boolean;
  readonly bufferSize: number;
  readonly maxVars: number;
  /** Bytes; 0 = no limit. */
  readonly limitPost: number;
  /** Bodies of at least this many bytes go to a temp file first; 0 = never. */
  readonly postBuffering: number;
  /** Seconds. */
  readonly socketTimeout: number;
  readonly listenBacklog: number;
  /** The request log and where the worker's lines go (src/logging/log-config.ts). */
  readonly logging: WorkerLogging;
  /** As configured; reported as the worker's cores (README: what threads and async mean on Node). */
  readonly threads: number;
  readonly async: number;
  /** threads x async when either is set: requests served at once by this worker; 0 = no bound. */
  readonly maxConcurrent: number;
  readonly procname: string | undefined;
  /** The stats server is on: the worker keeps counters and answers `stats?`. */
  readonly stats: boolean;
  /** uWSGI's WebSocket API (src/worker/websocket-session.ts): websockets-ping-freq/-pong-tolerance/-max-size. */
  readonly websockets: {
    readonly pingFreqMs: number;
    readonly pongToleranceMs: number;
    readonly maxSize: number;
  };
  /** chunkedRead() (src/worker/chunked-input.ts): chunked-input-limit bytes, chunked-input-timeout ms. */
  readonly chunkedInput: { readonly limit: number; readonly timeoutMs: number };
  /** mule-msg-size: the largest mule or farm message, in bytes. */
  readonly muleMsgSize: number;
  /** `rpc-max`: functions a worker may register. */
  readonly rpcMax: number;
  /** The instance's shared memory (mapped at REGION_FD) and its services; absent without the addon. */
  readonly shared?: SharedPlan;
  /** Without the addon: the master's socket for the shared services (src/shared/remote-client.ts). */
  readonly sharedRemote?: string;
  /** harakiri in seconds (0 = off) and harakiri-verbose (reference §2.4). */
  readonly harakiri: { readonly seconds: number; readonly verbose: boolean };
  /** Recycling (reference §2.3): 0 = off. max-requests already includes wid x max-requests-delta. */
  readonly recycle: {
    readonly maxRequests: number;
    readonly reloadOnRssMB: number;
    readonly reloadOnException: boolean;
    /** reload-on-exception-type / -value / -repr: what an exception is compared to (recycler.ts). */
    readonly exceptionTypes: readonly string[];
    readonly exceptionValues: readonly string[];
    readonly exceptionReprs: readonly string[];
    readonly minLifetimeS: number;
  };
  readonly hostname: string;
  /** The internal routing rules (src/routing/routing-plan.ts); absent when none is configured. */
  readonly routing?: RoutingPlan;
  /** Static files (src/static/static-plan.ts); absent when no static option is set. */
  readonly static?: StaticPlan;
  /** reload-mercy in seconds: open WebSockets are closed (1001) just before it runs out. */
  readonly mercySeconds?: number;
  /** Python WSGI apps (src/python/python-plan.ts); absent when no app is a Python one. */
  readonly python?: PythonPlan;
  /** CGI scripts, modifier1 9 (src/cgi/cgi-plan.ts); absent when no `cgi` is configured. */
  readonly cgi?: CgiPlan;
  /** `plugins = N:NAME`: [to, from] modifier1 moves of request plugins (src/worker/modifier-table.ts). */
  readonly modifierMoves?: ReadonlyArray<readonly [number, number]>;
}
