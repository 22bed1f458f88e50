// The options that move or force a modifier1 (src/worker/modifier-table.ts has the handlers):
// the master builds a worker's plan from them without loading the handlers (CGI, node:http),
// which a master never runs (issue 17: a vassal master's start-up).

import type { SocketProtocol } from '../net/socket-protocol.js';

/**
 * The modifier1 a request plugin answers unless `plugins = N:NAME` moves it to N (uWSGI's syntax;
 * unbit/uwsgi's own t/runner runs `--plugins 0:cgi`: observed on 2.0.21, CGI then answers
 * modifier1 0 and no longer 9).
 */
export const PLUGIN_MODIFIER: Readonly<Record<string, number>> = { cgi: 9 };

/** `[to, from]` for each `N:NAME` item of the plugin options whose NAME has a row here. */
export function pluginModifierMoves(items: readonly string[]): Array<readonly [number, number]> {
  const moves: Array<readonly [number, number]> = [];
  for (const item of items) {
    const m = /^\s*(\d+):\s*([A-Za-z0-9_]+)\s*$/.exec(item);
    const from = m ? PLUGIN_MODIFIER[m[2] as string] : undefined;
    if (m && from !== undefined && Number(m[1]) <= 255) moves.push([Number(m[1]), from]);
  }
  return moves;
}

/**
 * The option that forces a modifier1 on the requests of a socket protocol (uWSGI 2.0.21 has one
 * per protocol, none for its uwsgi sockets: the packet carries its own).
 */
export const FORCED_MODIFIER_OPTION = {
  uwsgi: undefined,
  http: 'http-socket-modifier1',
  http11: 'http-socket-modifier1',
  https: 'https-socket-modifier1',
  fastcgi: 'fastcgi-modifier1',
  scgi: 'scgi-modifier1',
} as const satisfies Record<SocketProtocol, string | undefined>;
