// Which subsystems uwsgi-ts serves whole. Every subsystem has landed, option by option: an option
// is served when served-options.ts lists it; one of a subsystem that is not `ready` and not
// listed is still parsed and shown by --show-config, and using it prints this row's note (an
// error under --strict; not-served-yet.ts names the missing capability where there is one):
// never silently ignored.

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
  reload: planned('this reload option is not served yet'),
  harakiri: planned('this harakiri option is not served yet'),
  logging: planned('this logging option is not served yet'),
  static: planned('this static files option is not served yet'),
  routing: planned('this routing option is not served yet'),
  cache: planned('this cache option is not served yet'),
  sharedarea: planned('this sharedarea option is not served yet'),
  locks: planned('this locks option is not served yet'),
  rpc: planned('this RPC option is not served yet'),
  signal: planned('this signal option is not served yet'),
  spooler: planned('this spooler option is not served yet'),
  mule: planned('this mule option is not served yet'),
  cron: planned('this cron option is not served yet'),
  alarm: planned('this alarm option is not served yet'),
  metrics: planned('this metrics option is not served yet'),
  stats: planned('this stats option is not served yet'),
  fifo: planned('this master FIFO option is not served yet'),
  cheaper: planned('this cheaper option is not served yet'),
  emperor: planned('this Emperor option is not served yet'),
  gateway: planned('this gateway option is not served yet'),
  subscription: planned('this subscription option is not served yet'),
  security: planned('this security option is not served yet'),
  python: planned('this Python option is not served yet'),
  cgi: planned('this CGI option is not served yet'),
  websocket: planned('this WebSocket option is not served yet'),
  daemon: planned('this attached daemon option is not served yet'),
  'uwsgi-only': { state: 'never', note: 'a uWSGI feature that uwsgi-ts does not provide' },
};
