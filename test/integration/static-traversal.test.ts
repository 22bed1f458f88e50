// The path-traversal suite (issue 5, point 4): hostile paths against the real CLI serving
// check-static, static-map and static-map2 roots, with a secret planted beside the root (and in a
// directory a symlink inside the root points to). Every request is sent as raw bytes (no client
// normalises it): over HTTP, and over the uwsgi protocol where a front end could hand PATH_INFO
// bytes HTTP cannot carry (NUL, control characters, no leading slash). Each must be refused with
// 403 (the static server saw the attempt: a `[uwsgi-fileserve] security error` line) or 404 (the
// app behind it: not a file), no answer may contain the secret, and each is in the request log.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  buildStaticTree,
  exchange,
  httpRequestBytes,
  parseResponse,
  SECRET,
  STATIC_FIXTURES,
  type StaticRequest,
  uwsgiRequestBytes,
} from '../fixtures/static/static-kit.js';
import { type RunningServer, startServer } from '../helpers/server.js';

interface HostileCase {
  readonly path: string;
  readonly why: string;
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Sent as a uwsgi packet with this PATH_INFO (raw bytes, latin1) instead of over HTTP. */
  readonly pathInfo?: string;
}

// biome-ignore format: one case per line
const CASES: readonly HostileCase[] = [
  { path: '/../secret.txt', why: 'plain dot-dot' },
  { path: '/../../../../../../etc/passwd', why: 'dot-dot to the file system root' },
  { path: '/sub/../../secret.txt', why: 'dot-dot after a real directory' },
  { path: '/./../secret.txt', why: 'dot then dot-dot' },
  { path: '/sub/./../../secret.txt', why: 'mixed dot segments' },
  { path: '/%2e%2e/secret.txt', why: 'encoded dots' },
  { path: '/%2E%2E/secret.txt', why: 'encoded dots, upper case' },
  { path: '/%2e./secret.txt', why: 'half-encoded dots' },
  { path: '/.%2e/secret.txt', why: 'half-encoded dots, the other half' },
  { path: '/%2e%2e%2fsecret.txt', why: 'encoded dots and slash' },
  { path: '/..%2fsecret.txt', why: 'encoded slash' },
  { path: '/..%2Fsecret.txt', why: 'encoded slash, upper case' },
  { path: '/%2e%2e%2f%2e%2e%2fetc%2fpasswd', why: 'fully encoded climb' },
  { path: '/%252e%252e/secret.txt', why: 'double-encoded dots' },
  { path: '/%252e%252e%252fsecret.txt', why: 'double-encoded dots and slash' },
  { path: '/..%252fsecret.txt', why: 'double-encoded slash' },
  { path: '/%25252e%25252e/secret.txt', why: 'triple-encoded dots' },
  { path: '/..\\secret.txt', why: 'backslash separator' },
  { path: '/..%5csecret.txt', why: 'encoded backslash' },
  { path: '/..%5Csecret.txt', why: 'encoded backslash, upper case' },
  { path: '/%5c..%5csecret.txt', why: 'encoded backslashes around dots' },
  { path: '/..%255csecret.txt', why: 'double-encoded backslash' },
  { path: '/hello.txt%00.css', why: 'NUL truncation' },
  { path: '/secret.txt%00', why: 'trailing NUL' },
  { path: '/%c0%ae%c0%ae/secret.txt', why: 'overlong UTF-8 dots' },
  { path: '/%c0%ae%c0%ae%c0%afsecret.txt', why: 'overlong UTF-8 dots and slash' },
  { path: '/%e0%80%ae%e0%80%ae/secret.txt', why: 'three-byte overlong dots' },
  { path: '/%c1%9c..%c1%9csecret.txt', why: 'overlong backslash' },
  { path: '/leak.txt', why: 'symlink to a file beside the root' },
  { path: '/plink.txt', why: 'absolute symlink out of the root' },
  { path: '/linkdir/p.txt', why: 'symlinked directory out of the root' },
  { path: '/linkdir/../secret.txt', why: 'dot-dot through a symlinked directory' },
  { path: '/leak.txt', why: 'symlink out, asked for a range', headers: { Range: 'bytes=0-5' } },
  { path: '/leak.txt', why: 'symlink out, gzip accepted', headers: { 'Accept-Encoding': 'gzip' } },
  { path: '/../secret.txt', why: 'dot-dot as HEAD', method: 'HEAD' },
  { path: '/m/../secret.txt', why: 'dot-dot under a static-map' },
  { path: '/m/%2e%2e/secret.txt', why: 'encoded dots under a static-map' },
  { path: '/m../secret.txt', why: 'dot-dot glued to a static-map prefix' },
  { path: '/m..%2fsecret.txt', why: 'encoded slash glued to a static-map prefix' },
  { path: '/m/leak.txt', why: 'symlink out under a static-map' },
  { path: '/m2/../secret.txt', why: 'dot-dot under a static-map2' },
  { path: '/m2/%2e%2e/%2e%2e/secret.txt', why: 'encoded climb under a static-map2' },
  { path: 'http://localhost/../secret.txt', why: 'absolute-form request target' },
  { path: '//secret.txt', why: 'double slash' },
  { path: '/secret.txt', why: 'the secret by name (it is beside the root, not in it)' },
  { path: '/private/p.txt', why: 'the private directory by name' },
  { path: '/../secret.txt', why: 'uwsgi: raw dot-dot PATH_INFO', pathInfo: '/../secret.txt' },
  { path: '/x', why: 'uwsgi: PATH_INFO with no leading slash', pathInfo: '../secret.txt' },
  { path: '/x', why: 'uwsgi: NUL byte in PATH_INFO', pathInfo: '/hello.txt\0/../../secret.txt' },
  { path: '/x', why: 'uwsgi: control characters in PATH_INFO', pathInfo: '/\x1b[2J/../secret.txt' },
  { path: '/x', why: 'uwsgi: backslashes in PATH_INFO', pathInfo: '\\..\\secret.txt' },
  { path: '/x', why: 'uwsgi: overlong bytes in PATH_INFO', pathInfo: '/\u00c0\u00ae\u00c0\u00ae/secret.txt' },
];

let base = '';
let server: RunningServer;

before(async () => {
  base = mkdtempSync(join(tmpdir(), 'uwsgi-ts-traversal-'));
  buildStaticTree(base);
  const www = join(base, 'www');
  server = await startServer([
    '--http-socket',
    '127.0.0.1:0',
    '--socket',
    '127.0.0.1:0',
    '--app',
    join(STATIC_FIXTURES, 'not-found-app.mjs'),
    '--check-static',
    www,
    '--static-map',
    `/m=${www}`,
    '--static-map2',
    `/m2=${www}`,
    '--static-index',
    'index.html',
    '--honour-range',
    '--static-gzip-all',
  ]);
});

after(async () => {
  await server?.close();
  rmSync(base, { recursive: true, force: true });
});

function bytesOf(c: HostileCase): { port: number; bytes: Buffer } {
  const request: StaticRequest = {
    path: c.path,
    ...(c.method ? { method: c.method } : {}),
    ...(c.headers ? { headers: c.headers } : {}),
  };
  if (c.pathInfo === undefined) return { port: server.ports[0] as number, bytes: httpRequestBytes(request) };
  return {
    port: server.ports[1] as number,
    bytes: uwsgiRequestBytes({ ...request, vars: { PATH_INFO: c.pathInfo } }),
  };
}

describe('path traversal: nothing outside the roots leaks', { timeout: 120_000 }, () => {
  it(`has at least 30 hostile paths (${CASES.length})`, () => {
    assert.ok(CASES.length >= 30);
  });

  const statuses: number[] = [];

  for (const c of CASES) {
    it(`${c.why}: ${JSON.stringify(c.pathInfo ?? c.path)} is refused (403/404) without the secret`, async () => {
      const { port, bytes } = bytesOf(c);
      const raw = await exchange(port, bytes);
      assert.ok(!raw.includes(SECRET), `the secret leaked: ${raw.toString('latin1').slice(0, 300)}`);
      const reply = parseResponse(raw);
      assert.ok(reply, `no response: ${JSON.stringify(raw.toString('latin1'))}`);
      assert.ok(reply.status === 403 || reply.status === 404, `status ${reply.statusLine}`);
      statuses.push(reply.status);
      // every answer is in the request log; a 403 also has the static server's security line
      const uri = c.path;
      await server.waitFor(
        new RegExp(
          `\\] ${c.method ?? 'GET'} ${escapeRegExp(uri)} => generated \\d+ bytes .*\\(HTTP/1\\.\\d ${reply.status}\\)`,
        ),
        5000,
      );
    });
  }

  it('refused the attempts it could see with 403 and a security line each', async () => {
    const forbidden = statuses.filter((s) => s === 403).length;
    assert.ok(forbidden >= 40, `${forbidden} of ${statuses.length} answered 403`);
    const lines =
      server
        .log()
        .match(/\[uwsgi-fileserve\] security error: .* -> 403 \[ERR_STATIC_(TRAVERSAL|OUTSIDE_ROOT)\]/g) ??
      [];
    assert.equal(lines.length, forbidden);
    assert.ok(!server.log().includes(SECRET), 'the log names paths, never file contents');
  });

  it('still serves the files that are inside the roots', async () => {
    for (const path of ['/hello.txt', '/m/hello.txt', '/inlink.txt', '/sub/', '/100%25.txt']) {
      const reply = parseResponse(await exchange(server.ports[0] as number, httpRequestBytes({ path })));
      assert.equal(reply?.status, 200, path);
    }
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
