// Which subsystems uwsgi-ts serves today. An option of a subsystem that is not `ready` is
// still parsed and shown by --show-config, and using it prints a warning (an error under
// --strict): never silently ignored. Landing a subsystem is flipping its row.

import type { Subsystem } from './option.js';

export type SubsystemStatus =
  | { readonly state: 'ready' }
  | { readonly state: 'planned'; readonly note: string }
  | { readonly state: 'never'; readonly note: string };

const planned = (note: string) => ({ state: 'planned', note }) as const;

export const SUBSYSTEM_STATUS: Readonly<Record<Subsystem, SubsystemStatus>> = {
  config: { state: 'ready' },
  socket: planned('this socket option is not served yet'),
  process: planned('this process option is not served yet'),
  app: planned('this app option is not served yet'),
  reload: planned('reloads and recycling arrive with operations'),
  harakiri: planned('harakiri arrives with operations'),
  logging: planned('logging options arrive with operations'),
  static: planned('static files arrive with routing'),
  routing: planned('the rules engine arrives with routing'),
  cache: planned('cache2 arrives with shared services'),
  sharedarea: planned('sharedarea arrives with shared services'),
  locks: planned('locks arrive with shared services'),
  rpc: planned('RPC arrives with shared services'),
  signal: planned('uwsgi signals and timers arrive with shared services'),
  spooler: planned('the spooler arrives with background work'),
  mule: planned('mules arrive with background work'),
  cron: planned('cron arrives with shared services'),
  alarm: planned('alarms arrive with shared services'),
  metrics: planned('metrics arrive with shared services'),
  stats: planned('the stats server arrives with operations'),
  fifo: planned('the master FIFO arrives with operations'),
  cheaper: planned('the cheaper subsystem arrives with operations'),
  emperor: planned('the Emperor arrives in its own step'),
  gateway: planned('the http/fastrouter gateways arrive in their own step'),
  subscription: planned('subscriptions arrive with the gateways'),
  security: planned('privilege and isolation options arrive with the server'),
  python: planned('the bundled Python WSGI worker arrives in its own step'),
  cgi: planned('CGI arrives with the Python step'),
  websocket: planned('websockets arrive with the gateways'),
  daemon: planned('attached daemons arrive with background work'),
  'uwsgi-only': { state: 'never', note: 'a uWSGI feature that uwsgi-ts does not provide' },
};
