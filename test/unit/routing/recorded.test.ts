// The engine against what uWSGI 2.0.21 answered (test/fixtures/routing/recorded, made by
// scripts/record-uwsgi-routing.mjs): each config goes through the real config loader and
// RoutingProgram; a small model of the server (the echo app of echo_app.py, header edits,
// transformations, the response chain) turns outcomes into responses, compared with the recorded
// status line, headers and body. Offloads (static files, proxies) and a few server-side corners
// are left to the integration suite and counted as skipped; the test insists most responses are
// checked so that it cannot pass by skipping.
import assert from 'node:assert/strict';
import { lstatSync, readdirSync, readFileSync, type Stats, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadConfig, processMagicHost } from '../../../src/config/load.js';
import { isUwsgiError } from '../../../src/errors.js';
import type { CacheRequest, FileFacts, RoutingHost } from '../../../src/routing/host.js';
import { RouteCode, type RouteOutcome } from '../../../src/routing/outcome.js';
import { RoutingProgram, routeEntries } from '../../../src/routing/program.js';
import { ALL_CAPABILITIES } from './routing-kit.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'routing');
const ENV: Record<string, string> = {
  ROUTING_HTTP_BACKEND: '127.0.0.1:1',
  ROUTING_UWSGI_BACKEND: '127.0.0.1:2',
  ROUTING_FIXTURES: FIXTURES,
  ROUTING_WWW: join(FIXTURES, 'www'),
};

interface RecordedRequest {
  readonly path: string;
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  readonly via?: 'uwsgi';
  readonly vars?: Record<string, string>;
}

interface Recorded {
  readonly config: string;
  readonly differs?: string;
  readonly volatile: string[];
  readonly startup?: { exitCode: number; errors: string[] };
  readonly responses?: {
    request: RecordedRequest;
    empty?: boolean;
    incomplete?: boolean;
    raw?: string;
    statusLine?: string;
    headers?: [string, string][];
    body?: string;
    decodedBody?: string;
  }[];
  readonly log?: string[];
}

const expand = (text: string) => text.replace(/\$\((ROUTING_\w+)\)/g, (m, n: string) => ENV[n] ?? m);

function decode(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

/** The vars uWSGI's http parser (or nginx's uwsgi_params, via uwsgi) gives the app. */
function requestVars(r: RecordedRequest): Map<string, string> {
  const q = r.path.indexOf('?');
  const vars = new Map<string, string>([
    ['REQUEST_METHOD', r.method ?? 'GET'],
    ['REQUEST_URI', r.path],
    ['PATH_INFO', decode(q < 0 ? r.path : r.path.slice(0, q))],
    ['QUERY_STRING', q < 0 ? '' : r.path.slice(q + 1)],
    ['SERVER_PROTOCOL', 'HTTP/1.1'],
  ]);
  if (r.via !== 'uwsgi') vars.set('SCRIPT_NAME', '');
  vars.set('REMOTE_ADDR', '127.0.0.1');
  vars.set('HTTP_HOST', 'localhost');
  for (const [k, v] of Object.entries(r.headers ?? {}))
    vars.set(`HTTP_${k.toUpperCase().replaceAll('-', '_')}`, expand(v));
  if (r.body !== undefined) vars.set('CONTENT_LENGTH', String(Buffer.byteLength(r.body)));
  for (const [k, v] of Object.entries(r.vars ?? {})) vars.set(k, v);
  return vars;
}

const MIME: Record<string, string> = {
  css: 'text/css',
  json: 'application/json',
  txt: 'text/plain',
  html: 'text/html',
};

function host(mimeDict: boolean, cache: Map<string, Uint8Array>): RoutingHost {
  const metrics = new Map<string, bigint>();
  const facts = (s: Stats): FileFacts => ({
    isFile: s.isFile(),
    isDirectory: s.isDirectory(),
    isSymbolicLink: s.isSymbolicLink(),
    mtimeMs: s.mtimeMs,
    size: s.size,
  });
  return {
    workerId: 1,
    pid: 1,
    nowMicros: () => Date.now() * 1000,
    uuid: () => 'uuid',
    listenQueue: () => 0,
    mimeType: (p) => (mimeDict ? MIME[p.slice(p.lastIndexOf('.') + 1)] : undefined),
    metricValue: (name) => String(metrics.get(name) ?? 0n),
    metric: (req) => {
      const old = metrics.get(req.name) ?? 0n;
      const v = BigInt(req.value);
      const ops = { inc: old + v, dec: old - v, mul: old * v, div: old / v, set: v };
      metrics.set(req.name, ops[req.op]);
    },
    isLord: () => false,
    stat: (p, follow) => {
      try {
        return facts(follow ? statSync(p) : lstatSync(p));
      } catch {
        return undefined;
      }
    },
    isExecutable: (p) => {
      try {
        return (statSync(p).mode & 0o111) !== 0;
      } catch {
        return false;
      }
    },
    readText: (p) => {
      try {
        return readFileSync(p, 'utf8');
      } catch {
        return undefined;
      }
    },
    chdir: () => true,
    cache: (req: CacheRequest) => {
      const id = `${req.cache}/${req.key}`;
      if (req.op === 'get') return cache.get(id);
      if (req.op === 'exists') return cache.has(id);
      if (req.op === 'set') cache.set(id, req.value);
      else {
        // uWSGI's cache math keeps a 64-bit little-endian number (reference §7)
        const old = cache.get(id);
        const n = old?.byteLength === 8 ? Buffer.from(old).readBigInt64LE() : 0n;
        const by = BigInt(req.by);
        const next =
          req.op === 'inc' ? n + by : req.op === 'dec' ? n - by : req.op === 'mul' ? n * by : n / by;
        const out = Buffer.alloc(8);
        out.writeBigInt64LE(next);
        cache.set(id, out);
      }
      return true;
    },
    rpc: (req) => {
      if (req.func === 'hello') return Buffer.from(`hello:${req.args.join(',')}`);
      if (req.func === 'ret') return Buffer.from(req.args[0] ?? '');
      return undefined;
    },
  };
}

const FIXED = [
  'REQUEST_METHOD',
  'PATH_INFO',
  'QUERY_STRING',
  'REQUEST_URI',
  'SCRIPT_NAME',
  'REMOTE_ADDR',
  'REMOTE_USER',
  'HTTP_HOST',
  'HTTPS',
  'DOCUMENT_ROOT',
  'UWSGI_SCHEME',
  'UWSGI_APPID',
  'UWSGI_HOME',
];

/** echo_app.py for these vars: status line, headers, body, and whether it streamed (no Content-Length). */
function echoApp(vars: ReadonlyMap<string, string>) {
  const lines = FIXED.filter((k) => vars.has(k)).map((k) => `${k}=${vars.get(k)}`);
  for (const k of [...vars.keys()].sort())
    if (k.startsWith('X_') || k.startsWith('MY_')) lines.push(`${k}=${vars.get(k)}`);
  const body = vars.get('HTTP_X_APP_BODY') ?? `${lines.join('\n')}\n`;
  const headers: [string, string][] = [['Content-Type', 'text/plain']];
  for (const h of (vars.get('HTTP_X_APP_HEADER') ?? '').split('|')) {
    if (h === '') continue;
    const c = h.indexOf(':');
    headers.push([h.slice(0, c).trim(), h.slice(c + 1).trim()]);
  }
  const streamed = Number(vars.get('HTTP_X_APP_CHUNKS') ?? '0') > 0;
  if (!streamed) headers.push(['Content-Length', String(Buffer.byteLength(body, 'latin1'))]);
  return { statusLine: vars.get('HTTP_X_APP_STATUS') ?? '200 OK', headers, body, streamed };
}

interface Simulated {
  readonly skip?: string;
  readonly empty?: boolean;
  readonly raw?: string;
  readonly statusLine?: string;
  readonly headers?: [string, string][];
  readonly body?: string;
  readonly log: string[];
}

const sync = (o: RouteOutcome | Promise<RouteOutcome>): RouteOutcome => {
  if (o instanceof Promise) throw new Error('the simulation host is synchronous');
  return o;
};

const bodyText = (b: string | Uint8Array) => (typeof b === 'string' ? b : Buffer.from(b).toString('utf8'));

/** `collect-header = Name VAR`: the app's header values become request vars for the response chain. */
type Collect = readonly (readonly [string, string])[];

function simulate(
  program: RoutingProgram,
  request: RecordedRequest,
  h: RoutingHost,
  collect: Collect,
): Simulated {
  const vars = requestVars(request);
  const req = sync(program.run('request', { vars, startMicros: 0 }, h));
  const log = [...req.log];
  if (req.offload) return { skip: `offload ${req.offload.kind}`, log };
  if (req.headersDisabled) return { empty: true, log };
  if (req.response) {
    const r = req.response;
    return {
      statusLine: `HTTP/1.1 ${r.statusLine}`,
      headers: r.headers.map(([k, v]) => [k, v]),
      body: bodyText(r.body),
      log,
    };
  }
  if (req.code === RouteCode.BREAK)
    return req.raw.length > 0 ? { raw: req.raw.join(''), log } : { empty: true, log };
  const appVars = req.vars ?? vars;
  const app = echoApp(appVars);
  let statusLine = app.statusLine;
  let appHeaders = app.headers.filter(
    ([k]) => !req.headers.some((e) => e.op === 'remove' && e.name.toLowerCase() === k.toLowerCase()),
  );
  const adds: [string, string][] = req.headers.flatMap((e) =>
    e.op === 'add' ? [[e.name, e.value] as [string, string]] : [],
  );
  if (req.raw.length > 0) return { raw: req.raw.join('') + app.body, log };
  const status = Number.parseInt(statusLine, 10);
  if (program.has('error')) {
    const err = sync(program.run('error', { vars: appVars, startMicros: 0, status }, h));
    log.push(...err.log);
    if (err.code === RouteCode.BREAK) return { skip: 'error-chain break', log };
    for (const e of err.headers) if (e.op === 'add') adds.push([e.name, e.value]);
  }
  let body = app.body;
  let dropBody = false;
  if (program.has('response')) {
    const respVars = new Map(appVars);
    for (const [header, name] of collect) {
      const found = app.headers.find(([k]) => k.toLowerCase() === header.toLowerCase());
      if (found) respVars.set(name, found[1]);
    }
    const resp = sync(program.run('response', { vars: respVars, startMicros: 0, status }, h));
    log.push(...resp.log);
    if (resp.offload) return { skip: `response offload ${resp.offload.kind}`, log };
    // the app's headers are pending: raw bytes flush them first, disableheaders drops them
    if (resp.raw.length > 0) body = resp.raw.join('') + body;
    if (resp.headersDisabled) return { raw: body, log };
    if (resp.response) {
      const r = resp.response;
      return {
        statusLine: `HTTP/1.1 ${r.statusLine}`,
        headers: r.headers.map(([k, v]) => [k, v]),
        body: bodyText(r.body),
        log,
      };
    }
    for (const e of resp.headers) {
      if (e.op === 'add') adds.push([e.name, e.value]);
      // too late for the app's own headers on the response chain (observed): only a reset acts
      if (e.op === 'reset') {
        statusLine = e.statusLine;
        appHeaders = [];
      }
    }
    if (resp.code === RouteCode.BREAK) dropBody = true;
  }
  let headers: [string, string][] = [...appHeaders, ...adds];
  for (const t of req.transforms) {
    if (t.kind === 'toupper') body = body.toUpperCase();
    else if (t.kind === 'fixcl' || t.kind === 'forcecl') {
      if (!headers.some(([k]) => k.toLowerCase() === 'content-length'))
        headers.push(['Content-Length', String(body.length)]);
    } else if (t.kind === 'chunked') headers.push(['Transfer-Encoding', 'chunked']);
    else if (t.kind === 'cachestore')
      h.cache({ op: 'set', cache: t.cache, key: t.key, value: Buffer.from(body), expires: t.expires });
    else if (t.kind === 'gzip') headers.push(['Content-Encoding', 'gzip']);
    else if (t.kind === 'template')
      body = RoutingProgram.expand(body, { vars: appVars, startMicros: 0, status }, h);
    else if (t.kind === 'flush' || t.kind === 'offload') continue;
    else return { skip: `transformation ${t.kind}`, log };
  }
  if (program.has('final'))
    log.push(...sync(program.run('final', { vars: appVars, startMicros: 0, status }, h)).log);
  headers = headers.map(([k, v]) => [k, v]);
  return { statusLine: `HTTP/1.1 ${statusLine}`, headers, body: dropBody ? '' : body, log };
}

function load(config: string) {
  const path = join(FIXTURES, 'configs', config);
  const { config: cfg } = loadConfig([path], {
    env: ENV,
    cwd: FIXTURES,
    magic: processMagicHost(FIXTURES),
    log: () => {},
    print: () => {},
    hasPlugin: () => true,
  });
  const text = readFileSync(path, 'utf8');
  const mimeDict = /^(static-|check-static|mimefile)/m.test(text);
  const collect = cfg.all('collect-header').map((o) => {
    const [header = '', name = ''] = String(o.value).split(' ');
    return [header, name] as const;
  });
  return { cfg, mimeDict, collect };
}

describe('the engine against uWSGI 2.0.21 recordings', () => {
  const files = readdirSync(join(FIXTURES, 'recorded'))
    .filter((f) => f.endsWith('.json'))
    .sort();
  let checked = 0;
  let skipped = 0;
  const skips = new Set<string>();

  it('has recordings for at least 60 configs', () => {
    assert.ok(files.length >= 60, `${files.length} recordings`);
  });

  for (const name of files) {
    const rec = JSON.parse(readFileSync(join(FIXTURES, 'recorded', name), 'utf8')) as Recorded;
    it(rec.config, { skip: rec.differs !== undefined ? `differs on purpose: ${rec.differs}` : false }, () => {
      const { cfg, mimeDict, collect } = load(rec.config);
      if (rec.startup) {
        assert.throws(
          () => RoutingProgram.compile(routeEntries(cfg), { capabilities: ALL_CAPABILITIES }),
          (e) => isUwsgiError(e) && e.code.startsWith('ERR_ROUTE_'),
        );
        checked++;
        return;
      }
      const program = RoutingProgram.compile(routeEntries(cfg), { capabilities: ALL_CAPABILITIES });
      const h = host(mimeDict, new Map());
      const logs: string[] = [];
      for (const [i, want] of (rec.responses ?? []).entries()) {
        const got = simulate(program, want.request, h, collect);
        logs.push(...got.log);
        const what = `${rec.config} request ${i} ${JSON.stringify(want.request)}`;
        if (got.skip !== undefined) {
          skipped++;
          skips.add(`${rec.config}: ${got.skip}`);
          continue;
        }
        checked++;
        if (want.empty) {
          assert.equal(got.empty, true, `${what}: expected an empty reply, got ${JSON.stringify(got)}`);
          continue;
        }
        if (want.incomplete) {
          assert.equal(got.raw, want.raw, what);
          continue;
        }
        if (got.raw !== undefined) {
          assert.equal(
            got.raw,
            `${want.statusLine}\r\n${(want.headers ?? []).map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n${want.body}`,
            what,
          );
          continue;
        }
        assert.equal(got.statusLine, want.statusLine, what);
        const volatile = new Set(rec.volatile.map((v) => v.toLowerCase()));
        const norm = (hs: [string, string][]) =>
          hs.map(([k, v]) => [k, volatile.has(k.toLowerCase()) ? '<volatile>' : v]);
        assert.deepEqual(norm(got.headers ?? []), norm(want.headers ?? []), what);
        assert.equal(got.body, want.decodedBody ?? want.body, what);
      }
      if (rec.log) {
        const routeLog = logs.filter((l) => rec.log?.includes(l));
        const wanted = rec.log.filter((l) => /^(ROUTELOG|FINAL|\[uwsgi-route\])/.test(l));
        assert.deepEqual(routeLog, wanted, `${rec.config} log`);
      }
    });
  }

  it('checked most recorded responses (the rest are offloads for the integration suite)', (t) => {
    t.diagnostic(`checked ${checked}, skipped ${skipped}: ${[...skips].join('; ')}`);
    assert.ok(checked >= 150, `checked ${checked}, skipped ${skipped}`);
    assert.ok(skipped < checked / 3, `checked ${checked}, skipped ${skipped}`);
  });
});
