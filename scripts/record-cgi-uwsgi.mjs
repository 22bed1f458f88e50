#!/usr/bin/env node
// Records the real uWSGI 2.0.21's cgi plugin answers into test/fixtures/cgi-uwsgi-2.0.21.json, so
// test/integration/cgi-uwsgi-replay.test.ts replays them against uwsgi-ts without uWSGI. Needs
// `uwsgi` with the cgi plugin (Debian: uwsgi-core). Run from the repository root:
// `node scripts/record-cgi-uwsgi.mjs`.
//
// The fixture carries everything the replay needs: the script tree (files, modes, symlinks), the
// options (with $(ROOT) for the temp dir), and per request the status, the headers the script or
// the plugin made (the transport's own are left out: Date, Connection, Keep-Alive,
// Transfer-Encoding, Content-Length) and the body, with the temp dir written as $(ROOT).

import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const OUT = `${root}test/fixtures/cgi-uwsgi-2.0.21.json`;

const ENV_DUMP = [
  'SCRIPT_NAME',
  'SCRIPT_FILENAME',
  'PATH_INFO',
  'PATH_TRANSLATED',
  'DOCUMENT_ROOT',
  'GATEWAY_INTERFACE',
  'QUERY_STRING',
  'REQUEST_METHOD',
  'REQUEST_URI',
  'CONTENT_LENGTH',
  'CONTENT_TYPE',
  'REDIRECT_STATUS',
  'HTTP_X_TEST',
]
  .map((v) => `echo "${v}=$${v}"`)
  .join('\n');

/** [path under $(ROOT), content, mode] or [path, {symlink: target}]. */
const FILES = [
  [
    'cgi/hello.sh',
    `#!/bin/sh\necho "Content-Type: text/plain"\necho\necho "hello from cgi"\n${ENV_DUMP}\necho "PWD=$(pwd)"\n`,
    0o755,
  ],
  [
    'cgi/status.sh',
    "#!/bin/sh\nprintf 'Status: 201 Created\\r\\nX-Foo: bar\\r\\nContent-Type: text/plain\\r\\n\\r\\ncreated\\n'\n",
    0o755,
  ],
  [
    'cgi/status404.sh',
    "#!/bin/sh\nprintf 'Status: 404 Nope\\nContent-Type: text/plain\\n\\nnot here\\n'\n",
    0o755,
  ],
  ['cgi/loc.sh', "#!/bin/sh\nprintf 'Location: http://example.com/x\\r\\n\\r\\n'\n", 0o755],
  ['cgi/localloc.sh', "#!/bin/sh\nprintf 'Location: /cgi-bin/hello.sh\\r\\n\\r\\n'\n", 0o755],
  ['cgi/nostatus.sh', "#!/bin/sh\nprintf 'X-Only: yes\\n\\nbody\\n'\n", 0o755],
  [
    'cgi/cookies.sh',
    "#!/bin/sh\nprintf 'Content-Type: text/plain\\nSet-Cookie: a=1\\nSet-Cookie: b=2\\n\\ntwo cookies\\n'\n",
    0o755,
  ],
  [
    'cgi/post.sh',
    '#!/bin/sh\nprintf \'Content-Type: application/octet-stream\\n\\n\'\nhead -c "$CONTENT_LENGTH"\n',
    0o755,
  ],
  ['cgi/helped.shx', "printf 'Content-Type: text/plain\\n\\nrun by sh, not executable\\n'\n", 0o644],
  ['cgi/noexec.sh', '#!/bin/sh\necho nope\n', 0o644],
  ['cgi/hello.txt', '#!/bin/sh\necho "Content-Type: text/plain"\necho\necho txt\n', 0o755],
  [
    'cgi/sub/index.sh',
    '#!/bin/sh\nprintf \'Content-Type: text/plain\\n\\nindex of sub SCRIPT_NAME=%s PATH_INFO=%s\\n\' "$SCRIPT_NAME" "$PATH_INFO"\n',
    0o755,
  ],
  [
    'cgi/sub/deep.sh',
    '#!/bin/sh\nprintf \'Content-Type: text/plain\\n\\ndeep SCRIPT_NAME=%s PATH_INFO=%s\\n\' "$SCRIPT_NAME" "$PATH_INFO"\n',
    0o755,
  ],
  ['cgi/empty/.keep', '', 0o644],
  [
    'outside/secret.sh',
    '#!/bin/sh\necho "Content-Type: text/plain"\necho\necho cgi-outside-secret-4411\n',
    0o755,
  ],
  ['cgi/out.sh', { symlink: '../outside/secret.sh' }],
  ['cgi/outdir', { symlink: '../outside' }],
  ['cgi/in.sh', { symlink: 'hello.sh' }],
];

const OPTIONS = [
  '--cgi',
  '/cgi-bin=$(ROOT)/cgi',
  '--cgi',
  '/single=$(ROOT)/cgi/hello.sh',
  '--cgi-allowed-ext',
  '.sh',
  '--cgi-allowed-ext',
  '.shx',
  '--cgi-helper',
  '.shx=sh',
  '--cgi-index',
  'index.sh',
  '--http-socket-modifier1',
  '9',
];

/** [name, request]: path sent as is (no client normalises it). */
const CASES = [
  ['script ok', { path: '/cgi-bin/hello.sh?x=1&y=2', headers: { 'X-Test': 'yes' } }],
  ['path-info', { path: '/cgi-bin/hello.sh/extra/path?a=1' }],
  ['path-info under a subdirectory', { path: '/cgi-bin/sub/deep.sh/more' }],
  ['missing script', { path: '/cgi-bin/missing.sh' }],
  ['missing script with path-info', { path: '/cgi-bin/missing.sh/x/y' }],
  ['not-allowed extension', { path: '/cgi-bin/hello.txt' }],
  ['not executable', { path: '/cgi-bin/noexec.sh' }],
  ['helper runs a non-executable script', { path: '/cgi-bin/helped.shx' }],
  ['directory with index', { path: '/cgi-bin/sub/' }],
  ['directory without its slash', { path: '/cgi-bin/sub?q=1' }],
  ['directory without index', { path: '/cgi-bin/empty/' }],
  ['mountpoint without its slash', { path: '/cgi-bin' }],
  ['mountpoint directory without index', { path: '/cgi-bin/' }],
  ['outside every mountpoint', { path: '/other/hello.sh' }],
  ['single-script mount', { path: '/single/more/path?z=9' }],
  ['traversal: dot-dot', { path: '/cgi-bin/../../etc/passwd' }],
  ['traversal: encoded dots', { path: '/cgi-bin/%2e%2e/%2e%2e/etc/passwd' }],
  ['traversal: encoded slash', { path: '/cgi-bin/..%2f..%2fetc/passwd' }],
  ['traversal: into the sibling dir', { path: '/cgi-bin/../outside/secret.sh' }],
  ['traversal: dot-dot back inside', { path: '/cgi-bin/sub/../hello.sh' }],
  ['symlink out of the directory', { path: '/cgi-bin/out.sh' }],
  ['symlinked directory out of the directory', { path: '/cgi-bin/outdir/secret.sh' }],
  ['symlink inside the directory', { path: '/cgi-bin/in.sh' }],
  ['no Status header', { path: '/cgi-bin/nostatus.sh' }],
  ['Status header', { path: '/cgi-bin/status.sh' }],
  ['Status 404 with a reason', { path: '/cgi-bin/status404.sh' }],
  ['Location (client redirect)', { path: '/cgi-bin/loc.sh' }],
  ['Location (local path)', { path: '/cgi-bin/localloc.sh' }],
  ['two Set-Cookie headers', { path: '/cgi-bin/cookies.sh' }],
  [
    'POST body read by CONTENT_LENGTH',
    {
      path: '/cgi-bin/post.sh',
      method: 'POST',
      body: 'name=value&x=%41',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    },
  ],
];

/** Headers the transport adds (they differ between HTTP stacks), left out of the comparison. */
const TRANSPORT = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding', 'content-length']);

function requestBytes(r) {
  const body = Buffer.from(r.body ?? '', 'latin1');
  const lines = [`${r.method ?? 'GET'} ${r.path} HTTP/1.1`, 'Host: localhost'];
  for (const [k, v] of Object.entries(r.headers ?? {})) lines.push(`${k}: ${v}`);
  if (r.body !== undefined) lines.push(`Content-Length: ${body.length}`);
  lines.push('Connection: close');
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), body]);
}

function exchange(port, bytes, timeoutMs = 8000) {
  return new Promise((resolve) => {
    const chunks = [];
    const socket = net.connect(port, '127.0.0.1', () => socket.write(bytes));
    const timer = setTimeout(() => socket.destroy(), timeoutMs);
    socket.on('data', (d) => chunks.push(d));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    });
  });
}

function dechunk(body) {
  const out = [];
  let at = 0;
  for (;;) {
    const eol = body.indexOf('\r\n', at);
    if (eol < 0) return body;
    const size = Number.parseInt(body.toString('latin1', at, eol), 16);
    if (!Number.isFinite(size)) return body;
    if (size === 0) return Buffer.concat(out);
    out.push(body.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
}

/**
 * { status, headers: [[lower name, value]...] sorted, body } with the temp dir (the server runs in it) as $(ROOT) and
 * any other working directory as $(CWD); status 0: no answer.
 */
export function answerOf(raw, base, cwd = process.cwd()) {
  const norm = (text) => text.replaceAll(base, '$(ROOT)').replaceAll(cwd, '$(CWD)');
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) return { status: 0, headers: [], body: norm(raw.toString('latin1')) };
  const [statusLine = '', ...lines] = raw.toString('latin1', 0, end).split('\r\n');
  const headers = [];
  let chunked = false;
  for (const l of lines) {
    const c = l.indexOf(':');
    const name = l.slice(0, c).toLowerCase();
    const value = l.slice(c + 1).trim();
    if (name === 'transfer-encoding' && value.includes('chunked')) chunked = true;
    if (!TRANSPORT.has(name)) headers.push([name, norm(value)]);
  }
  headers.sort((a, b) => (a[0] === b[0] ? a[1].localeCompare(b[1]) : a[0].localeCompare(b[0])));
  let body = raw.subarray(end + 4);
  if (chunked) body = dechunk(body);
  return {
    status: Number(statusLine.split(' ')[1]),
    reason: statusLine.split(' ').slice(2).join(' '),
    headers,
    body: norm(body.toString('latin1')),
  };
}

export function buildTree(base, files) {
  for (const [path, content, mode] of files) {
    const full = join(base, path);
    mkdirSync(dirname(full), { recursive: true });
    if (typeof content === 'object') symlinkSync(content.symlink, full);
    else {
      writeFileSync(full, content);
      chmodSync(full, mode);
    }
  }
}

async function freePort() {
  const server = net.createServer();
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  await new Promise((r) => server.close(r));
  return port;
}

async function main() {
  const base = mkdtempSync(join(tmpdir(), 'cgi-record-'));
  buildTree(base, FILES);
  const port = await freePort();
  const args = [
    '--plugin',
    'cgi',
    '--master',
    '--processes',
    '1',
    '--http-socket',
    `127.0.0.1:${port}`,
    ...OPTIONS.map((o) => o.replaceAll('$(ROOT)', base)),
  ];
  // a single-script mount's DOCUMENT_ROOT and working directory are the server's own (observed)
  const proc = spawn('uwsgi', args, { cwd: base, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  proc.stdout.on('data', (d) => (log += d));
  proc.stderr.on('data', (d) => (log += d));
  const deadline = Date.now() + 10_000;
  while (!/spawned uWSGI worker/.test(log)) {
    if (Date.now() > deadline) throw new Error(`uWSGI did not start:\n${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  await new Promise((r) => setTimeout(r, 300));
  const version = /uWSGI ([0-9.]+)/.exec(log)?.[1] ?? 'unknown';
  const cases = [];
  for (const [name, request] of CASES) {
    const raw = await exchange(port, requestBytes(request));
    cases.push({ name, request, answer: answerOf(raw, base, base) });
  }
  proc.kill('SIGINT');
  rmSync(base, { recursive: true, force: true });
  const doc = {
    note: 'uWSGI cgi plugin answers, recorded by scripts/record-cgi-uwsgi.mjs; replayed by test/integration/cgi-uwsgi-replay.test.ts',
    uwsgi: version,
    recorded: new Date().toISOString().slice(0, 10),
    transportHeadersLeftOut: [...TRANSPORT],
    files: FILES,
    options: OPTIONS,
    cases,
  };
  writeFileSync(OUT, `${JSON.stringify(doc, null, 2)}\n`);
  console.log(`wrote ${cases.length} cases to ${OUT}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
