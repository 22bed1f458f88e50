// The shape of one routing action (a row of the action table, STYLE.md rule 1): which uWSGI
// plugin ships it, what uwsgi-ts subsystem it needs, how its args are checked and compiled at
// start-up and what it does per request. Each family lives in its own actions-*.ts file.

import { UwsgiError } from '../errors.js';
import type { RouteCode } from './outcome.js';
import type { RouteRun } from './run.js';

/** Where a rule came from, for start-up errors: `route = ^/x foo:bar (app.ini:3)`. */
export interface RuleSite {
  /** The option and value as written: `route = ^/x foo:bar`. */
  readonly rule: string;
  /** `app.ini:3`, `command line --route`. */
  readonly origin: string;
  /** The label index of a name in the rule's chain (goto); undefined when there is none. */
  labelIndex(name: string): number | undefined;
}

/** Subsystems an action may need besides the engine; compiling fails when the worker lacks one. */
export type Capability = 'cache' | 'rpc' | 'metrics';

/** What an action run returns: a code now, or a generator that does I/O first (see io.ts). */
export type ActionResult = RouteCode | Generator<Promise<unknown>, RouteCode, unknown>;

export interface ActionRow<A = unknown> {
  /** The uWSGI plugin that registers it: `core` for core/routing.c (reference §4.4). */
  readonly plugin: string;
  readonly needs?: Capability;
  /** Checks and compiles the args at start-up; throws ERR_ROUTE_BAD_ARGS. */
  compile(args: string, site: RuleSite): A;
  run(run: RouteRun, args: A): ActionResult;
}

/** Erases a row's arg type for the table (each row's compile and run agree by construction). */
export function action<A>(row: ActionRow<A>): ActionRow<unknown> {
  return row as ActionRow<unknown>;
}

export function badArgs(site: RuleSite, why: string): UwsgiError {
  return new UwsgiError('ERR_ROUTE_BAD_ARGS', `${why}: ${site.rule} (${site.origin})`);
}
