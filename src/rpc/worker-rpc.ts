// The RPC functions of this process. One table per process, as uWSGI keeps one per worker: the
// app API registers into it and the uwsgi sockets' modifier1 173 row (packet-handlers.ts) calls
// from it. A module-level instance because both sides are module-level: the packet table is a
// constant and the app reaches its worker through a global slot.

import { RpcRegistry } from './registry.js';

export const workerRpc = new RpcRegistry();
