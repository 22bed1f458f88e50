// `log-format` compiled once into a function (STYLE.md rule 5): uWSGI's `%(name)` tokens
// (reference §9, core/logging.c `uwsgi_build_log_format`), every other byte literal, a newline at
// the end. An empty value prints `-`, as uWSGI does.

import { metricText } from '../metrics/metric-lookup.js';
import { ctime } from './ctime.js';
import type { RequestFacts } from './request-facts.js';
import { memoryUsage } from './request-facts.js';
import { compileStrftime } from './strftime.js';

type Getter = (r: RequestFacts) => string;

export interface LogFormatOptions {
  /** `logformat-strftime` with a `log-date` format: what `%(ftime)` prints (else = ltime). */
  readonly ftime?: string | undefined;
}

const ltime = compileStrftime('%d/%b/%Y:%H:%M:%S %z');
const num = (n: number) => String(n);

/** The registered variables (uwsgi_register_logchunks), one row each. */
function variables(options: LogFormatOptions): Readonly<Record<string, Getter>> {
  const ftime = options.ftime !== undefined ? compileStrftime(options.ftime) : ltime;
  const microsOf = (r: RequestFacts) => r.elapsedMicros;
  return {
    uri: (r) => r.uri,
    method: (r) => r.method,
    user: (r) => r.vars.get('REMOTE_USER') ?? '',
    addr: (r) => r.remoteAddr,
    host: (r) => r.vars.get('HTTP_HOST') ?? '',
    proto: (r) => r.protocol,
    uagent: (r) => r.vars.get('HTTP_USER_AGENT') ?? '',
    referer: (r) => r.vars.get('HTTP_REFERER') ?? '',
    status: (r) => num(r.status),
    rsize: (r) => num(r.bodyBytes),
    hsize: (r) => num(r.headerBytes),
    size: (r) => num(r.headerBytes + r.bodyBytes),
    cl: (r) => num(Number(r.vars.get('CONTENT_LENGTH') ?? 0) || 0),
    micros: (r) => num(microsOf(r)),
    msecs: (r) => num(Math.floor(microsOf(r) / 1000)),
    // uwsgi_float2str: printf("%f")
    secs: (r) => (microsOf(r) / 1_000_000).toFixed(6),
    tmsecs: (r) => num(Math.floor(r.startMicros / 1000)),
    tmicros: (r) => num(r.startMicros),
    time: (r) => num(Math.floor(r.startMicros / 1_000_000)),
    ltime: (r) => ltime(r.startMs),
    ftime: (r) => ftime(r.startMs),
    ctime: (r) => ctime(r.startMs),
    epoch: () => num(Math.floor(Date.now() / 1000)),
    pid: (r) => num(r.pid),
    wid: (r) => num(r.wid),
    switches: () => '1',
    vars: (r) => num(r.varCount),
    core: (r) => num(r.core),
    vsz: () => num(memoryUsage().vsz),
    rss: () => num(memoryUsage().rss),
    vszM: () => num(Math.floor(memoryUsage().vsz / 1024 / 1024)),
    rssM: () => num(Math.floor(memoryUsage().rss / 1024 / 1024)),
    pktsize: (r) => num(r.varBytes),
    modifier1: (r) => num(r.modifier1),
    modifier2: (r) => num(r.modifier2),
    headers: (r) => num(r.headerCount),
    werr: (r) => num(r.writeErrors),
    rerr: (r) => num(r.readErrors),
    ioerr: (r) => num(r.readErrors + r.writeErrors),
  };
}

/** A chunk of the template: literal text, or a variable name. */
export type LogFormatChunk = { readonly text: string } | { readonly name: string };

/**
 * Splits a template the way uWSGI 2.0 does, quirks included: `%(` opens a name that the next
 * `)` closes, an unclosed `%(` stays literal, and `%()` confuses it exactly as it confuses uWSGI
 * (recorded in test/fixtures/logging/).
 */
export function parseLogFormat(format: string): LogFormatChunk[] {
  const chunks: LogFormatChunk[] = [];
  let state = 0;
  let current = 0;
  let logvar = -1;
  for (let ptr = 0; ptr < format.length; ptr++) {
    const c = format[ptr];
    if (c === '%') {
      if (state === 0) state = 1;
    } else if (c === '(') {
      if (state === 1) state = 2;
    } else if (c === ')') {
      if (logvar >= 0) {
        chunks.push({ name: format.slice(logvar, ptr) });
        state = 0;
        logvar = -1;
        current = ptr + 1;
      }
    } else {
      if (state === 2) {
        // uWSGI takes (ptr - current) - 2 bytes from current: the text before `%(`
        chunks.push({ text: format.slice(current, current + Math.max(0, ptr - current - 2)) });
        logvar = ptr;
      }
      state = 0;
    }
  }
  if (format.length - current > 0) chunks.push({ text: format.slice(current) });
  return chunks;
}

/**
 * Compiles a `log-format` template into the function that prints one request line (with its
 * newline). Unknown names are logvars (`-` until a route or the app sets them), `var.NAME` reads a
 * request var, `metric.NAME` a metric.
 *
 * @example compileLogFormat('%(addr) "%(method) %(uri)" %(status)')(facts) // '127.0.0.1 "GET /" 200\n'
 */
export function compileLogFormat(
  format: string,
  options: LogFormatOptions = {},
): (r: RequestFacts) => string {
  const table = variables(options);
  const parts: Array<string | Getter> = [];
  for (const chunk of parseLogFormat(format)) {
    if ('text' in chunk) {
      if (chunk.text !== '') parts.push(chunk.text);
      continue;
    }
    const name = chunk.name;
    const known = Object.hasOwn(table, name) ? table[name] : undefined;
    let get: Getter;
    if (known) get = known;
    else if (name.startsWith('var.')) {
      const key = name.slice(4);
      get = (r) => r.vars.get(key) ?? '';
    } else if (name.startsWith('metric.')) {
      const metric = name.slice(7);
      get = () => metricText(metric);
    } else get = (r) => r.logvars?.get(name) ?? '';
    parts.push((r) => get(r) || '-');
  }
  // adjacent literals are merged so the per-request loop touches as few parts as possible
  const merged: Array<string | Getter> = [];
  for (const p of parts) {
    const last = merged[merged.length - 1];
    if (typeof p === 'string' && typeof last === 'string') merged[merged.length - 1] = last + p;
    else merged.push(p);
  }
  return (r) => {
    let out = '';
    for (const p of merged) out += typeof p === 'string' ? p : p(r);
    return `${out}\n`;
  };
}
