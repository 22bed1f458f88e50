// One process of a "corerouter" gateway (fastrouter, rawrouter, sslrouter: uWSGI builds the three
// on its corerouter plugin, and so do we). What differs between them is a row (CoreRouterSpec):
// how a listener accepts (plain TCP or TLS) and how the key is found (the fastrouter reads the
// uwsgi packet's vars; the rawrouter has none and pipes at once, so a server-speaks-first
// protocol such as SMTP works; the sslrouter's key is the SNI name). The rest is here: the
// candidates (subscriptions, `-to` round robin, use-pattern, use-base, then the fallbacks), the
// pipe both ways, the stats server, and the start/stop messages from the master.

import type net from 'node:net';
import { ownLogWriter } from '../../logging/worker-output.js';
import type { NativeHandle } from '../../net/native-handle.js';
import { type Backend, BackendList } from '../backends.js';
import { routerStatsJson } from '../router-stats.js';
import { openSubscriptionServers } from '../subscription-server.js';
import type { Node, SubscriptionTable } from '../subscriptions.js';
import {
  backendOf,
  type CoreRouterListener,
  type CoreRouterName,
  type CoreRouterPlan,
} from './corerouter-plan.js';
import { statsServer } from './stats-server.js';

export type KeyRead =
  /** `head`: what was read from the client to find the key, written to the backend first. */
  | { readonly kind: 'key'; readonly key: string; readonly head: Buffer }
  | { readonly kind: 'bad'; readonly why: string };

export interface CoreRouterSpec {
  readonly name: CoreRouterName;
  /** A server for one listener; `onSession` gets each client once it may be read. */
  server(listener: CoreRouterListener, onSession: (client: net.Socket) => void): net.Server;
  /** Resolves with the key once known (never, if the client leaves first). */
  readKey(client: net.Socket, plan: CoreRouterPlan): Promise<KeyRead>;
  /** Half-closed connections stay open one way (a TCP proxy); the fastrouter's do not. */
  readonly halfOpen: boolean;
}

export function runCoreRouter(spec: CoreRouterSpec): void {
  const id = Number(process.env['UWSGI_TS_ROUTER_ID'] ?? 1);
  const log = ownLogWriter();
  const prefix = `[uwsgi-${spec.name}]`;
  const handles = new Map<number, NativeHandle>();
  let statsHandle: NativeHandle | undefined;
  let plan: CoreRouterPlan | undefined;
  const servers: net.Server[] = [];
  let sessions = 0;
  /** Subscribed nodes (process 1 runs the subscription servers). */
  let subscriptions: SubscriptionTable | undefined;

  /**
   * The backends to try for a key, in order: the key's subscribed nodes (the algorithm's pick
   * first; `taken` is given back when the session ends), else `-to`, use-pattern, use-base; then
   * the fallbacks.
   */
  const candidates = (
    p: CoreRouterPlan,
    statics: BackendList,
    key: string,
    client: string,
  ): { tries: Backend[]; taken?: Node } => {
    const out: Backend[] = [];
    const nodes = subscriptions?.order(key, client) ?? [];
    if (nodes.length > 0) {
      out.push(...nodes.map((n) => n.backend), ...p.fallback);
      return { tries: out, ...(nodes[0] ? { taken: nodes[0] } : {}) };
    }
    if (p.to.length > 0) out.push(...statics.order());
    else if (key && p.pattern)
      out.push(backendOf(p.pattern.replaceAll('%s', key), `${p.gateway}-use-pattern`));
    else if (key && p.base) out.push(backendOf(`${p.base}${key}`, `${p.gateway}-use-base`));
    out.push(...p.fallback);
    return { tries: out };
  };

  const session = async (
    p: CoreRouterPlan,
    statics: BackendList,
    via: string,
    client: net.Socket,
  ): Promise<void> => {
    sessions++;
    client.once('close', () => sessions--);
    client.on('error', () => client.destroy());
    client.setTimeout(p.timeoutMs, () => client.destroy());
    const peer = `${client.remoteAddress ?? '?'}:${client.remotePort ?? 0}`;
    const k = await spec.readKey(client, p);
    if (k.kind === 'bad') {
      log(`${prefix} ${k.why} from ${peer}\n`);
      client.destroy();
      return;
    }
    const what = k.key ? ` for key "${k.key}"` : '';
    const { tries, taken } = candidates(p, statics, k.key, client.remoteAddress ?? '');
    if (taken) client.once('close', () => subscriptions?.release(taken));
    if (tries.length === 0) {
      log(`${prefix} unable to find a backend${what} from ${peer}\n`);
      client.destroy();
      return;
    }
    const connected = await statics.connect(tries, via);
    if (!connected || client.destroyed) {
      if (!connected) log(`${prefix} no backend answered${what} from ${peer}\n`);
      connected?.socket.destroy();
      client.destroy();
      return;
    }
    const backend = connected.socket;
    if (k.head.length > 0) backend.write(k.head);
    backend.setTimeout(p.timeoutMs, () => backend.destroy());
    backend.on('error', (err) => {
      log(`${prefix} backend ${connected.backend.name}${what}: ${err.message}\n`);
      client.destroy();
    });
    client.on('close', () => backend.destroy());
    // with halfOpen, each side's end is passed on by the pipes; the session is over when both closed
    backend.on('close', () => client.end());
    client.pipe(backend);
    backend.pipe(client);
    client.resume();
  };

  const start = async (): Promise<void> => {
    const p = plan;
    if (!p) throw new Error(`${spec.name} started without a plan`);
    const statics = new BackendList(
      p.to,
      p.timeoutMs,
      log,
      spec.name === 'fastrouter'
        ? undefined
        : { gateway: spec.name, graceMs: p.graceMs, halfOpen: spec.halfOpen },
    );
    if (p.subscriptionServers.length > 0 && id === 1)
      subscriptions = await openSubscriptionServers(
        {
          gateway: spec.name,
          addresses: p.subscriptionServers,
          toleranceMs: p.subscriptionToleranceMs,
          algo: p.subscriptionAlgo,
          ...p.subscriptionSign,
        },
        log,
      );
    for (const [index, listener] of p.listeners.entries()) {
      const handle = handles.get(index);
      if (!handle) throw new Error(`${spec.name} socket ${index} was not passed`);
      const server = spec.server(listener, (client) => void session(p, statics, listener.raw, client));
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(handle as unknown as net.Server, 1024, () => resolve());
      });
      servers.push(server);
    }
    if (statsHandle && p.stats) {
      const stats = statsServer(() => {
        const nodes = p.to.map((b) => {
          const until = statics.graceUntil.get(b.name) ?? 0;
          return {
            name: b.name,
            hits: statics.hits.get(b.name) ?? 0,
            grace: until > Date.now() ? Math.floor(until / 1000) : 0,
          };
        });
        return routerStatsJson(
          spec.name,
          p.listeners.map((l) => l.raw),
          sessions,
          nodes,
        );
      });
      await new Promise<void>((resolve) =>
        stats.listen(statsHandle as unknown as net.Server, 128, () => resolve()),
      );
      servers.push(stats);
    }
    process.title = `uWSGI ${spec.name} ${id}`;
    process.send?.({ t: 'ready' });
  };

  // graceful: stop accepting, let the open sessions finish (the master's mercy bounds the wait)
  const stop = (): void => {
    for (const s of servers) s.close();
    const exit = () => (sessions <= 0 ? process.exit(0) : setTimeout(exit, 100));
    exit();
  };

  type Message =
    | { t: 'router-plan'; plan: CoreRouterPlan }
    | { t: 'router-socket'; index: number }
    | { t: 'router-stats-socket' }
    | { t: 'start' }
    | { t: 'stop' };

  process.on('message', (message: Message, handle?: unknown) => {
    switch (message.t) {
      case 'router-plan':
        plan = message.plan;
        break;
      case 'router-socket':
        handles.set(message.index, handle as NativeHandle);
        break;
      case 'router-stats-socket':
        statsHandle = handle as NativeHandle;
        break;
      case 'start':
        start().catch((err: unknown) => {
          log(`${spec.name} ${id} failed: ${err instanceof Error ? err.message : String(err)}\n`);
          process.exit(1);
        });
        break;
      case 'stop':
        stop();
        break;
    }
  });
  process.on('disconnect', () => process.exit(0));
  process.on('SIGINT', () => process.exit(0));
  process.on('SIGTERM', () => stop());
}
