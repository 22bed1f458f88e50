// `subscribe-to`: once the workers serve, the master announces the instance's first uwsgi socket
// to each subscription server every `subscribe-freq` seconds (uWSGI's lines: "subscribing to
// SERVER:PORT:KEY" once, "unsubscribing from ..." at the stop), so uWSGI's routers and ours send
// it requests for the key.

import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import { announcePacket, parseSubscribeTo, type SubscribeTarget } from '../../gateway/subscribe-to.js';
import { describeAddress } from '../../net/address.js';
import { boundPort } from '../../net/native-handle.js';
import type { ServiceRow } from '../master-context.js';

export const subscribeService: ServiceRow = {
  name: 'subscribe',
  phase: 'serving',
  open(ctx) {
    const targets: SubscribeTarget[] = [];
    for (const o of ctx.config.all('subscribe-to')) {
      const t = parseSubscribeTo(o.raw);
      if (t?.key.startsWith('@')) {
        // `server:port:@keysfile`: one key a line (reference §2.11)
        try {
          const keys = readFileSync(t.key.slice(1), 'utf8')
            .split('\n')
            .map((k) => k.trim())
            .filter(Boolean);
          for (const key of keys) targets.push({ ...t, key, raw: t.raw.replace(/@[^:]*$/, key) });
        } catch (err) {
          ctx.log(`subscribe-to "${o.raw}": cannot read the keys file: ${(err as Error).message}`);
        }
      } else if (t) targets.push(t);
      else ctx.log(`invalid subscribe-to "${o.raw}": expected [ADDR=]SERVER:PORT:KEY`);
    }
    if (targets.length === 0) return undefined;
    const own = ctx.bound.find((b) => b.protocol === 'uwsgi') ?? ctx.bound[0];
    const ownAddress = own
      ? describeAddress(own.address, boundPort(own.handle)).replace(/^\S+ address /, '')
      : '';
    const cores = ctx.config.value('processes');
    const socket = dgram.createSocket('udp4');
    socket.on('error', (err) => ctx.log(`subscribe-to: ${err.message}`));
    socket.unref();
    const send = (unsubscribe: boolean, done?: () => void) => {
      let left = targets.length;
      for (const t of targets) {
        const packet = announcePacket(t.key, t.address ?? ownAddress, cores, unsubscribe);
        socket.send(packet, t.server.port, t.server.host, () => {
          if (--left === 0) done?.();
        });
      }
    };
    for (const t of targets) ctx.log(`subscribing to ${t.raw}`);
    send(false);
    const timer = setInterval(() => send(false), ctx.config.value('subscribe-freq') * 1000);
    timer.unref();
    return {
      close: () => {
        clearInterval(timer);
        for (const t of targets) ctx.log(`unsubscribing from ${t.raw}`);
        send(true, () => socket.close());
      },
    };
  },
};
