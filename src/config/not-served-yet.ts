// What uwsgi-ts does not serve yet, one row per missing capability (issue 11 point 5). An option,
// a plugin or an app file of a row stops the start (exit 1, one line: the option, its origin and
// what works today) instead of starting and answering 500 or ignoring it with a warning. Delete a
// row the day its capability lands: nothing else refers to its name.

import type { Subsystem } from './option.js';

export interface NotServedYet {
  /** What is missing, as the message names it. */
  readonly capability: string;
  /** What works today instead: the hint of every option of the row without its own. */
  readonly instead: string;
  /**
   * Every option of these subsystems belongs to the row, except the ones served today
   * (served-options.ts: `callable` is read by JS apps too).
   */
  readonly subsystems: readonly Subsystem[];
  /** Options filed under another subsystem that need this capability (`spooler-harakiri`). */
  readonly options: readonly string[];
  /** A closer hint for some options (`http` -> `--http-socket`). */
  readonly insteadFor: Readonly<Record<string, string>>;
  /** uWSGI plugin names that provide it (`plugin = python3`, `need-plugin = cgi`). */
  readonly plugins: readonly string[];
  /** App files that need it, by extension (`mount = /x=app.py`, `app = app.wsgi`). */
  readonly appExtensions: readonly string[];
}

// uWSGI's Python loop engines: python3/pythonNN themselves are built in (src/python/)
const PYTHON_LOOP_ENGINES = ['pypy', 'gevent', 'greenlet', 'asyncio', 'tornado'];

export const NOT_SERVED_YET = {
  // Python WSGI apps and Python spooler tasks are served (src/python/, src/spooler/python-spooler.ts);
  // uWSGI's Python loop engines (gevent, asyncio...) have no counterpart: a Python process serves
  // one request
  'python-spooler': {
    capability: 'Python loop engines',
    instead: 'serve the WSGI app with processes/threads',
    subsystems: [],
    options: [],
    insteadFor: {},
    plugins: PYTHON_LOOP_ENGINES,
    appExtensions: [],
  },
  gateways: {
    capability:
      'some HTTP router, fastrouter, rawrouter and sslrouter options (rawrouter-xclient, -use-socket, subscription servers of the rawrouter and sslrouter), and forwarded subscriptions (resubscribe), subscription credentials and SNI keys',
    instead:
      'use the HTTP router (--http, README "The HTTP router") or bind the workers directly (--http-socket, --https-socket, --socket) and balance with nginx',
    subsystems: ['gateway', 'subscription'],
    options: [
      'http-harakiri',
      'fastrouter-harakiri',
      'rawrouter-harakiri',
      'sslrouter-harakiri',
      // uWSGI's raw connection has no key to look a subscription up by (README "The rawrouter
      // and the sslrouter")
      'rawrouter-subscription-server',
      'sslrouter-subscription-server',
      // writes an SMTP XCLIENT line to the backend: not done
      'rawrouter-xclient',
    ],
    insteadFor: {},
    // `http` and `https` are served (the HTTP router; README "The HTTP router")
    // rawrouter, sslrouter and corerouter are served (README "The rawrouter and the sslrouter")
    plugins: [],
    appExtensions: [],
  },
  // broodlord mode: the Emperor answers a vassal's SOS (byte 30) with a `NAME:zerg` vassal that
  // takes the overloaded vassal's listening sockets from its zerg server, passed as descriptors
  // over a unix socket (SCM_RIGHTS). Node sends descriptors only over its own parent-child IPC
  // channel, never to an unrelated process, so a zerg cannot be done without a native addon.
  broodlord: {
    capability: "broodlord mode (zerg vassals taking an overloaded vassal's sockets)",
    instead: 'give the vassal cheaper = N (workers added under load, README "Operations") or more processes',
    subsystems: [],
    options: ['vassal-sos', 'vassal-sos-backlog', 'emperor-broodlord'],
    insteadFor: {},
    plugins: [],
    appExtensions: [],
  },
  // this row stays: uwsgi-ts builds every plugin it has in and loads no shared objects
  'plugin-files': {
    capability: 'loading uWSGI plugins from .so files',
    instead: 'remove it: every plugin uwsgi-ts has is built in (plugins = NAME is accepted)',
    subsystems: [],
    options: ['plugins-dir'],
    insteadFor: {},
    plugins: [],
    appExtensions: [],
  },
} as const satisfies Readonly<Record<string, NotServedYet>>;

export type Capability = keyof typeof NOT_SERVED_YET;

const rows = Object.values(NOT_SERVED_YET) as readonly NotServedYet[];

/** The row an option name belongs to through its `options` list (the subsystem rule is in resolve). */
const byOption = new Map<string, NotServedYet>(
  rows.flatMap((row) => row.options.map((o) => [o, row] as const)),
);
const bySubsystem = new Map<string, NotServedYet>(
  rows.flatMap((row) => row.subsystems.map((s) => [s, row] as const)),
);
const byPlugin = new Map<string, NotServedYet>(
  rows.flatMap((row) => row.plugins.map((p) => [p, row] as const)),
);
const byExtension = new Map<string, NotServedYet>(
  rows.flatMap((row) => row.appExtensions.map((e) => [e, row] as const)),
);

/** The missing capability an option needs, if any (`served` wins: served-options.ts). */
export function optionNotServed(
  name: string,
  subsystem: Subsystem,
  served: boolean,
): NotServedYet | undefined {
  const named = byOption.get(name);
  if (named) return named;
  return served ? undefined : bySubsystem.get(subsystem);
}

export function pluginNotServed(plugin: string): NotServedYet | undefined {
  return byPlugin.get(plugin);
}

export function appFileNotServed(extension: string): NotServedYet | undefined {
  return byExtension.get(extension);
}

/** What works today instead of one option of a row. */
export function insteadOf(row: NotServedYet, option: string): string {
  return Object.hasOwn(row.insteadFor, option) ? (row.insteadFor[option] ?? row.instead) : row.instead;
}
