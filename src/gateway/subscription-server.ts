// A router's subscription servers (`http-subscription-server`, `fastrouter-subscription-server`;
// reference §2.11): UDP sockets whose announces feed one SubscriptionTable, with uWSGI's line
// "uWSGI GATEWAY subscription server bound on ADDR fd N" (the real port for :0). Shared by the
// HTTP router and the fastrouter, run in their process 1.

import dgram from 'node:dgram';
import { parseAddress } from '../net/address.js';
import { parseAnnounce, type SubscriptionAlgo, SubscriptionTable } from './subscriptions.js';

export interface SubscriptionServerPlan {
  /** `http` or `fastrouter`: the option's and the log line's name. */
  readonly gateway: string;
  readonly addresses: readonly string[];
  readonly toleranceMs: number;
  readonly algo: SubscriptionAlgo;
}

export async function openSubscriptionServers(
  p: SubscriptionServerPlan,
  log: (line: string) => void,
): Promise<SubscriptionTable> {
  const table = new SubscriptionTable(p.toleranceMs, log, Date.now, p.algo);
  const option = `${p.gateway}-subscription-server`;
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
      else table.apply(announce);
    });
    const port = socket.address().port;
    const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd ?? -1;
    log(`uWSGI ${p.gateway} subscription server bound on ${raw.replace(/:\d+$/, `:${port}`)} fd ${fd}\n`);
  }
  setInterval(() => table.expire(), 1000).unref();
  return table;
}
