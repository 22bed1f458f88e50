// The vassal side of the emperor protocol (reference §6.3): started with UWSGI_EMPEROR_FD, the
// instance tells its Emperor it is spawned, accepting and loyal once its first workers serve,
// sends a heartbeat every `heartbeat` seconds, and obeys bytes 0 (stop now), 1 (reload) and 2
// (stop gracefully). Its Emperor gone (EOF), it stops, as uWSGI's vassals do.

import net from 'node:net';
import {
  decodeToVassal,
  encodeFromVassal,
  TO_VASSAL,
  type ToVassal,
} from '../../emperor/emperor-messages.js';
import type { LifecycleOp } from '../lifecycle.js';
import type { ServiceRow } from '../master-context.js';

const REQUESTS: Readonly<Record<ToVassal, LifecycleOp>> = {
  stop: 'kill',
  reload: 'reload',
  'graceful-stop': 'stop',
};

export const emperorLinkService: ServiceRow = {
  name: 'emperor-link',
  // once the first workers serve: what arrives before waits in the socket
  phase: 'serving',
  open(ctx) {
    const raw = process.env['UWSGI_EMPEROR_FD'];
    if (raw === undefined) return undefined;
    // the workers and anything they run are not vassals
    delete process.env['UWSGI_EMPEROR_FD'];
    const fd = Number(raw);
    if (!Number.isInteger(fd) || fd < 0) {
      ctx.log(`UWSGI_EMPEROR_FD=${raw} is not an fd: running without an Emperor`);
      return undefined;
    }
    ctx.log(`*** has_emperor mode detected (fd: ${fd}) ***`);
    let socket: net.Socket;
    try {
      socket = new net.Socket({ fd, readable: true, writable: true });
    } catch (err) {
      ctx.log(
        `emperor fd ${fd}: ${err instanceof Error ? err.message : String(err)}: running without an Emperor`,
      );
      return undefined;
    }
    let closing = false;
    socket.on('data', (chunk: Buffer) => {
      for (const message of decodeToVassal(chunk)) {
        ctx.log(`received message ${TO_VASSAL[message]} from emperor`);
        ctx.lifecycle.request(REQUESTS[message]);
      }
    });
    const lost = () => {
      if (closing) return;
      closing = true;
      ctx.log('lost connection with my emperor !!!');
      ctx.lifecycle.request('kill');
    };
    socket.on('end', lost);
    socket.on('close', lost);
    socket.on('error', lost);
    const send = (bytes: Buffer) => {
      if (!socket.destroyed) socket.write(bytes);
    };
    send(encodeFromVassal('spawned'));
    send(encodeFromVassal('accepting'));
    // loyal once serving: uWSGI 2.0 waits for the first request (README "The Emperor")
    ctx.log('announcing my loyalty to the Emperor...');
    send(encodeFromVassal('loyal'));
    const heartbeat = ctx.config.value('heartbeat') ?? 0;
    const timer =
      heartbeat > 0 ? setInterval(() => send(encodeFromVassal('heartbeat')), heartbeat * 1000) : undefined;
    timer?.unref();
    return {
      close() {
        closing = true;
        if (timer) clearInterval(timer);
        socket.destroy();
      },
    };
  },
};
