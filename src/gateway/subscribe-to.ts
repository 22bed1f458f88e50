// The announces an instance sends to subscription servers (`subscribe-to`, reference §2.11; seed
// manual "uWSGI Subscription Server"), in uWSGI 2.0.21's bytes (recorded:
// test/fixtures/gateway/http-router-uwsgi-2.0.21.json): modifier1 224, modifier2 0 (1 to
// unsubscribe), vars key, address, modifier1, modifier2, cores, load, weight. A codec.

import type { KeyObject } from 'node:crypto';
import { encodeUwsgiPacket, encodeUwsgiVars } from '../protocol/uwsgi.js';
import { parseSignSpec, signVars } from './subscription-sign.js';
import { SUBSCRIPTION_MODIFIER1 } from './subscriptions.js';

export interface SubscribeTarget {
  /** `host:port` of the subscription server (UDP). */
  readonly server: { readonly host: string; readonly port: number };
  readonly key: string;
  /** The address announced: `[ADDR=]server:port:key` gives it, else the instance's first socket. */
  readonly address: string | undefined;
  /** As written, for the log lines. */
  readonly raw: string;
  /** subscribe2's `socket=N`: the Nth own socket's address is announced. */
  readonly socketIndex?: number;
  readonly weight?: number;
  readonly modifier1?: number;
  readonly modifier2?: number;
  /** Our routers use a backup node only when the key has no node of a lower level (uWSGI 2.0.21 ignores it). */
  readonly backup?: number;
  /** `sign=DIGEST:PRIVATE_KEY_FILE` (subscription-sign.ts): the file is read by the master. */
  readonly sign?: { readonly digest: string; readonly path: string };
  /** The key read from `sign`'s file. */
  readonly signWith?: { readonly digest: string; readonly key: KeyObject };
}

const SUBSCRIBE2_KEYS = new Set([
  'server',
  'key',
  'addr',
  'address',
  'socket',
  'weight',
  'modifier1',
  'modifier2',
  'backup',
  'sign',
]);

/**
 * `subscribe2 = server=HOST:PORT,key=KEY[,addr=ADDR|socket=N,weight=N,modifier1=N,modifier2=N,backup=N,sign=DIGEST:KEYFILE]`
 * (uWSGI's key=value form); the reason when it does not read. Keys uWSGI 2.0.21 has that are not
 * served here (sni_key, sni_crt...) are named in the reason.
 */
export function parseSubscribe2(raw: string): SubscribeTarget | string {
  const kv = new Map<string, string>();
  for (const part of raw.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) return `"${part}" is not key=value`;
    kv.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  for (const k of kv.keys()) if (!SUBSCRIBE2_KEYS.has(k)) return `key "${k}" is not served`;
  const server = /^([^:]*):(\d+)$/.exec(kv.get('server') ?? '');
  const key = kv.get('key');
  if (!server || !key) return 'server=HOST:PORT and key=KEY are needed';
  for (const k of ['socket', 'weight', 'modifier1', 'modifier2', 'backup']) {
    const v = kv.get(k);
    if (v !== undefined && !/^\d+$/.test(v)) return `${k}=${v} is not a number`;
  }
  const int = (name: string): number | undefined => {
    const v = kv.get(name);
    return v === undefined ? undefined : Number(v);
  };
  const address = kv.get('addr') ?? kv.get('address');
  const socketIndex = int('socket');
  const weight = int('weight');
  const modifier1 = int('modifier1');
  const modifier2 = int('modifier2');
  const backup = int('backup');
  const signText = kv.get('sign');
  const sign = signText === undefined ? undefined : parseSignSpec(signText);
  if (signText !== undefined && !sign)
    return `sign=${signText} is not DIGEST:KEYFILE (a digest such as SHA1)`;
  return {
    server: { host: server[1] || '127.0.0.1', port: Number(server[2]) },
    key,
    address,
    raw,
    ...(socketIndex !== undefined ? { socketIndex } : {}),
    ...(weight !== undefined ? { weight } : {}),
    ...(modifier1 !== undefined ? { modifier1 } : {}),
    ...(modifier2 !== undefined ? { modifier2 } : {}),
    ...(backup !== undefined ? { backup } : {}),
    ...(sign ? { sign } : {}),
  };
}

/** `[myaddr=]server:port:key`; undefined when it does not read. */
export function parseSubscribeTo(raw: string): SubscribeTarget | undefined {
  const eq = raw.indexOf('=');
  const address = eq > 0 ? raw.slice(0, eq) : undefined;
  const rest = eq > 0 ? raw.slice(eq + 1) : raw;
  const m = /^([^:]*):(\d+):(.+)$/.exec(rest);
  if (!m) return undefined;
  return {
    server: { host: m[1] || '127.0.0.1', port: Number(m[2]) },
    key: m[3] as string,
    address,
    raw: rest,
  };
}

/** What an announce says of the node besides its key and address (subscribe2's keys). */
export interface AnnounceExtras {
  readonly weight?: number;
  readonly modifier1?: number;
  readonly modifier2?: number;
  readonly backup?: number;
  /** Signs the announce (`unix` and `sign` vars) with this key. */
  readonly signWith?: { readonly digest: string; readonly key: KeyObject };
}

export function announcePacket(
  key: string,
  address: string,
  cores: number,
  unsubscribe: boolean,
  extras: AnnounceExtras = {},
): Buffer {
  const vars: Array<[string, string]> = [
    ['key', key],
    ['address', address],
    ['modifier1', String(extras.modifier1 ?? 0)],
    ['modifier2', String(extras.modifier2 ?? 0)],
    ['cores', String(cores)],
    ['load', '0'],
    ['weight', String(extras.weight ?? 0)],
  ];
  // uWSGI 2.0.21's routers skip vars they do not know
  if (extras.backup) vars.push(['backup', String(extras.backup)]);
  let body = encodeUwsgiVars(vars);
  if (extras.signWith)
    body = signVars(body, extras.signWith.digest, extras.signWith.key, Math.floor(Date.now() / 1000));
  return encodeUwsgiPacket(SUBSCRIPTION_MODIFIER1, unsubscribe ? 1 : 0, body);
}
