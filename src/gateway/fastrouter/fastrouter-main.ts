// A fastrouter process (`fastrouter = ADDR`; seed manual "The uWSGI FastRouter"): uwsgi in, uwsgi
// out. It reads the packet's vars block for the key (packet-key.ts), picks the backend
// (fastrouter-to round robin, else use-pattern / use-base by key, then fastrouter-fallback in
// order), writes what it read and then pipes both ways untouched: the body to the backend, the
// answer to the client, until the backend closes.

import net from 'node:net';
import { ownLogWriter } from '../../logging/worker-output.js';
import type { NativeHandle } from '../../net/native-handle.js';
import { type Backend, BackendList } from '../backends.js';
import { routerStatsJson } from '../router-stats.js';
import { openSubscriptionServers } from '../subscription-server.js';
import type { Node, SubscriptionTable } from '../subscriptions.js';
import { backendOf, type FastRouterPlan } from './fastrouter-plan.js';
import { packetKey } from './packet-key.js';

const id = Number(process.env['UWSGI_TS_ROUTER_ID'] ?? 1);
const log = ownLogWriter();
const handles = new Map<number, NativeHandle>();
let statsHandle: NativeHandle | undefined;
let plan: FastRouterPlan | undefined;
const servers: net.Server[] = [];
let sessions = 0;

/** Subscribed nodes (process 1 runs the subscription servers). */
let subscriptions: SubscriptionTable | undefined;

/**
 * The backends to try for a key, in order: the key's subscribed nodes (the algorithm's pick
 * first; `taken` is given back when the session ends), else fastrouter-to, use-pattern, use-base;
 * then the fallbacks.
 */
function candidates(
  p: FastRouterPlan,
  statics: BackendList,
  key: string,
  client: string,
): { tries: Backend[]; taken?: Node } {
  const out: Backend[] = [];
  const nodes = subscriptions?.order(key, client) ?? [];
  if (nodes.length > 0) {
    out.push(...nodes.map((n) => n.backend), ...p.fallback);
    return { tries: out, ...(nodes[0] ? { taken: nodes[0] } : {}) };
  }
  if (p.to.length > 0) out.push(...statics.order());
  else if (key && p.pattern) out.push(backendOf(p.pattern.replaceAll('%s', key), 'fastrouter-use-pattern'));
  else if (key && p.base) out.push(backendOf(`${p.base}${key}`, 'fastrouter-use-base'));
  out.push(...p.fallback);
  return { tries: out };
}

function session(p: FastRouterPlan, statics: BackendList, client: net.Socket): void {
  sessions++;
  client.once('close', () => sessions--);
  client.on('error', () => client.destroy());
  client.setTimeout(p.timeoutMs, () => client.destroy());
  let seen: Buffer = Buffer.alloc(0);
  const peer = `${client.remoteAddress ?? '?'}:${client.remotePort ?? 0}`;
  const onData = (chunk: Buffer) => void route(chunk);
  const route = async (chunk: Buffer) => {
    seen = seen.length === 0 ? chunk : Buffer.concat([seen, chunk]);
    const k = packetKey(seen, p.bufferSize);
    if (k.kind === 'more') return;
    client.off('data', onData);
    client.pause();
    if (k.kind === 'bad') {
      log(`[uwsgi-fastrouter] ${k.why} from ${peer}\n`);
      client.destroy();
      return;
    }
    const { tries, taken } = candidates(p, statics, k.key, client.remoteAddress ?? '');
    if (taken) client.once('close', () => subscriptions?.release(taken));
    if (tries.length === 0) {
      log(`[uwsgi-fastrouter] unable to find a backend for key "${k.key}" from ${peer}\n`);
      client.destroy();
      return;
    }
    const connected = await statics.connect(tries);
    if (!connected) {
      log(`[uwsgi-fastrouter] no backend answered for key "${k.key}" from ${peer}\n`);
      client.destroy();
      return;
    }
    const backend = connected.socket;
    backend.write(seen);
    backend.setTimeout(p.timeoutMs, () => backend.destroy());
    backend.on('error', (err) => {
      log(`[uwsgi-fastrouter] backend ${connected.backend.name} for key "${k.key}": ${err.message}\n`);
      client.destroy();
    });
    client.on('close', () => backend.destroy());
    backend.on('close', () => client.end());
    client.pipe(backend);
    backend.pipe(client);
    client.resume();
  };
  client.on('data', onData);
}

async function start(): Promise<void> {
  const p = plan;
  if (!p) throw new Error('fastrouter started without a plan');
  const statics = new BackendList(p.to, p.timeoutMs, log);
  if (p.subscriptionServers.length > 0 && id === 1)
    subscriptions = await openSubscriptionServers(
      {
        gateway: 'fastrouter',
        addresses: p.subscriptionServers,
        toleranceMs: p.subscriptionToleranceMs,
        algo: p.subscriptionAlgo,
        ...p.subscriptionSign,
      },
      log,
    );
  for (const [index] of p.listeners.entries()) {
    const handle = handles.get(index);
    if (!handle) throw new Error(`fastrouter socket ${index} was not passed`);
    const server = net.createServer({ noDelay: true }, (socket) => session(p, statics, socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(handle as unknown as net.Server, 1024, () => resolve());
    });
    servers.push(server);
  }
  if (statsHandle && p.stats) {
    const stats = net.createServer((socket) => {
      socket.on('error', () => socket.destroy());
      const nodes = p.to.map((b) => ({ name: b.name, hits: statics.hits.get(b.name) ?? 0 }));
      socket.end(
        routerStatsJson(
          'fastrouter',
          p.listeners.map((l) => l.raw),
          sessions,
          nodes,
        ),
      );
    });
    await new Promise<void>((resolve) =>
      stats.listen(statsHandle as unknown as net.Server, 128, () => resolve()),
    );
    servers.push(stats);
  }
  process.title = `uWSGI fastrouter ${id}`;
  process.send?.({ t: 'ready' });
}

function stop(): void {
  for (const s of servers) s.close();
  const exit = () => (sessions <= 0 ? process.exit(0) : setTimeout(exit, 100));
  exit();
}

type Message =
  | { t: 'router-plan'; plan: FastRouterPlan }
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
        log(`fastrouter ${id} failed: ${err instanceof Error ? err.message : String(err)}\n`);
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
