// The subscription table of a router (seed manual "uWSGI Subscription Server"; reference §2.11):
// instances announce themselves over UDP every `subscribe-freq` seconds with a uwsgi packet of
// modifier1 224 (modifier2 0 subscribe, 1 unsubscribe) whose vars are key, address, modifier1,
// modifier2, cores, load, weight (recorded from uWSGI 2.0.21's subscribe-to:
// test/fixtures/gateway/http-router-uwsgi-2.0.21.json). A node that stops announcing is dropped
// after `subscription-tolerance` seconds. Requests for a key go to its nodes by weighted round
// robin (`wrr`, uWSGI's default). A codec and a table: the socket is the router's.

import type { SocketAddress } from '../net/address.js';
import { parseAddress } from '../net/address.js';
import type { Backend, BackendAddress } from './backends.js';

export const SUBSCRIPTION_MODIFIER1 = 224;

export interface Announce {
  readonly unsubscribe: boolean;
  readonly key: string;
  readonly address: string;
  readonly modifier1: number;
  readonly modifier2: number;
  readonly weight: number;
  readonly cores: number;
  readonly load: number;
  /** `backup` (subscribe2 `backup=N`, uWSGI 2.1's `backup_level`): used only when no node of a lower level is left. */
  readonly backup: number;
}

/** A subscription packet, or why it is not one. */
export function parseAnnounce(packet: Buffer): Announce | string {
  if (packet.length < 4) return 'short packet';
  if (packet[0] !== SUBSCRIPTION_MODIFIER1) return `modifier1 ${packet[0]} is not a subscription`;
  const size = packet.readUInt16LE(1);
  if (packet.length < 4 + size) return 'truncated packet';
  const vars = new Map<string, string>();
  let at = 4;
  const end = 4 + size;
  while (at + 2 <= end) {
    const kl = packet.readUInt16LE(at);
    at += 2;
    if (at + kl + 2 > end) return 'truncated vars';
    const k = packet.toString('latin1', at, at + kl);
    at += kl;
    const vl = packet.readUInt16LE(at);
    at += 2;
    if (at + vl > end) return 'truncated vars';
    vars.set(k, packet.toString('latin1', at, at + vl));
    at += vl;
  }
  const key = vars.get('key');
  const address = vars.get('address');
  if (!key || !address) return 'no key or address';
  const int = (name: string, fallback: number) => {
    const n = Number(vars.get(name) ?? fallback);
    return Number.isFinite(n) ? n : fallback;
  };
  return {
    unsubscribe: packet[3] === 1,
    key,
    address,
    modifier1: int('modifier1', 0),
    modifier2: int('modifier2', 0),
    // uWSGI sends weight 0 for "not set": a node weighs at least 1
    weight: Math.max(1, int('weight', 1)),
    cores: int('cores', 0),
    load: int('load', 0),
    backup: Math.max(0, int('backup', int('backup_level', 0))),
  };
}

/**
 * Balancing among a key's nodes (`subscription-algo`; seed manual "uWSGI Subscription Server"):
 * `wrr` weighted round robin (uWSGI's default), `lrc` the node with the fewest requests in
 * flight, `wlrc` the same divided by the weight, `iphash` the client's address hashed (a client
 * keeps its node while the key's nodes stay the same).
 */
export type SubscriptionAlgo = 'wrr' | 'lrc' | 'wlrc' | 'iphash';
export const SUBSCRIPTION_ALGOS: readonly SubscriptionAlgo[] = ['wrr', 'lrc', 'wlrc', 'iphash'];

type Pick = (nodes: readonly Node[], client: string) => Node;

/** FNV-1a of the client's address: stable across processes and restarts. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

const PICKS: Readonly<Record<SubscriptionAlgo, Pick>> = {
  wrr: (nodes) => {
    // smooth weighted round robin: each node gains its weight, the richest is picked and pays the total
    let total = 0;
    let best = nodes[0] as Node;
    for (const n of nodes) {
      n.current += n.weight;
      total += n.weight;
      if (n.current > best.current) best = n;
    }
    best.current -= total;
    return best;
  },
  lrc: (nodes) => nodes.reduce((best, n) => (n.active < best.active ? n : best)),
  wlrc: (nodes) => nodes.reduce((best, n) => (n.active / n.weight < best.active / best.weight ? n : best)),
  iphash: (nodes, client) => nodes[hash(client) % nodes.length] as Node,
};

export interface Node {
  readonly name: string;
  readonly backend: Backend;
  modifier1: number;
  modifier2: number;
  weight: number;
  cores: number;
  load: number;
  lastCheck: number;
  requests: number;
  /** wrr: the current weight (smooth weighted round robin). */
  current: number;
  /** Requests in flight (lrc, wlrc): taken by `order`, given back by `release`. */
  active: number;
  backup: number;
}

interface Pool {
  readonly key: string;
  readonly nodes: Node[];
  hits: number;
}

export class SubscriptionTable {
  private readonly pools = new Map<string, Pool>();

  constructor(
    private readonly toleranceMs: number,
    private readonly log: (line: string) => void,
    private readonly now: () => number = Date.now,
    private readonly algo: SubscriptionAlgo = 'wrr',
  ) {}

  /** Applies one announce; logs uWSGI's lines for a new pool and a new node. */
  apply(a: Announce): void {
    const prefix = `[uwsgi-subscription for pid ${process.pid}]`;
    let pool = this.pools.get(a.key);
    if (a.unsubscribe) {
      if (!pool) return;
      const i = pool.nodes.findIndex((n) => n.name === a.address);
      if (i >= 0) {
        pool.nodes.splice(i, 1);
        this.log(`${prefix} ${a.key} => removing node ${a.address}\n`);
      }
      if (pool.nodes.length === 0) this.pools.delete(a.key);
      return;
    }
    let address: SocketAddress;
    try {
      address = parseAddress(a.address, 'subscription');
    } catch {
      this.log(`${prefix} ${a.key} => bad node address "${a.address}"\n`);
      return;
    }
    if (address.kind !== 'tcp' && address.kind !== 'unix' && address.kind !== 'abstract') return;
    if (!pool) {
      pool = { key: a.key, nodes: [], hits: 0 };
      this.pools.set(a.key, pool);
      this.log(`${prefix} new pool: ${a.key}\n`);
    }
    let node = pool.nodes.find((n) => n.name === a.address);
    if (!node) {
      node = {
        name: a.address,
        backend: { name: a.address, address: address as BackendAddress },
        modifier1: a.modifier1,
        modifier2: a.modifier2,
        weight: a.weight,
        cores: a.cores,
        load: a.load,
        lastCheck: this.now(),
        requests: 0,
        current: 0,
        active: 0,
        backup: a.backup,
      };
      pool.nodes.push(node);
      this.log(`${prefix} ${a.key} => new node: ${a.address}\n`);
    }
    node.modifier1 = a.modifier1;
    node.modifier2 = a.modifier2;
    node.weight = a.weight;
    node.cores = a.cores;
    node.load = a.load;
    node.backup = a.backup;
    node.lastCheck = this.now();
  }

  /** Drops the nodes silent for longer than the tolerance. */
  expire(): void {
    const limit = this.now() - this.toleranceMs;
    for (const pool of this.pools.values()) {
      for (let i = pool.nodes.length - 1; i >= 0; i--) {
        const n = pool.nodes[i] as Node;
        if (n.lastCheck < limit) {
          pool.nodes.splice(i, 1);
          this.log(
            `[uwsgi-subscription for pid ${process.pid}] ${pool.key} => removing node ${n.name} (no announce for ${Math.round(this.toleranceMs / 1000)} seconds)\n`,
          );
        }
      }
      if (pool.nodes.length === 0) this.pools.delete(pool.key);
    }
  }

  /**
   * The nodes of `key` in the order to try: the algorithm's pick among the lowest backup level
   * first, the others of that level, then the backup levels in order. The pick is counted in
   * flight until `release`.
   */
  order(key: string, client = ''): Node[] {
    const pool = this.pools.get(key);
    if (!pool || pool.nodes.length === 0) return [];
    pool.hits++;
    const level = Math.min(...pool.nodes.map((n) => n.backup));
    const first = pool.nodes.filter((n) => n.backup === level);
    const best = PICKS[this.algo](first, client);
    best.requests++;
    best.active++;
    const backups = pool.nodes.filter((n) => n.backup !== level).sort((a, b) => a.backup - b.backup);
    return [best, ...first.filter((n) => n !== best), ...backups];
  }

  /** A request given to `node` by `order` is over. */
  release(node: Node): void {
    if (node.active > 0) node.active--;
  }

  /** The stats' `subscriptions` rows, uWSGI's names. */
  stats(): unknown[] {
    return [...this.pools.values()].map((p) => ({
      key: p.key,
      hits: p.hits,
      sni_enabled: 0,
      nodes: p.nodes.map((n) => ({
        name: n.name,
        modifier1: n.modifier1,
        modifier2: n.modifier2,
        last_check: Math.floor(n.lastCheck / 1000),
        requests: n.requests,
        cores: n.cores,
        load: n.load,
        weight: n.weight,
        backup: n.backup,
      })),
    }));
  }
}
