// The uwsgi vars the HTTP router sends for one client request, as uWSGI 2.0.21's router builds
// them (observed, test/fixtures/gateway/http-router-uwsgi-2.0.21.json): REQUEST_URI as sent,
// PATH_INFO percent-decoded, every header as HTTP_* (repeats joined by ", "), CONTENT_LENGTH and
// CONTENT_TYPE without the prefix, the client's address as REMOTE_ADDR (X-Forwarded-For is only
// passed on), SERVER_NAME the host name, SERVER_PORT the router's port, UWSGI_ROUTER=http, and
// HTTPS=on when the client came through TLS or says so with X-Forwarded-Proto: https.

export interface VarsContext {
  readonly serverName: string;
  readonly serverPort: string;
  /** `http-server-name-as-http-host`: SERVER_NAME from the Host header (its port dropped). */
  readonly serverNameFromHost: boolean;
  /** `http-var` KEY=VALUE pairs, added last. */
  readonly extra: readonly (readonly [string, string])[];
  /** The router socket is an `https` one: HTTPS=on and UWSGI_SCHEME=https. */
  readonly https?: boolean;
}

export interface ClientRequest {
  readonly method: string;
  readonly url: string;
  readonly httpVersion: string;
  /** Node's rawHeaders: name, value, name, value... */
  readonly rawHeaders: readonly string[];
  readonly remoteAddress: string;
  readonly remotePort: number;
}

const HEX = /%([0-9a-fA-F]{2})/g;

/** %xx decoded to bytes, kept as a byte string (latin1), invalid escapes left as they are. */
export function decodePath(path: string): string {
  if (!path.includes('%')) return path;
  return path.replace(HEX, (_m, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}

/** `X-Forwarded-For` -> `HTTP_X_FORWARDED_FOR`, `Content-Type` -> `CONTENT_TYPE`. */
function varName(header: string): string {
  const upper = header.toUpperCase().replace(/-/g, '_');
  return upper === 'CONTENT_TYPE' || upper === 'CONTENT_LENGTH' ? upper : `HTTP_${upper}`;
}

/**
 * The vars, in uWSGI's order. `bodyLength` overrides CONTENT_LENGTH (a chunked body the router
 * gathered); headers the router consumed (Transfer-Encoding then) are left out.
 */
export function requestVars(
  req: ClientRequest,
  ctx: VarsContext,
  bodyLength: number | undefined,
): Array<[string, string]> {
  const q = req.url.indexOf('?');
  const path = q < 0 ? req.url : req.url.slice(0, q);
  const vars: Array<[string, string]> = [
    ['REQUEST_METHOD', req.method],
    ['REQUEST_URI', req.url],
    ['PATH_INFO', decodePath(path)],
    ['QUERY_STRING', q < 0 ? '' : req.url.slice(q + 1)],
    ['SERVER_PROTOCOL', `HTTP/${req.httpVersion}`],
  ];
  const index = new Map<string, number>();
  let host = '';
  let https = false;
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = varName(raw[i] as string);
    const value = raw[i + 1] as string;
    if (name === 'CONTENT_LENGTH' && bodyLength !== undefined) continue;
    if (name === 'HTTP_TRANSFER_ENCODING' && bodyLength !== undefined) continue;
    if (name === 'HTTP_HOST') host = value;
    else if (name === 'HTTP_X_FORWARDED_PROTO' && value.toLowerCase() === 'https') https = true;
    const at = index.get(name);
    if (at !== undefined) {
      const pair = vars[at] as [string, string];
      pair[1] = `${pair[1]}, ${value}`;
    } else {
      index.set(name, vars.length);
      vars.push([name, value]);
    }
  }
  if (bodyLength !== undefined) vars.push(['CONTENT_LENGTH', String(bodyLength)]);
  const serverName = ctx.serverNameFromHost && host ? host.replace(/:\d+$/, '') : ctx.serverName;
  vars.push(
    ['REMOTE_ADDR', req.remoteAddress],
    ['REMOTE_PORT', String(req.remotePort)],
    ['SERVER_NAME', serverName],
    ['SERVER_PORT', ctx.serverPort],
    ['UWSGI_ROUTER', 'http'],
  );
  if (https || ctx.https) vars.push(['HTTPS', 'on']);
  if (ctx.https) vars.push(['UWSGI_SCHEME', 'https']);
  for (const pair of ctx.extra) vars.push([pair[0], pair[1]]);
  return vars;
}
