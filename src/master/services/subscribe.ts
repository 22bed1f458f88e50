// `subscribe-to`: once the workers serve, the master announces the instance's first uwsgi socket
// to each subscription server every `subscribe-freq` seconds (uWSGI's lines: "subscribing to
// SERVER:PORT:KEY" once, "unsubscribing from ..." at the stop), so uWSGI's routers and ours send
// it requests for the key.

import { createPrivateKey } from 'node:crypto';
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import { formatOrigin } from '../../config/entry.js';
import type { Config } from '../../config/resolve.js';
import { UwsgiError } from '../../errors.js';
import {
  announcePacket,
  parseSubscribe2,
  parseSubscribeTo,
  type SubscribeTarget,
} from '../../gateway/subscribe-to.js';
import { ctime } from '../../logging/request-log.js';
import { describeAddress } from '../../net/address.js';
import { boundPort } from '../../net/native-handle.js';
import type { ServiceRow } from '../master-context.js';

/**
 * `subscribe2 = server=..,key=..[,addr=..|socket=N,weight=..,modifier1=..,modifier2=..,backup=..]`;
 * a line that does not read stops the start, naming the option and where it was given (the
 * master checks them before binding, the service reads them again once the workers serve).
 */
export function subscribe2Targets(config: Config): SubscribeTarget[] {
  return config.all('subscribe2').map((o) => {
    const t = parseSubscribe2(o.raw);
    const bad = (why: string) =>
      new UwsgiError(
        'ERR_CONFIG_BAD_VALUE',
        `invalid value for option "subscribe2": "${o.raw}": ${why} (${formatOrigin(o.origin)})`,
      );
    if (typeof t === 'string') throw bad(t);
    if (!t.sign) return t;
    // sign=DIGEST:KEYFILE: a key that does not read stops the start too
    try {
      const key = createPrivateKey(readFileSync(t.sign.path));
      return { ...t, signWith: { digest: t.sign.digest, key } };
    } catch (err) {
      throw bad(`cannot read the private key ${t.sign.path}: ${(err as Error).message}`);
    }
  });
}

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
    targets.push(...subscribe2Targets(ctx.config));
    if (targets.length === 0) return undefined;
    const addressOf = (b: (typeof ctx.bound)[number] | undefined) =>
      b ? describeAddress(b.address, boundPort(b.handle)).replace(/^\S+ address /, '') : '';
    const ownAddress = addressOf(ctx.bound.find((b) => b.protocol === 'uwsgi') ?? ctx.bound[0]);
    const announced = (t: SubscribeTarget) =>
      t.address ?? (t.socketIndex !== undefined ? addressOf(ctx.bound[t.socketIndex]) : ownAddress);
    const cores = ctx.config.value('processes');
    const socket = dgram.createSocket('udp4');
    socket.on('error', (err) => ctx.log(`subscribe-to: ${err.message}`));
    socket.unref();
    const send = (unsubscribe: boolean, done?: () => void) => {
      let left = targets.length;
      for (const t of targets) {
        const packet = announcePacket(t.key, announced(t), cores, unsubscribe, t);
        socket.send(packet, t.server.port, t.server.host, () => {
          if (--left === 0) done?.();
        });
      }
    };
    // `start-unsubscribed` and FIFO `S` block the announces (uWSGI: none is sent, none is logged,
    // the next tick after `S` announces again); a graceful reload with
    // `unsubscribe-on-graceful-reload` unsubscribes and holds them until the new workers serve
    let blocked = ctx.config.value('start-unsubscribed');
    let reloading = false;
    const announce = () => {
      if (!blocked && !reloading) send(false);
    };
    if (!blocked) {
      for (const t of targets) ctx.log(`subscribing to ${t.raw}`);
      send(false);
    }
    const timer = setInterval(announce, ctx.config.value('subscribe-freq') * 1000);
    timer.unref();
    ctx.provide('subscriptions', {
      toggle: () => {
        blocked = !blocked;
        ctx.log(`${ctime(Date.now())} - subscriptions ${blocked ? 'blocked' : 're-enabled'}`);
      },
    });
    return {
      reload: () => {
        if (!ctx.config.value('unsubscribe-on-graceful-reload') || blocked) return;
        reloading = true;
        for (const t of targets) ctx.log(`unsubscribing from ${t.raw}`);
        send(true);
      },
      reloaded: () => {
        if (!reloading) return;
        reloading = false;
        for (const t of targets) ctx.log(`subscribing to ${t.raw}`);
        send(false);
      },
      close: () => {
        clearInterval(timer);
        for (const t of targets) ctx.log(`unsubscribing from ${t.raw}`);
        send(true, () => socket.close());
      },
    };
  },
};
