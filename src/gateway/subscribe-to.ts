// The announces an instance sends to subscription servers (`subscribe-to`, reference §2.11; seed
// manual "uWSGI Subscription Server"), in uWSGI 2.0.21's bytes (recorded:
// test/fixtures/gateway/http-router-uwsgi-2.0.21.json): modifier1 224, modifier2 0 (1 to
// unsubscribe), vars key, address, modifier1, modifier2, cores, load, weight. A codec.

import { encodeUwsgiPacket, encodeUwsgiVars } from '../protocol/uwsgi.js';
import { SUBSCRIPTION_MODIFIER1 } from './subscriptions.js';

export interface SubscribeTarget {
  /** `host:port` of the subscription server (UDP). */
  readonly server: { readonly host: string; readonly port: number };
  readonly key: string;
  /** The address announced: `[ADDR=]server:port:key` gives it, else the instance's first socket. */
  readonly address: string | undefined;
  /** As written, for the log lines. */
  readonly raw: string;
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

export function announcePacket(key: string, address: string, cores: number, unsubscribe: boolean): Buffer {
  const vars: Array<[string, string]> = [
    ['key', key],
    ['address', address],
    ['modifier1', '0'],
    ['modifier2', '0'],
    ['cores', String(cores)],
    ['load', '0'],
    ['weight', '0'],
  ];
  return encodeUwsgiPacket(SUBSCRIPTION_MODIFIER1, unsubscribe ? 1 : 0, encodeUwsgiVars(vars));
}
