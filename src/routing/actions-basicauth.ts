// router_basicauth (reference §4.4): `basicauth:REALM,USER:PASS` (inline), `REALM,HTPASSWD_FILE`
// or `REALM,` (nobody). On success REMOTE_USER is set and the chain goes on; on failure
// `basicauth` answers 401 (observed on 2.0.21: `401 Authorization Required`, only a
// WWW-Authenticate header, body `Unauthorized`) and `basicauth-next` goes on, but only past
// credentials that were read and did not match: no header, another scheme or a payload that is not
// base64 is a 401 for both. A request that already has a REMOTE_USER (an earlier basicauth rule,
// or the front-end's) passes every rule: what lets seeds 002's cookbook chain one rule per user
// (all observed on 2.0.21). The args are not translated. The htpasswd file is read on every
// request (as uWSGI does), through the host.

import { action, badArgs } from './action.js';
import { verifyHtpasswd } from './htpasswd.js';
import { io } from './io.js';
import { RouteCode } from './outcome.js';
import type { RouteRun } from './run.js';

interface BasicAuth {
  readonly realm: string;
  /** `user:pass` inline, or undefined with `file` set. */
  readonly inline: string | undefined;
  readonly file: string | undefined;
  readonly next: boolean;
}

/** The `user:password` of a `Basic` Authorization header, or undefined. */
export function basicCredentials(header: string): { user: string; password: string } | undefined {
  if (!header.startsWith('Basic ')) return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('latin1');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * Whether 2.0.21 reads credentials from the header at all (else `basicauth-next` answers 401 too):
 * more than `Basic ` plus one byte, and base64 up to the first `=` (what follows is not looked at).
 * Observed: `Basic x`, `Basic YW!x`, `Basic  YWxp` and `basic ...` are refused; `Basic xy`,
 * `Basic ====` and `Basic YWxpY2U6eA==junk!` are read.
 */
export function readableBasic(header: string): boolean {
  if (header.length <= 7 || !header.startsWith('Basic ')) return false;
  const payload = header.slice(6);
  const eq = payload.indexOf('=');
  return /^[A-Za-z0-9+/]*$/.test(eq < 0 ? payload : payload.slice(0, eq));
}

/** The line of `user` in an htpasswd text checked against `password`. */
export function htpasswdAllows(text: string, user: string, password: string): boolean {
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0 || line.slice(0, colon) !== user) continue;
    return verifyHtpasswd(line.slice(colon + 1).replace(/\r$/, ''), password);
  }
  return false;
}

function* check(run: RouteRun, auth: BasicAuth) {
  const header = run.get('HTTP_AUTHORIZATION');
  const creds = readableBasic(header) ? basicCredentials(header) : undefined;
  if (creds === undefined) return false;
  if (auth.inline !== undefined) {
    if (auth.inline !== `${creds.user}:${creds.password}`) return false;
  } else {
    if (auth.file === undefined) return false;
    const text = yield* io(run.host.readText(auth.file));
    if (text === undefined || !htpasswdAllows(text, creds.user, creds.password)) return false;
  }
  run.set('REMOTE_USER', creds.user);
  return true;
}

const basicauth = (next: boolean) =>
  action<BasicAuth>({
    plugin: 'router_basicauth',
    compile(args, site) {
      const comma = args.indexOf(',');
      if (comma < 0) throw badArgs(site, `invalid route syntax: ${args}`);
      const creds = args.slice(comma + 1);
      return {
        realm: args.slice(0, comma),
        inline: creds.includes(':') ? creds : undefined,
        file: creds.includes(':') || creds === '' ? undefined : creds,
        next,
      };
    },
    *run(run, auth) {
      if (run.get('REMOTE_USER') !== '') return RouteCode.NEXT;
      if (yield* check(run, auth)) return RouteCode.NEXT;
      if (auth.next && readableBasic(run.get('HTTP_AUTHORIZATION'))) return RouteCode.NEXT;
      run.outcome.response = {
        status: 401,
        statusLine: '401 Authorization Required',
        headers: [['WWW-Authenticate', `Basic realm="${auth.realm}"`]],
        body: 'Unauthorized',
        close: false,
      };
      return RouteCode.BREAK;
    },
  });

export const BASICAUTH_ACTIONS = {
  basicauth: basicauth(false),
  'basicauth-next': basicauth(true),
} as const;
