// A router's subscription servers (`http-subscription-server`, `fastrouter-subscription-server`;
// reference §2.11): UDP sockets whose announces feed one SubscriptionTable, with uWSGI's line
// "uWSGI GATEWAY subscription server bound on ADDR fd N" (the real port for :0). Shared by the
// HTTP router and the fastrouter, run in their process 1.

import { createPublicKey, type KeyObject } from 'node:crypto';
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatOrigin } from '../config/entry.js';
import type { Config } from '../config/resolve.js';
import { UwsgiError } from '../errors.js';
import { parseAddress } from '../net/address.js';
import { checkSigned, parseSignSpec } from './subscription-sign.js';
import { type Announce, parseAnnounce, type SubscriptionAlgo, SubscriptionTable } from './subscriptions.js';

export interface SubscriptionServerPlan {
  /** `http` or `fastrouter`: the option's and the log line's name. */
  readonly gateway: string;
  readonly addresses: readonly string[];
  readonly toleranceMs: number;
  readonly algo: SubscriptionAlgo;
  /** `subscriptions-sign-check = DIGEST:CERT_DIR`: only announces signed with CERT_DIR/KEY.pem's key count. */
  readonly signCheck?: { readonly digest: string; readonly path: string };
  /** `subscriptions-sign-check-tolerance` (seconds; 0: any `unix` time). */
  readonly signToleranceS?: number;
}

/** `subscriptions-sign-check` and its tolerance, checked (a bad value stops the start). */
export function signCheckPlan(config: Config): Pick<SubscriptionServerPlan, 'signCheck' | 'signToleranceS'> {
  const raw = config.get('subscriptions-sign-check');
  if (!raw) return {};
  const spec = parseSignSpec(raw.raw);
  if (!spec)
    throw new UwsgiError(
      'ERR_CONFIG_BAD_VALUE',
      `invalid value for option "subscriptions-sign-check": "${raw.raw}" is not DIGEST:CERT_DIR (a digest such as SHA1) (${formatOrigin(raw.origin)})`,
    );
  return { signCheck: spec, signToleranceS: config.value('subscriptions-sign-check-tolerance') ?? 0 };
}

export async function openSubscriptionServers(
  p: SubscriptionServerPlan,
  log: (line: string) => void,
): Promise<SubscriptionTable> {
  const table = new SubscriptionTable(p.toleranceMs, log, Date.now, p.algo);
  const option = `${p.gateway}-subscription-server`;
  const keys = new Map<string, KeyObject | undefined>();
  const lastUnix = new Map<string, number>();
  /** subscriptions-sign-check: a verified signature, a `unix` within the tolerance, never older than the last. */
  const signed = (a: Announce, packet: Buffer): boolean => {
    const check = p.signCheck;
    if (!check) return true;
    const drop = (why: string) => {
      log(`[uwsgi-subscription for pid ${process.pid}] ${a.key} => ${a.address}: ${why}, ignored\n`);
      return false;
    };
    if (!keys.has(a.key)) {
      let key: KeyObject | undefined;
      try {
        key = createPublicKey(readFileSync(join(check.path, `${a.key}.pem`)));
      } catch {
        key = undefined;
      }
      keys.set(a.key, key);
    }
    const key = keys.get(a.key);
    if (!key) return drop(`no public key ${join(check.path, `${a.key}.pem`)}`);
    const result = checkSigned(packet.subarray(4, 4 + packet.readUInt16LE(1)), check.digest, key);
    if (typeof result === 'string') return drop(result);
    const tolerance = p.signToleranceS ?? 0;
    if (tolerance > 0 && Math.abs(Date.now() / 1000 - result.unix) > tolerance)
      return drop(`unix time ${result.unix} is outside the tolerance`);
    const node = `${a.key} ${a.address}`;
    if (result.unix < (lastUnix.get(node) ?? 0))
      return drop(`unix time ${result.unix} is older than the last one`);
    lastUnix.set(node, result.unix);
    return true;
  };
  for (const raw of p.addresses) {
    const a = parseAddress(raw, option);
    if (a.kind !== 'tcp') throw new Error(`${option} needs a UDP host:port: "${raw}"`);
    const socket = dgram.createSocket(a.family === 6 ? 'udp6' : 'udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(a.port, a.host, () => resolve());
    });
    socket.on('message', (packet) => {
      const announce = parseAnnounce(packet);
      if (typeof announce === 'string')
        log(`[uwsgi-subscription for pid ${process.pid}] bad packet: ${announce}\n`);
      else if (signed(announce, packet)) table.apply(announce);
    });
    const port = socket.address().port;
    const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd ?? -1;
    log(`uWSGI ${p.gateway} subscription server bound on ${raw.replace(/:\d+$/, `:${port}`)} fd ${fd}\n`);
  }
  setInterval(() => table.expire(), 1000).unref();
  return table;
}
