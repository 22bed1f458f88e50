// Every bound socket's listen queue (alarm-backlog, the metrics' socket.N.listen_queue).

import type { SocketQueue } from '../../alarm/alarms.js';
import { boundPort } from '../../net/native-handle.js';
import { listenQueue } from '../../stats/listen-queue.js';
import { socketName } from '../../stats/stats-document.js';
import type { MasterContext } from '../master-context.js';
import { socketQueue } from '../sockets.js';

export function socketQueues(ctx: MasterContext): SocketQueue[] {
  const backlog = ctx.config.value('listen');
  return ctx.bound.map((b) => {
    const port = b.address.kind === 'tcp' ? boundPort(b.handle) : undefined;
    const q = port === undefined ? undefined : listenQueue(port);
    return {
      name: socketName(b),
      fd: b.handle.fd,
      queue: q?.queue ?? socketQueue(b),
      max: q?.max || backlog,
    };
  });
}
