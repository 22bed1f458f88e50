// The rule options of a config (reference §3.1), without the rules engine: the master asks it
// whether there are rules at all before it loads src/routing/program.ts (issue 17: a vassal without
// rules does not pay for the engine at start-up).

import { formatOrigin } from '../config/entry.js';
import { findOption } from '../config/option-registry.js';
import type { Config } from '../config/resolve.js';
import { ROUTE_OPTIONS } from './chains.js';
import type { RuleEntry } from './rule.js';

/** The rule options of a config, in the order they were given (reference §3.1), as RuleEntry. */
export function routeEntries(config: Pick<Config, 'entries'>): RuleEntry[] {
  const out: RuleEntry[] = [];
  for (const entry of config.entries) {
    const name = findOption(entry.key)?.name;
    if (name !== undefined && ROUTE_OPTIONS.has(name))
      out.push({ option: name, value: entry.value, origin: formatOrigin(entry.origin) });
  }
  return out;
}
