// CGI vars for a request that arrived over HTTP (http-socket), built only when an app, the log
// or a mount lookup asks: the order is uWSGI's http parser's (reference §1.2) followed by the
// HTTP_* headers.

import type { IncomingMessage } from 'node:http';

export interface HttpEnvContext {
  readonly serverName: string;
  readonly https: boolean;
  /** The socket's forced modifier1 (src/worker/modifier-table.ts); absent or 0: the packet's. */
  readonly modifier1?: number;
  /**
   * A connection the HTTP router handed over (src/worker/handed-connections.ts): the vars the
   * router would have sent (src/gateway/http/request-vars.ts), UWSGI_ROUTER=http and HTTPS=on
   * when the client says `X-Forwarded-Proto: https`.
   */
  readonly router?: boolean;
}

/** Percent-decoding of PATH_INFO as uWSGI does it (invalid escapes are kept). */
export function decodePath(path: string): string {
  if (!path.includes('%')) return path;
  try {
    return decodeURIComponent(path);
  } catch {
    return path.replace(/%([0-9a-fA-F]{2})/g, (_, hex: string) =>
      String.fromCharCode(Number.parseInt(hex, 16)),
    );
  }
}

export function headerVarName(name: string): string {
  let out = 'HTTP_';
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    out += c === 45 ? '_' : c >= 97 && c <= 122 ? String.fromCharCode(c - 32) : name[i];
  }
  return out;
}

export function httpRequestVars(req: IncomingMessage, ctx: HttpEnvContext): Map<string, string> {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const vars = new Map<string, string>();
  vars.set('REQUEST_METHOD', req.method ?? 'GET');
  vars.set('PATH_INFO', decodePath(q < 0 ? url : url.slice(0, q)));
  vars.set('REQUEST_URI', url);
  vars.set('QUERY_STRING', q < 0 ? '' : url.slice(q + 1));
  vars.set('SERVER_PROTOCOL', `HTTP/${req.httpVersion}`);
  vars.set('SCRIPT_NAME', '');
  vars.set('SERVER_NAME', ctx.serverName);
  vars.set('SERVER_PORT', String(req.socket.localPort ?? ''));
  vars.set('REMOTE_ADDR', req.socket.remoteAddress ?? '');
  vars.set('REMOTE_PORT', String(req.socket.remotePort ?? ''));
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] ?? '';
    const value = raw[i + 1] ?? '';
    const lower = name.toLowerCase();
    if (lower === 'content-type') vars.set('CONTENT_TYPE', value);
    else if (lower === 'content-length') vars.set('CONTENT_LENGTH', value);
    const key = headerVarName(name);
    const prev = vars.get(key);
    vars.set(key, prev === undefined ? value : `${prev}${lower === 'cookie' ? '; ' : ', '}${value}`);
  }
  const https =
    ctx.https || (ctx.router === true && vars.get('HTTP_X_FORWARDED_PROTO')?.toLowerCase() === 'https');
  if (ctx.router) vars.set('UWSGI_ROUTER', 'http');
  if (https) vars.set('HTTPS', 'on');
  vars.set('UWSGI_SCHEME', https ? 'https' : 'http');
  return vars;
}

/** For the request log: keys+values counted and the size a uwsgi vars block of them would have. */
export function varsSize(vars: ReadonlyMap<string, string>): { count: number; bytes: number } {
  let bytes = 0;
  for (const [k, v] of vars) bytes += 4 + Buffer.byteLength(k) + Buffer.byteLength(v);
  return { count: vars.size * 2, bytes };
}
