// A gateway's stats server answer (`http-stats`, `fastrouter-stats`): uWSGI 2.0.21's JSON, byte
// for byte in layout (tabs, one key a line: test/fixtures/gateway/http-router-uwsgi-2.0.21.json),
// written on connect and closed, as the instance's own stats server does.

import { cwd } from 'node:process';
import { VERSION } from '../version.js';

export function routerStatsJson(
  gateway: string,
  addresses: readonly string[],
  activeSessions: number,
): string {
  const q = (s: string) => JSON.stringify(s);
  return (
    '{\n' +
    `\t"version":${q(VERSION)},\n` +
    `\t"pid":${process.pid},\n` +
    `\t"uid":${process.getuid?.() ?? 0},\n` +
    `\t"gid":${process.getgid?.() ?? 0},\n` +
    `\t"cwd":${q(cwd())},\n` +
    `\t"active_sessions":${activeSessions},\n` +
    `\t${q(gateway)}:[\n${addresses.map(q).join(',\n')}\n\t],\n` +
    '\t"cheap":0\n' +
    '}'
  );
}
