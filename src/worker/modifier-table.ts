// modifier1 picks the request handler (reference §1.1, seed manual "Running CGI scripts": "send
// requests to the uWSGI server using modifier 9"): a row per modifier1 a worker serves. 0 and 30
// are the default app (JS, or Python when that app style is loaded: the dispatcher's app
// selection), 9 runs CGI scripts when `cgi` is configured. The modifier comes from the uwsgi
// packet (nginx `uwsgi_modifier1`, the HTTP router's `http-modifier1`), or is forced per socket
// protocol (`http-socket-modifier1`...), or set by the `setmodifier1` routing action. A modifier
// without a row is uWSGI's "-- unavailable modifier requested: N --" and a closed connection.

import { CgiHandler } from '../cgi/cgi-handler.js';
import type { WorkerPlan } from './plan.js';
import type { UwsgiRequest, UwsgiResponse } from './request.js';

// what the master's plan needs, in a module without the handlers (the master does not load them)
export { FORCED_MODIFIER_OPTION, PLUGIN_MODIFIER, pluginModifierMoves } from './modifier-options.js';

export type ServeRequest = (req: UwsgiRequest, res: UwsgiResponse) => void;

interface ModifierRow {
  /** Whether this worker serves the modifier (a plugin's part is configured). */
  readonly available: (plan: WorkerPlan) => boolean;
  readonly make: (plan: WorkerPlan, app: ServeRequest, log: (line: string) => void) => ServeRequest;
}

const DEFAULT_APP: ModifierRow = { available: () => true, make: (_plan, app) => app };

export const MODIFIER_ROWS: Readonly<Record<number, ModifierRow>> = {
  0: DEFAULT_APP,
  // uWSGI's "WSGI with PATH_INFO fixed" (reference §1.1): the same app
  30: DEFAULT_APP,
  9: {
    available: (plan) => plan.cgi !== undefined,
    make: (plan, _app, log) => {
      const cgi = new CgiHandler(plan.cgi as NonNullable<WorkerPlan['cgi']>, log);
      return (req, res) => cgi.serve(req, res);
    },
  },
};

/** The modifiers a worker with this plan serves (the uwsgi socket refuses the others at once). */
export function servedModifiers(plan: WorkerPlan): ReadonlySet<number> {
  const out = new Set<number>();
  for (const [m, row] of Object.entries(MODIFIER_ROWS)) if (row.available(plan)) out.add(Number(m));
  for (const [to, from] of plan.modifierMoves ?? []) {
    if (!out.has(from)) continue;
    out.delete(from);
    out.add(to);
  }
  return out;
}

/** The handlers indexed by modifier1 (256 slots, undefined where nothing serves it). */
export function modifierHandlers(
  plan: WorkerPlan,
  app: ServeRequest,
  log: (line: string) => void,
): ReadonlyArray<ServeRequest | undefined> {
  const table: Array<ServeRequest | undefined> = new Array(256).fill(undefined);
  for (const [m, row] of Object.entries(MODIFIER_ROWS)) {
    if (row.available(plan)) table[Number(m)] = row.make(plan, app, log);
  }
  for (const [to, from] of plan.modifierMoves ?? []) {
    const handler = table[from];
    if (handler === undefined) continue;
    table[from] = undefined;
    table[to] = handler;
  }
  return table;
}
