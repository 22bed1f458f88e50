// The master's part of the router's hand-off (README "How requests reach the workers"): a router
// process accepted a client connection and sent its kernel handle up; the master passes it on to a
// serving worker, round robin, and closes its own copy once the worker has it. Routers and workers
// are siblings without a channel of their own, so the master is the one hop between them; it costs
// one message per connection, not per request (a keep-alive client stays on its worker).

import type { ChildProcessLike } from '../../master/supervisor/child.js';

/** A kernel handle as Node's IPC delivers a `net.Native` one (a TCP or pipe wrap). */
export interface RawHandle {
  close(cb?: () => void): void;
}

export interface HandoffTargets {
  /** The workers serving now (ready, not draining), in spawn order. */
  serving(): readonly { readonly proc: ChildProcessLike }[];
}

/** What the worker needs to serve a handed connection as the router's socket would. */
export interface HandedMessage {
  readonly t: 'handed';
  /** SERVER_NAME (the router's: the host name). */
  readonly serverName: string;
}

/** How long a connection waits for a serving worker (a reload between generations) before it is dropped. */
const WAIT_FOR_WORKER_MS = 5000;
const RETRY_MS = 20;

export class HandoffRelay {
  private next = 0;
  /** Connections relayed and dropped (no serving worker in time): logged once per burst. */
  dropped = 0;

  constructor(
    private readonly targets: HandoffTargets,
    private readonly log: (line: string) => void,
  ) {}

  relay(handle: RawHandle, message: HandedMessage, since = Date.now()): void {
    const serving = this.targets.serving();
    if (serving.length === 0) {
      if (Date.now() - since > WAIT_FOR_WORKER_MS) this.drop(handle);
      else setTimeout(() => this.relay(handle, message, since), RETRY_MS).unref();
      return;
    }
    const slot = serving[this.next++ % serving.length];
    if (!slot) {
      this.drop(handle);
      return;
    }
    try {
      // the worker has its own copy once the send completed; a failed one (the worker just exited)
      // goes to another worker
      slot.proc.send(message, handle, {}, (err) => {
        if (err) setTimeout(() => this.relay(handle, message, since), RETRY_MS).unref();
        else handle.close();
      });
    } catch {
      setTimeout(() => this.relay(handle, message, since), RETRY_MS).unref();
    }
  }

  private drop(handle: RawHandle): void {
    if (this.dropped++ === 0) this.log('[uwsgi-http] no worker took a handed connection in 5 s: closed');
    handle.close();
  }
}
