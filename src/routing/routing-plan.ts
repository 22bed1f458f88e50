// What a worker needs to run the routing rules, computed once by the master from the frozen
// Config and sent in the WorkerPlan (src/worker/plan.ts): the rule options as written (the worker
// compiles them, it never re-reads config files) and the response headers to collect into vars
// (the file offloads use the static plan: src/static/static-plan.ts). Absent when the config has
// no rule: the worker then builds nothing and the request path pays one comparison (STYLE.md
// rule 6).

import { formatOrigin } from '../config/entry.js';
import type { Config } from '../config/resolve.js';
import { UwsgiError } from '../errors.js';
import { metricsEnabled } from '../metrics/metrics-plan.js';
import type { Capability } from './action.js';
import { routeEntries } from './route-entries.js';
import type { RuleEntry } from './rule.js';

/** `collect-header = X-Sendfile X_SENDFILE`: response header name -> request var. */
export interface HeaderToVar {
  readonly header: string;
  readonly name: string;
}

export interface RoutingPlan {
  /** Every rule option in config order (all four chains, labels included). */
  readonly rules: readonly RuleEntry[];
  /** collect-header: copied into the response chain's vars. */
  readonly collect: readonly HeaderToVar[];
  /** pull-header: copied into the response chain's vars and removed from the response. */
  readonly pull: readonly HeaderToVar[];
  /**
   * The subsystems the rules may use, decided here once so that the master's check and every
   * worker's compile agree: RPC always, metrics when they are on, the cache when one is defined.
   */
  readonly capabilities: readonly Capability[];
}

function headerToVar(option: string, raw: string, origin: string): HeaderToVar {
  const m = /^\s*(\S+)\s+(\S+)\s*$/.exec(raw);
  if (!m) throw new UwsgiError('ERR_CONFIG_BAD_VALUE', `${option} needs HEADER VAR: "${raw}" (${origin})`);
  return { header: m[1] as string, name: m[2] as string };
}

/**
 * The routing part of a worker's plan; undefined when no rule (and no pull-header) is configured.
 * @example routingPlan(config)?.rules // [{ option: 'route', value: '^/old redirect:/new', origin: 'app.ini:3' }]
 */
export function routingPlan(config: Config): RoutingPlan | undefined {
  const rules = routeEntries(config);
  const pull = config
    .all('pull-header')
    .map((o) => headerToVar('pull-header', o.value, formatOrigin(o.origin)));
  if (rules.length === 0 && pull.length === 0) return undefined;
  return {
    rules,
    collect: config
      .all('collect-header')
      .map((o) => headerToVar('collect-header', o.value, formatOrigin(o.origin))),
    pull,
    capabilities: [
      'rpc',
      ...(metricsEnabled(config) ? (['metrics'] as const) : []),
      ...(config.value('cache') > 0 || config.all('cache2').length > 0 ? (['cache'] as const) : []),
    ],
  };
}
