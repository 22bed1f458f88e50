// The `${func[arg]}` route vars of reference §4.5, one row each (STYLE.md rule 1). `arg` is the
// text between the brackets as written (not translated). Bytes: base64/hex encode a value as
// UTF-8, which gives uWSGI's bytes for percent-decoded paths and ASCII headers.

import type { RouteRun } from './run.js';

type RouteVar = (run: RouteRun, arg: string) => string;

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad2 = (n: number) => (n < 10 ? `0${n}` : String(n));

/** `Sat, 21 Nov 2026 10:50:43 GMT` (uWSGI's uwsgi_http_date). */
export function httpDate(epochSeconds: number): string {
  const d = new Date(epochSeconds * 1000);
  return `${DAYS[d.getUTCDay()]}, ${pad2(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())} GMT`;
}

/** C's atoi/strtol: optional sign and leading digits; anything else is 0. */
export function atoi(text: string): number {
  const m = /^\s*([+-]?\d+)/.exec(text);
  return m ? Number.parseInt(m[1] as string, 10) : 0;
}

/** The value of `name` in a `Cookie:` header: items split at `;`, leading spaces skipped, the value's trailing spaces dropped. */
export function cookieValue(header: string, name: string): string {
  for (const item of header.split(';')) {
    const eq = item.indexOf('=');
    if (eq < 0) continue;
    if (item.slice(0, eq).trimStart() !== name) continue;
    return item.slice(eq + 1).trimEnd();
  }
  return '';
}

/** The raw (not decoded) value of the first `name=` item of a query string. */
export function queryValue(qs: string, name: string): string {
  for (const item of qs.split('&')) {
    const eq = item.indexOf('=');
    if (eq >= 0 && item.slice(0, eq) === name) return item.slice(eq + 1);
  }
  return '';
}

function uwsgiVar(run: RouteRun, arg: string): string {
  const host = run.host;
  switch (arg) {
    case 'wid':
      return String(host.workerId);
    case 'pid':
      return String(host.pid);
    case 'uuid':
      return host.uuid();
    case 'status':
      return String(run.status);
    case 'rtime':
      return String(Math.max(0, host.nowMicros() - run.request.startMicros));
    case 'lq':
      return String(host.listenQueue());
    case 'rsize':
      return String(run.request.responseSize ?? 0);
    case 'sor':
      return String(run.request.startMicros);
    default:
      return '';
  }
}

export const ROUTE_VARS = {
  cookie: (run, arg) => cookieValue(run.get('HTTP_COOKIE'), arg),
  qs: (run, arg) => queryValue(run.get('QUERY_STRING'), arg),
  // empty unless a static option built the mime dictionary (observed on 2.0.21)
  mime: (run, arg) => run.host.mimeType(run.get(arg)) ?? '',
  time: (run, arg) => {
    const us = run.host.nowMicros();
    return arg === 'unix' ? String(Math.floor(us / 1e6)) : arg === 'micros' ? String(us) : '';
  },
  httptime: (run, arg) => httpDate(Math.floor(run.host.nowMicros() / 1e6) + atoi(arg)),
  base64: (run, arg) => Buffer.from(run.get(arg), 'utf8').toString('base64'),
  hex: (run, arg) => Buffer.from(run.get(arg), 'utf8').toString('hex').toUpperCase(),
  // uWSGI HEAD (not 2.0.21, where these are unknown and expand to nothing): the issue asks for them
  upper: (run, arg) => run.get(arg).toUpperCase(),
  lower: (run, arg) => run.get(arg).toLowerCase(),
  uwsgi: uwsgiVar,
  metric: (run, arg) => run.host.metricValue(arg) ?? '',
} as const satisfies Record<string, RouteVar>;

export type RouteVarName = keyof typeof ROUTE_VARS;
