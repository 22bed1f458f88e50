// What one process of a "corerouter" gateway needs (reference §2.11 `fastrouter*`, `rawrouter*`,
// `sslrouter*`), read by the master. The three gateways share their option names but for the
// prefix, so one reader serves them all: `${gateway}-to`, `${gateway}-fallback`...

import type { OptionName } from '../../config/option-table.js';
import type { Config } from '../../config/resolve.js';
import { UwsgiError } from '../../errors.js';
import { parseAddress } from '../../net/address.js';
import type { Backend, BackendAddress } from '../backends.js';
import { signCheckPlan } from '../subscription-server.js';
import type { SubscriptionAlgo } from '../subscriptions.js';

export type CoreRouterName = 'fastrouter' | 'rawrouter' | 'sslrouter';

export interface CoreRouterListener {
  /** The address as written (`127.0.0.1:0`), for the stats' list of sockets. */
  readonly raw: string;
  /** sslrouter only: `ADDR,CERT,KEY[,CIPHERS,CA]` (seed manual "The uWSGI SSL router"). */
  readonly tls?: {
    readonly cert: string;
    readonly key: string;
    readonly ciphers?: string;
    readonly ca?: string;
  };
}

export interface CoreRouterPlan {
  readonly gateway: CoreRouterName;
  readonly listeners: readonly CoreRouterListener[];
  /** `-to`: every connection, whatever its key, round robin. */
  readonly to: readonly Backend[];
  /** `-use-pattern`: `%s` replaced by the key gives the backend's address. */
  readonly pattern: string | undefined;
  /** `-use-base`: the key appended gives a unix socket path. */
  readonly base: string | undefined;
  /** `-fallback`: tried in order when the chosen backend cannot be reached. */
  readonly fallback: readonly Backend[];
  readonly timeoutMs: number;
  /** `-gracetime`: a static node that refused is skipped this long (uWSGI marks it "failed"). */
  readonly graceMs: number;
  readonly bufferSize: number;
  /** sslrouter-sni: the TLS SNI name is the key. */
  readonly sni: boolean;
  readonly stats: boolean;
  /** `-subscription-server` (UDP), served by process 1 (subscription-server.ts). */
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

/** `sslrouter = ADDR,CERT,KEY[,CIPHERS,CA]`: the address is what is bound and listed. */
export function listenerOf(gateway: CoreRouterName, raw: string): CoreRouterListener {
  if (gateway !== 'sslrouter') return { raw };
  const [address = '', cert, key, ciphers, ca] = raw.split(',');
  if (!cert || !key)
    throw new UwsgiError('ERR_CONFIG_BAD_VALUE', `sslrouter needs ADDR,CERT,KEY[,CIPHERS,CA]: "${raw}"`);
  return {
    raw: address,
    tls: { cert, key, ...(ciphers ? { ciphers } : {}), ...(ca ? { ca } : {}) },
  };
}

export function coreRouterPlan(config: Config, gateway: CoreRouterName, stats: boolean): CoreRouterPlan {
  // the option rows exist for every prefix (option-table.ts reference §2.11); the names are built
  const o = (suffix: string) => `${gateway}${suffix}` as OptionName;
  const all = (suffix: string) => config.all(o(suffix)).map((v) => v.raw);
  const num = (suffix: string) => config.value(o(suffix)) as number | undefined;
  return {
    gateway,
    listeners: all('').map((raw) => listenerOf(gateway, raw)),
    to: all('-to').map((raw) => backendOf(raw, `${gateway}-to`)),
    pattern: config.value(o('-use-pattern')) as string | undefined,
    base: config.value(o('-use-base')) as string | undefined,
    fallback: all('-fallback').map((raw) => backendOf(raw, `${gateway}-fallback`)),
    timeoutMs: (num('-timeout') ?? 60) * 1000,
    graceMs: gateway === 'fastrouter' ? 0 : (num('-gracetime') ?? 30) * 1000,
    bufferSize: num('-buffer-size') ?? config.value('buffer-size'),
    sni: gateway === 'sslrouter' && config.value('sslrouter-sni') === true,
    stats,
    subscriptionServers: all('-subscription-server'),
    subscriptionToleranceMs: config.value('subscription-tolerance') * 1000,
    // checked at start by the option row's choices
    subscriptionAlgo: config.value('subscription-algo') as SubscriptionAlgo,
    subscriptionSign: signCheckPlan(config),
  };
}
