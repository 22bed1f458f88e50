#!/usr/bin/env node
// Records what the real uWSGI 2.0.21 answers for the internal-routing configs of
// test/fixtures/routing/configs/*.ini into test/fixtures/routing/recorded/<name>.json, so that the
// routing differential test compares uwsgi-ts against them without needing uWSGI.
//
// Usage: node scripts/record-uwsgi-routing.mjs [--uwsgi /path/to/uwsgi] [name-filter...]
//
// Each config is run as `uwsgi --plugin <PLUGINS> --http-socket A --socket B --wsgi-file
// echo_app.py --ini <config>` (cwd: test/fixtures/routing) with these environment variables,
// which the configs use as $(NAME): ROUTING_HTTP_BACKEND and ROUTING_UWSGI_BACKEND (the backends
// of backends.mjs, host:port), ROUTING_FIXTURES (test/fixtures/routing) and ROUTING_WWW (its www/
// directory; no `..` in it: uWSGI's static action refuses a path whose realpath differs).
// Directives in the config's comments say what to do with it:
//   ; request: {"path": "/x?y=1", "method": "GET", "headers": {"Cookie": "a=1"}, "body": "..."}
//       one request (any number, sent in order, each on its own connection). "via": "uwsgi" sends
//       it as a uwsgi packet to the --socket instead, with "vars" added to (or replacing) the
//       vars an nginx front end would send (the way to test HTTPS=on, DOCUMENT_ROOT...).
//       "raw" sends that exact text over the http socket. $(ROUTING_...) anywhere in a request
//       is replaced as in the configs.
//   ; volatile: Header-Name     the header's value changes between runs (time, mtime, uuid): the
//       comparison checks that it is there, not its value
//   ; log: REGEXP               record the uWSGI output lines matching REGEXP (log:, logvar:...)
//   ; expect: startup-error     uWSGI is expected to refuse the config: record its error lines
//   ; note: text                what the config is about (copied into the recording)
//   ; differs: text             uwsgi-ts differs on purpose (a 2.0.21 bug or limit): why; the
//       comparison skips the config (copied into the recording)
// A response is recorded as its status line, headers in order (Date and Server left out) and
// body (text when it is valid UTF-8, else base64); a chunked or gzip body is also recorded
// decoded (compare `decodedBody` then: chunk sizes and zlib bytes may differ). A connection
// closed without a byte is recorded as {"empty": true}; bytes that are not an HTTP response as
// {"incomplete": true, "raw": ...}. The app is echo_app.py (echo-app.mjs is its uwsgi-ts twin).
// The request builders and the response parser are exported for the comparing test.
// test/unit/routing/recorded.test.ts already checks the engine (not the server) against these.
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { startHttpBackend, startUwsgiBackend } from '../test/fixtures/routing/backends.mjs';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
const FIXTURES = join(REPO, 'test', 'fixtures', 'routing');
const CONFIGS = join(FIXTURES, 'configs');
const RECORDED = join(FIXTURES, 'recorded');
const argv = process.argv.slice(2);
const uwsgiAt = argv.indexOf('--uwsgi');
const UWSGI = uwsgiAt >= 0 ? argv[uwsgiAt + 1] : 'uwsgi';
const filters = argv.filter((_, i) => uwsgiAt < 0 || (i !== uwsgiAt && i !== uwsgiAt + 1));

/** Every router/transformation plugin of the Debian build that a config may use. */
export const PLUGINS = [
  'python3',
  'router_rewrite',
  'router_redirect',
  'router_basicauth',
  'router_static',
  'router_cache',
  'router_expires',
  'router_hash',
  'router_http',
  'router_uwsgi',
  'router_metrics',
  'rpc',
  'transformation_chunked',
  'transformation_gzip',
  'transformation_offload',
  'transformation_template',
  'transformation_tofile',
  'transformation_toupper',
].join(',');

const REQUEST_TIMEOUT_MS = 3000;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The directives of a config's comments (see the header of this file). */
export function readDirectives(text) {
  const out = { requests: [], volatile: [], log: [], expect: undefined, note: [], differs: [] };
  for (const line of text.split('\n')) {
    const m = line.match(/^\s*[;#]\s*(request|volatile|log|expect|note|differs):\s?(.*)$/);
    if (!m) continue;
    const [, kind, value] = m;
    if (kind === 'request') out.requests.push(JSON.parse(value));
    else if (kind === 'volatile') out.volatile.push(value.trim());
    else if (kind === 'log') out.log.push(value.trim());
    else if (kind === 'expect') out.expect = value.trim();
    else if (kind === 'differs') out.differs.push(value.trim());
    else out.note.push(value.trim());
  }
  return out;
}

/** $(ROUTING_...) in a request, replaced from `env` as uWSGI does in the configs. */
export function expandEnv(request, env) {
  return JSON.parse(JSON.stringify(request).replace(/\$\((ROUTING_\w+)\)/g, (m, name) => env[name] ?? m));
}

/** The environment the configs are run with (see the header of this file). */
export function routingEnv(backends) {
  return {
    ROUTING_HTTP_BACKEND: backends.http.address,
    ROUTING_UWSGI_BACKEND: backends.uwsgi.address,
    ROUTING_FIXTURES: FIXTURES,
    ROUTING_WWW: join(FIXTURES, 'www'),
  };
}

function headerList(headers) {
  if (!headers) return [];
  return Array.isArray(headers) ? headers : Object.entries(headers);
}

/** The bytes of an HTTP request (Host: localhost unless given; Connection: close). */
export function httpRequestBytes(request) {
  if (request.raw !== undefined) return Buffer.from(request.raw, 'latin1');
  const headers = headerList(request.headers);
  const body = request.body === undefined ? undefined : Buffer.from(request.body, 'latin1');
  const lines = [`${request.method ?? 'GET'} ${request.path} HTTP/1.1`];
  if (!headers.some(([k]) => k.toLowerCase() === 'host')) lines.push('Host: localhost');
  for (const [k, v] of headers) lines.push(`${k}: ${v}`);
  if (body) lines.push(`Content-Length: ${body.length}`);
  lines.push('Connection: close');
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), body ?? Buffer.alloc(0)]);
}

function decodePath(path) {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

/** The uwsgi packet nginx's uwsgi_params would send for the request, plus request.vars. */
export function uwsgiRequestBytes(request) {
  const uri = request.path;
  const q = uri.indexOf('?');
  const vars = new Map([
    ['REQUEST_METHOD', request.method ?? 'GET'],
    ['REQUEST_URI', uri],
    ['PATH_INFO', decodePath(q < 0 ? uri : uri.slice(0, q))],
    ['QUERY_STRING', q < 0 ? '' : uri.slice(q + 1)],
    ['SERVER_PROTOCOL', 'HTTP/1.1'],
    ['SERVER_NAME', 'localhost'],
    ['SERVER_PORT', '80'],
    ['REMOTE_ADDR', '127.0.0.1'],
    ['REMOTE_PORT', '40000'],
    ['HTTP_HOST', 'localhost'],
  ]);
  for (const [k, v] of headerList(request.headers)) {
    vars.set(`HTTP_${k.toUpperCase().replaceAll('-', '_')}`, v);
  }
  for (const [k, v] of Object.entries(request.vars ?? {})) vars.set(k, v);
  const parts = [];
  for (const [k, v] of vars) {
    for (const s of [k, v]) {
      const b = Buffer.from(s, 'latin1');
      const len = Buffer.alloc(2);
      len.writeUInt16LE(b.length);
      parts.push(len, b);
    }
  }
  const block = Buffer.concat(parts);
  const head = Buffer.from([0, 0, 0, 0]);
  head.writeUInt16LE(block.length, 1);
  const body = request.body === undefined ? Buffer.alloc(0) : Buffer.from(request.body, 'latin1');
  return Buffer.concat([head, block, body]);
}

/** Sends `bytes`, half-closes only after a reply starts, resolves with everything read until close. */
function exchange(port, bytes) {
  return new Promise((resolve) => {
    const chunks = [];
    let timedOut = false;
    const socket = net.connect(port, '127.0.0.1', () => socket.write(bytes));
    const timer = setTimeout(() => {
      timedOut = true;
      socket.destroy();
    }, REQUEST_TIMEOUT_MS);
    socket.on('data', (d) => chunks.push(d));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ bytes: Buffer.concat(chunks), timedOut });
    });
  });
}

function dechunk(body) {
  const out = [];
  let at = 0;
  for (;;) {
    const eol = body.indexOf('\r\n', at);
    if (eol < 0) return undefined;
    const size = Number.parseInt(body.toString('latin1', at, eol), 16);
    if (!Number.isFinite(size)) return undefined;
    if (size === 0) return Buffer.concat(out);
    out.push(body.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
}

/** Text when the bytes are valid UTF-8, else base64. */
function bodyField(name, bytes) {
  const text = bytes.toString('utf8');
  return Buffer.from(text, 'utf8').equals(bytes)
    ? { [name]: text }
    : { [`${name}Base64`]: bytes.toString('base64') };
}

const IGNORED_HEADERS = new Set(['date', 'server']);

export function parseResponse(bytes) {
  if (bytes.length === 0) return { empty: true };
  const end = bytes.indexOf('\r\n\r\n');
  if (end < 0) return { incomplete: true, ...bodyField('raw', bytes) };
  const [statusLine, ...lines] = bytes.toString('latin1', 0, end).split('\r\n');
  const m = statusLine.match(/^(\S+) (\d+)(?: (.*))?$/);
  const headers = lines
    .map((l) => {
      const c = l.indexOf(':');
      return c < 0 ? [l, ''] : [l.slice(0, c), l.slice(c + 1).trim()];
    })
    .filter(([k]) => !IGNORED_HEADERS.has(k.toLowerCase()));
  const body = bytes.subarray(end + 4);
  const out = { statusLine, status: m ? Number(m[2]) : undefined, headers, ...bodyField('body', body) };
  const has = (name, value) =>
    headers.some(([k, v]) => k.toLowerCase() === name && v.toLowerCase().includes(value));
  let decoded = body;
  if (has('transfer-encoding', 'chunked')) decoded = dechunk(body) ?? body;
  if (has('content-encoding', 'gzip')) {
    try {
      decoded = gunzipSync(decoded);
    } catch {
      // left as it is: the comparison then shows the bytes
    }
  }
  if (decoded !== body) Object.assign(out, bodyField('decodedBody', decoded));
  return out;
}

function freePort() {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function runConfig(name, backends) {
  const path = join(CONFIGS, name);
  const directives = readDirectives(readFileSync(path, 'utf8'));
  const env = routingEnv(backends);
  const httpPort = await freePort();
  const uwsgiPort = await freePort();
  const proc = spawn(
    UWSGI,
    [
      '--plugin',
      PLUGINS,
      '--http-socket',
      `127.0.0.1:${httpPort}`,
      '--socket',
      `127.0.0.1:${uwsgiPort}`,
      '--wsgi-file',
      join(FIXTURES, 'echo_app.py'),
      '--ini',
      path,
    ],
    {
      cwd: FIXTURES,
      env: { PATH: process.env.PATH, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  proc.stdout.on('data', (d) => (out += d));
  proc.stderr.on('data', (d) => (out += d));
  let exitCode = null;
  const exited = new Promise((resolve) =>
    proc.on('exit', (code, signal) => {
      exitCode = code ?? signal;
      resolve();
    }),
  );
  for (let i = 0; i < 100 && exitCode === null && !out.includes('spawned uWSGI worker'); i++) await sleep(50);
  const recording = {
    config: name,
    about: `uWSGI 2.0.21 (${UWSGI}), recorded by scripts/record-uwsgi-routing.mjs`,
    note: directives.note.join(' '),
    ...(directives.differs.length > 0 ? { differs: directives.differs.join(' ') } : {}),
    volatile: directives.volatile,
  };
  if (exitCode !== null || directives.expect === 'startup-error') {
    if (exitCode === null) {
      await sleep(300);
      proc.kill('SIGINT');
      await exited;
    }
    recording.startup = {
      exitCode,
      errors: out.split('\n').filter((l) => /unable|invalid|ERROR|error|Missing/.test(l)),
    };
    return recording;
  }
  await sleep(300);
  recording.responses = [];
  for (const written of directives.requests) {
    const request = expandEnv(written, env);
    const via = request.via ?? 'http';
    const bytes = via === 'uwsgi' ? uwsgiRequestBytes(request) : httpRequestBytes(request);
    const { bytes: reply, timedOut } = await exchange(via === 'uwsgi' ? uwsgiPort : httpPort, bytes);
    recording.responses.push({
      request: written,
      ...(timedOut ? { timedOut } : {}),
      ...parseResponse(reply),
    });
  }
  await sleep(200);
  proc.kill('SIGINT');
  await exited;
  if (directives.log.length > 0) {
    const res = directives.log.map((r) => new RegExp(r));
    recording.log = out.split('\n').filter((l) => res.some((re) => re.test(l)));
  }
  return recording;
}

async function main() {
  const names = readdirSync(CONFIGS)
    .filter((n) => n.endsWith('.ini'))
    .filter((n) => filters.length === 0 || filters.some((f) => n.includes(f)))
    .sort();
  mkdirSync(RECORDED, { recursive: true });
  const backends = { http: await startHttpBackend(), uwsgi: await startUwsgiBackend() };
  try {
    for (const name of names) {
      const recording = await runConfig(name, backends);
      writeFileSync(
        join(RECORDED, name.replace(/\.ini$/, '.json')),
        `${JSON.stringify(recording, null, 2)}\n`,
      );
      const summary = recording.startup
        ? `startup exit ${recording.startup.exitCode}`
        : recording.responses.map((r) => (r.empty ? 'empty' : (r.status ?? '?'))).join(' ');
      process.stderr.write(`${name}: ${summary}\n`);
    }
  } finally {
    await backends.http.close();
    await backends.uwsgi.close();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
