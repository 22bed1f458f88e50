// What one fastrouter process needs (reference §2.11 `fastrouter*`), read by the master.

import type { Config } from '../../config/resolve.js';
import { UwsgiError } from '../../errors.js';
import { parseAddress } from '../../net/address.js';
import type { Backend, BackendAddress } from '../backends.js';
import { signCheckPlan } from '../subscription-server.js';
import type { SubscriptionAlgo } from '../subscriptions.js';

export interface FastRouterPlan {
  readonly listeners: ReadonlyArray<{ readonly raw: string }>;
  /** `fastrouter-to`: every request, whatever its key, round robin. */
  readonly to: readonly Backend[];
  /** `fastrouter-use-pattern`: `%s` replaced by the key gives the backend's address. */
  readonly pattern: string | undefined;
  /** `fastrouter-use-base`: the key appended gives a unix socket path. */
  readonly base: string | undefined;
  /** `fastrouter-fallback`: tried in order when the chosen backend cannot be reached. */
  readonly fallback: readonly Backend[];
  readonly timeoutMs: number;
  readonly bufferSize: number;
  readonly stats: boolean;
  /** `fastrouter-subscription-server` (UDP), served by process 1 (subscription-server.ts). */
  readonly subscriptionServers: readonly string[];
  readonly subscriptionToleranceMs: number;
  readonly subscriptionAlgo: SubscriptionAlgo;
  readonly subscriptionSign: ReturnType<typeof signCheckPlan>;
}

export function backendOf(raw: string, where: string): Backend {
  const address = parseAddress(raw, where);
  if (address.kind !== 'tcp' && address.kind !== 'unix' && address.kind !== 'abstract') {
    throw new UwsgiError('ERR_SOCKET_BAD_ADDRESS', `${where} needs a TCP or unix address: "${raw}"`);
  }
  return { name: raw, address: address as BackendAddress };
}

export function fastRouterPlan(config: Config, stats: boolean): FastRouterPlan {
  const timeout = config.value('fastrouter-timeout');
  return {
    listeners: config.all('fastrouter').map((o) => ({ raw: o.raw })),
    to: config.all('fastrouter-to').map((o) => backendOf(o.raw, 'fastrouter-to')),
    pattern: config.value('fastrouter-use-pattern'),
    base: config.value('fastrouter-use-base'),
    fallback: config.all('fastrouter-fallback').map((o) => backendOf(o.raw, 'fastrouter-fallback')),
    timeoutMs: timeout * 1000,
    bufferSize: config.value('fastrouter-buffer-size') ?? config.value('buffer-size'),
    stats,
    subscriptionServers: config.all('fastrouter-subscription-server').map((o) => o.raw),
    subscriptionToleranceMs: config.value('subscription-tolerance') * 1000,
    // checked at start by the option row's choices
    subscriptionAlgo: config.value('subscription-algo') as SubscriptionAlgo,
    subscriptionSign: signCheckPlan(config),
  };
}
