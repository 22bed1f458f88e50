// What one HTTP router process needs, read from the config by the master (reference §2.11) and
// sent over IPC: plain data. The listening sockets travel beside it as handles.

import { hostname } from 'node:os';
import type { OptionName } from '../../config/option-table.js';
import type { Config } from '../../config/resolve.js';
import { UwsgiError } from '../../errors.js';
import { parseAddress } from '../../net/address.js';
import type { Backend, BackendAddress } from '../backends.js';
import { signCheckPlan } from '../subscription-server.js';
import { SUBSCRIPTION_ALGOS, type SubscriptionAlgo } from '../subscriptions.js';
import { parseSni, type SniPlan } from './sni.js';

/** The certificate files of an `https` router socket (read by the router, again on a reload). */
export interface RouterTls {
  readonly cert: string;
  readonly key: string;
  readonly ciphers?: string;
  /** Client certificates are asked for and checked against this CA. */
  readonly ca?: string;
}

/** One router socket: plain HTTP, HTTPS (`tls`), or an `http-to-https` redirector. */
export interface RouterAddress {
  /** As written, for the logs and stats. */
  readonly raw: string;
  /** The address to bind. */
  readonly addr: string;
  readonly kind: 'http' | 'https' | 'redirect';
  readonly tls?: RouterTls;
}

export interface RouterListener {
  readonly raw: string;
  readonly port: number;
  readonly kind: RouterAddress['kind'];
  readonly tls?: RouterTls;
}

export interface HttpRouterPlan {
  /** Router sockets as written (`:9090`) and their bound ports, in the order of their handles. */
  readonly listeners: readonly RouterListener[];
  /** `http-websockets`: where upgrade requests are relayed (an HTTP socket of the own workers). */
  readonly upgradeTo: BackendAddress | undefined;
  /** `http-websockets` towards `http-to` backends or subscribed nodes: upgrades go over uwsgi (uwsgi-upgrade.ts). */
  readonly websockets: boolean;
  /** `sni`, `sni-regexp`, `sni-dir`: TLS contexts by servername on the https sockets (sni.ts). */
  readonly sni: SniPlan;
  /** `http-h2c` (ours): HTTP/2 with prior knowledge on the plain http sockets. */
  readonly h2c: boolean;
  /** `https-export-cert`: the client's certificate goes to the backend as HTTPS_CC. */
  readonly exportCert: boolean;
  readonly backends: readonly Backend[];
  /** `http-fallback`: the last resort of a request whose backends all failed to connect. */
  readonly fallbacks: readonly Backend[];
  /** `http-auto-gzip`: answers marked `uWSGI-Encoding: gzip` gzipped for clients that take it. */
  readonly autoGzip: boolean;
  /** `http-raw-body`: chunked request bodies streamed to uwsgi backends in their framing. */
  readonly rawBody: boolean;
  readonly modifier1: number;
  readonly modifier2: number;
  readonly keepAlive: boolean;
  readonly timeoutMs: number;
  readonly headersTimeoutMs: number;
  readonly connectTimeoutMs: number;
  /** Request head limit: over it the client gets 431 (uWSGI: the connection is dropped). */
  readonly bufferSize: number;
  readonly serverName: string;
  readonly serverNameFromHost: boolean;
  readonly proxyProtocol: boolean;
  /** `http-manage-expect`: undefined when off, 0 without a limit, else the largest body accepted. */
  readonly manageExpect: number | undefined;
  readonly vars: ReadonlyArray<readonly [string, string]>;
  /** The largest chunked request body the router gathers (limit-post, else 1 GB). */
  readonly chunkedLimit: number;
  /**
   * The plain http sockets hand their connections to the own workers through the master (ours:
   * README "How requests reach the workers"); only when nothing of the router's own request
   * handling would differ from the workers' (handoffAllowed()).
   */
  readonly handoff: boolean;
  /** A stats socket handle follows for process 1. */
  readonly stats: boolean;
  /** `http-subscription-server` addresses (UDP), served by process 1. */
  readonly subscriptionServers: readonly string[];
  readonly subscriptionToleranceMs: number;
  /** `subscription-algo`: wrr (default), lrc, wlrc, iphash (subscriptions.ts). */
  readonly subscriptionAlgo: SubscriptionAlgo;
  /** `subscriptions-sign-check` (subscription-server.ts). */
  readonly subscriptionSign: ReturnType<typeof signCheckPlan>;
  /** The backend is the own workers' FastCGI socket: keep-conn connections in a pool. */
  readonly pooled: boolean;
  /** An idle pooled connection is closed after this (below the workers' socket-timeout). */
  readonly poolIdleMs: number;
}

function tlsFiles(
  where: string,
  raw: string,
  cert?: string,
  key?: string,
  ciphers?: string,
  ca?: string,
): RouterTls {
  if (!cert || !key) throw new UwsgiError('ERR_SOCKET_BAD_ADDRESS', `${where} needs ADDR,CERT,KEY: "${raw}"`);
  // a leading `!` on the CA (uWSGI's syntax) is accepted; the client certificate is required either way
  const caFile = ca?.replace(/^!/, '');
  return { cert, key, ...(ciphers ? { ciphers } : {}), ...(caFile ? { ca: caFile } : {}) };
}

/** `https2 = addr=...,cert=...,key=...[,ciphers=...,clientca=...]` (uWSGI's key=value form). */
function https2Address(raw: string): RouterAddress {
  const kv = new Map<string, string>();
  for (const part of raw.split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) kv.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const addr = kv.get('addr') ?? '';
  const tls = tlsFiles(
    'https2',
    raw,
    kv.get('cert'),
    kv.get('key'),
    kv.get('ciphers'),
    kv.get('clientca') ?? kv.get('ca'),
  );
  return { raw: addr, addr, kind: 'https', tls };
}

/** Router addresses: `http`, then `https` (ADDR,CERT,KEY[,CIPHERS,CA]), `https2`, `http-to-https`. */
export function routerAddresses(config: Config): RouterAddress[] {
  const https = config.all('https').map((o): RouterAddress => {
    const [addr = '', cert, key, ciphers, ca] = o.raw.split(',');
    return { raw: addr, addr, kind: 'https', tls: tlsFiles('https', o.raw, cert, key, ciphers, ca) };
  });
  return [
    ...config.all('http').map((o): RouterAddress => ({ raw: o.raw, addr: o.raw, kind: 'http' })),
    ...https,
    ...config.all('https2').map((o) => https2Address(String(o.raw))),
    ...config.all('http-to-https').map((o): RouterAddress => ({ raw: o.raw, addr: o.raw, kind: 'redirect' })),
  ];
}

/** The SNI entries of the config (a bad one stops the start: the role reads this in `open`). */
export function sniPlan(config: Config): SniPlan {
  // options of uWSGI's table (option-table-uwsgi.ts, subsystem security), read by name
  const all = (name: string) => config.all(name as OptionName);
  return {
    entries: [
      ...all('sni').map((o) => parseSni(String(o.raw), false)),
      ...all('sni-regexp').map((o) => parseSni(String(o.raw), true)),
    ],
    dir: all('sni-dir').at(-1)?.raw,
    dirCiphers: all('sni-dir-ciphers').at(-1)?.raw,
  };
}

/** `subscription-algo`, checked (the role reads it in `open`: a bad name stops the start). */
export function subscriptionAlgo(config: Config): SubscriptionAlgo {
  const name = String(config.value('subscription-algo')).trim();
  if (!(SUBSCRIPTION_ALGOS as readonly string[]).includes(name))
    throw new UwsgiError(
      'ERR_CONFIG_BAD_VALUE',
      `subscription-algo "${name}" is not one of ${SUBSCRIPTION_ALGOS.join(', ')}`,
    );
  return name as SubscriptionAlgo;
}

/** `http-to` backends; an empty list means the instance's own workers. */
export function staticBackends(config: Config, option: 'http-to' | 'http-fallback' = 'http-to'): Backend[] {
  return config.all(option).map((o) => {
    const address = parseAddress(o.raw, option);
    if (address.kind !== 'tcp' && address.kind !== 'unix' && address.kind !== 'abstract') {
      throw new UwsgiError('ERR_SOCKET_BAD_ADDRESS', `${option} needs a TCP or unix address: "${o.raw}"`);
    }
    return { name: o.raw, address: address as BackendAddress };
  });
}

/** An optional-value flag: given without a value or with a non-zero one. */
function optionalOn(config: Config, name: 'http-keepalive' | 'http-manage-expect'): number | undefined {
  const given = config.get(name);
  if (!given) return undefined;
  return given.raw.trim() === '' ? -1 : Number(given.raw);
}

export function httpRouterPlan(
  config: Config,
  listeners: HttpRouterPlan['listeners'],
  backends: readonly Backend[],
  stats: boolean,
  pooled: boolean,
  upgradeTo?: BackendAddress,
): HttpRouterPlan {
  const timeout = config.value('http-timeout');
  const keepalive = optionalOn(config, 'http-keepalive');
  const expect = optionalOn(config, 'http-manage-expect');
  const limitPost = config.value('limit-post') ?? 0;
  return {
    listeners,
    sni: sniPlan(config),
    h2c: config.value('http-h2c') === true,
    exportCert: config.value('https-export-cert') === true,
    upgradeTo,
    websockets: config.value('http-websockets') === true,
    backends,
    fallbacks: staticBackends(config, 'http-fallback'),
    autoGzip: config.value('http-auto-gzip') === true,
    rawBody: config.value('http-raw-body') === true,
    modifier1: config.value('http-modifier1'),
    modifier2: config.value('http-modifier2'),
    // on by default: the difference from uWSGI (README "The HTTP router")
    keepAlive: keepalive === undefined || keepalive !== 0,
    timeoutMs: timeout * 1000,
    headersTimeoutMs: (config.value('http-headers-timeout') ?? timeout) * 1000,
    connectTimeoutMs: (config.value('http-connect-timeout') ?? timeout) * 1000,
    bufferSize: config.value('http-buffer-size') ?? config.value('buffer-size'),
    serverName: hostname(),
    serverNameFromHost: config.value('http-server-name-as-http-host') === true,
    proxyProtocol: config.value('http-enable-proxy-protocol') === true,
    manageExpect: expect === undefined ? undefined : Math.max(0, expect),
    vars: config.all('http-var').map((o) => {
      const eq = o.raw.indexOf('=');
      return eq < 0 ? ([o.raw, ''] as const) : ([o.raw.slice(0, eq), o.raw.slice(eq + 1)] as const);
    }),
    chunkedLimit: limitPost > 0 ? limitPost : 1024 * 1024 * 1024,
    handoff: pooled && handoffAllowed(config),
    stats,
    subscriptionServers: config.all('http-subscription-server').map((o) => o.raw),
    subscriptionToleranceMs: config.value('subscription-tolerance') * 1000,
    subscriptionAlgo: subscriptionAlgo(config),
    subscriptionSign: signCheckPlan(config),
    pooled,
    poolIdleMs: Math.max(500, Math.min(30_000, (config.value('socket-timeout') * 1000) / 2)),
  };
}

/**
 * The options whose meaning lives in the router's own request handling: with any of them set the
 * router proxies every request (a handed connection is served by the worker's HTTP parser, which
 * knows none of them). `pooled` (own workers, no modifier, no subscriptions) is checked by the caller.
 */
const ROUTER_ONLY: readonly OptionName[] = [
  'http-no-handoff',
  'http-var',
  'http-server-name-as-http-host',
  'http-enable-proxy-protocol',
  'http-h2c',
  'http-auto-gzip',
  'http-raw-body',
  'http-fallback',
  'http-websockets',
  'http-manage-expect',
  'http-timeout',
  'http-headers-timeout',
  'http-buffer-size',
  'http-stats',
];

export function handoffAllowed(config: Config): boolean {
  // `http-keepalive` on is what a handed connection does anyway; `= 0` (close after each answer) proxies
  if (optionalOn(config, 'http-keepalive') === 0) return false;
  return ROUTER_ONLY.every((name) => config.all(name).length === 0);
}
