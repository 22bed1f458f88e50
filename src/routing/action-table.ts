// Every routing action uwsgi-ts knows, keyed by name, in the order uWSGI 2.0.21's
// `--routers-list` prints them with the Debian plugins loaded (core first, then each plugin).
// Adding an action is adding a row to its family's table (STYLE.md rule 1).

import type { ActionRow } from './action.js';
import { BASICAUTH_ACTIONS } from './actions-basicauth.js';
import { CACHE_ACTIONS } from './actions-cache.js';
import { CORE_ACTIONS } from './actions-core.js';
import { EXPIRES_ACTIONS } from './actions-expires.js';
import { HASH_ACTIONS } from './actions-hash.js';
import { METRICS_ACTIONS } from './actions-metrics.js';
import { HTTP_ACTIONS, UWSGI_ACTIONS } from './actions-proxy.js';
import { REDIRECT_ACTIONS } from './actions-redirect.js';
import { REWRITE_ACTIONS } from './actions-rewrite.js';
import { RPC_ACTIONS } from './actions-rpc.js';
import { STATIC_ACTIONS } from './actions-static.js';
import { TRANSFORM_ACTIONS } from './actions-transform.js';

export const ACTIONS = {
  ...CORE_ACTIONS,
  ...REWRITE_ACTIONS,
  ...REDIRECT_ACTIONS,
  ...BASICAUTH_ACTIONS,
  ...STATIC_ACTIONS,
  ...CACHE_ACTIONS,
  ...EXPIRES_ACTIONS,
  ...HASH_ACTIONS,
  ...HTTP_ACTIONS,
  ...UWSGI_ACTIONS,
  ...METRICS_ACTIONS,
  ...RPC_ACTIONS,
  ...TRANSFORM_ACTIONS,
} as const satisfies Record<string, ActionRow>;

export type ActionName = keyof typeof ACTIONS;

/**
 * Actions of plugins Debian's uWSGI 2.0.21 ships that uwsgi-ts does not provide: naming one is a
 * start-up error that says which plugin it belongs to, not "unknown action".
 */
export const FOREIGN_ACTIONS: ReadonlyMap<string, string> = new Map([
  ...['memcached', 'memcached-continue', 'memcachedstore', 'memcached-store'].map(
    (n) => [n, 'router_memcached'] as const,
  ),
  ...['redis', 'redis-continue', 'redisstore', 'redis-store'].map((n) => [n, 'router_redis'] as const),
  ['radius', 'router_radius'],
  ['radius-next', 'router_radius'],
  ['xmldir', 'router_xmldir'],
  ['ssi', 'ssi'],
  ['symcall', 'symcall'],
  ['symcall-next', 'symcall'],
  ['cgi', 'cgi'],
  ['cgihelper', 'cgi'],
  ['toxslt', 'xslt'],
  ['xslt', 'xslt'],
  ['fcgi', 'fcgi'],
  ['ldapauth', 'ldap'],
  ['ldapauth-next', 'ldap'],
  ['spnego', 'router_spnego'],
  ['spnego-next', 'router_spnego'],
  ['gridfs', 'gridfs'],
]);

export function findAction(name: string): ActionRow | undefined {
  return Object.hasOwn(ACTIONS, name) ? ACTIONS[name as ActionName] : undefined;
}

/** The names `--routers-list` prints, one per line between uWSGI's banner lines. */
export function routersList(): readonly string[] {
  return Object.keys(ACTIONS);
}

/** `--routers-list` as 2.0.21 writes it (to the log, i.e. stderr), banner lines included. */
export function formatRoutersList(): string {
  return `\n*** uWSGI loaded routers ***\n${routersList().join('\n')}\n--- end of routers list ---\n\n`;
}
