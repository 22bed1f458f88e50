// A gateway's stats server answer (`http-stats`, `fastrouter-stats`): uWSGI 2.0.21's JSON, byte
// for byte in layout (tabs, one key a line: test/fixtures/gateway/http-router-uwsgi-2.0.21.json),
// written on connect and closed, as the instance's own stats server does.

import { cwd } from 'node:process';
import { VERSION } from '../version.js';

export interface StaticNode {
  readonly name: string;
  readonly hits: number;
  /** Unix time (s) a node marked failed is tried again, 0 when it is not resting. */
  readonly grace?: number;
}

export function routerStatsJson(
  gateway: string,
  addresses: readonly string[],
  activeSessions: number,
  staticNodes: readonly StaticNode[] = [],
): string {
  const q = (s: string) => JSON.stringify(s);
  const node = (n: StaticNode) =>
    `\t\t{\n\t\t\t"name":${q(n.name)},\n\t\t\t"hits":${n.hits},\n\t\t\t"grace":${n.grace ?? 0}\n\t\t}`;
  // uWSGI lists `static_nodes` only when the gateway has static backends (`-to`)
  const nodes =
    staticNodes.length === 0 ? '' : `\t"static_nodes":[\n${staticNodes.map(node).join(',\n')}\n\t],\n`;
  return (
    '{\n' +
    `\t"version":${q(VERSION)},\n` +
    `\t"pid":${process.pid},\n` +
    `\t"uid":${process.getuid?.() ?? 0},\n` +
    `\t"gid":${process.getgid?.() ?? 0},\n` +
    `\t"cwd":${q(cwd())},\n` +
    `\t"active_sessions":${activeSessions},\n` +
    `\t${q(gateway)}:[\n${addresses.map(q).join(',\n')}\n\t],\n` +
    nodes +
    '\t"cheap":0\n' +
    '}'
  );
}
