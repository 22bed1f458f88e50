// Path traversal against the CGI handler (issue 14 point 3): hostile paths sent as raw bytes (no
// client normalises them) over HTTP, and as raw PATH_INFO over the uwsgi protocol with modifier1
// 9 (a front end can hand bytes HTTP cannot carry: NUL, backslashes, no leading slash). A secret
// script sits beside the CGI directory, symlinks lead out of it, /etc/passwd is one climb away.
// Each must be refused: 404 (nothing there, a `..` that climbs above the directory, a NUL), 403,
// or uWSGI's answer to a real path outside the directory: "CGI security error" and the
// connection closed. No answer and no log line may carry the secret or /etc/passwd's content.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { exchange, nginxVars, requestBytes, uwsgiPacket } from '../fixtures/cgi/cgi-kit.js';
import { type RunningServer, startServer } from '../helpers/server.js';

const SECRET = 'cgi-traversal-secret-90d1';
const PASSWD = /root:[^:\n]*:0:0:/;

interface HostileCase {
  readonly path: string;
  readonly why: string;
  /** Sent as a uwsgi packet (modifier1 9) with this PATH_INFO (latin1 bytes) instead of over HTTP. */
  readonly pathInfo?: string;
}

// biome-ignore format: one case per line
const CASES: readonly HostileCase[] = [
  { path: '/cgi-bin/../../etc/passwd', why: 'the issue\'s own example' },
  { path: '/cgi-bin/../secret.sh', why: 'plain dot-dot to the secret' },
  { path: '/cgi-bin/../../../../../../../etc/passwd', why: 'dot-dot to the file system root' },
  { path: '/cgi-bin/sub/../../secret.sh', why: 'dot-dot after a real directory' },
  { path: '/cgi-bin/./../secret.sh', why: 'dot then dot-dot' },
  { path: '/cgi-bin/%2e%2e/secret.sh', why: 'encoded dots' },
  { path: '/cgi-bin/%2E%2E/secret.sh', why: 'encoded dots, upper case' },
  { path: '/cgi-bin/%2e./secret.sh', why: 'half-encoded dots' },
  { path: '/cgi-bin/.%2e/secret.sh', why: 'half-encoded dots, the other half' },
  { path: '/cgi-bin/%2e%2e%2fsecret.sh', why: 'encoded dots and slash' },
  { path: '/cgi-bin/..%2fsecret.sh', why: 'encoded slash' },
  { path: '/cgi-bin/..%2Fsecret.sh', why: 'encoded slash, upper case' },
  { path: '/cgi-bin/%2e%2e%2f%2e%2e%2fetc%2fpasswd', why: 'fully encoded climb' },
  { path: '/cgi-bin/%252e%252e/secret.sh', why: 'double-encoded dots' },
  { path: '/cgi-bin/%252e%252e%252fsecret.sh', why: 'double-encoded dots and slash' },
  { path: '/cgi-bin/..%252fsecret.sh', why: 'double-encoded slash' },
  { path: '/cgi-bin/%25252e%25252e/secret.sh', why: 'triple-encoded dots' },
  { path: '/cgi-bin/..\\secret.sh', why: 'backslash separator' },
  { path: '/cgi-bin/..%5csecret.sh', why: 'encoded backslash' },
  { path: '/cgi-bin/%5c..%5csecret.sh', why: 'encoded backslashes around dots' },
  { path: '/cgi-bin/hello.sh%00.txt', why: 'NUL truncation' },
  { path: '/cgi-bin/../secret.sh%00', why: 'dot-dot and a trailing NUL' },
  { path: '/cgi-bin/%c0%ae%c0%ae/secret.sh', why: 'overlong UTF-8 dots' },
  { path: '/cgi-bin/%e0%80%ae%e0%80%ae/secret.sh', why: 'three-byte overlong dots' },
  { path: '/cgi-bin/out.sh', why: 'symlink to the secret beside the directory' },
  { path: '/cgi-bin/passwd.sh', why: 'symlink to /etc/passwd' },
  { path: '/cgi-bin/outdir/secret.sh', why: 'symlinked directory out of the directory' },
  { path: '/cgi-bin/outdir/../../secret.sh', why: 'dot-dot through a symlinked directory' },
  { path: '/cgi-bin../secret.sh', why: 'dot-dot glued to the mountpoint' },
  { path: '/cgi-bin..%2fsecret.sh', why: 'encoded slash glued to the mountpoint' },
  { path: '/cgi-bin/hello.sh/../../secret.sh', why: 'dot-dot inside PATH_INFO after a script' },
  { path: '/cgi-bin/hello.sh/../../../etc/passwd', why: 'climb inside PATH_INFO to /etc/passwd' },
  { path: '//etc/passwd', why: 'double slash' },
  { path: '/cgi-bin//etc/passwd', why: 'double slash under the mountpoint' },
  { path: 'http://localhost/cgi-bin/../secret.sh', why: 'absolute-form request target' },
  { path: '/secret.sh', why: 'the secret by name (beside the directory, not in it)' },
  { path: '/x', why: 'uwsgi: raw dot-dot PATH_INFO', pathInfo: '/cgi-bin/../secret.sh' },
  { path: '/x', why: 'uwsgi: PATH_INFO with no leading slash', pathInfo: 'cgi-bin/../secret.sh' },
  { path: '/x', why: 'uwsgi: NUL byte in PATH_INFO', pathInfo: '/cgi-bin/hello.sh\0/../../secret.sh' },
  { path: '/x', why: 'uwsgi: backslashes in PATH_INFO', pathInfo: '/cgi-bin/\\..\\secret.sh' },
  { path: '/x', why: 'uwsgi: control characters in PATH_INFO', pathInfo: '/cgi-bin/\x1b[2J/../../secret.sh' },
  { path: '/x', why: 'uwsgi: /etc/passwd as PATH_INFO', pathInfo: '/etc/passwd' },
];

let base = '';
let server: RunningServer;

before(async () => {
  base = mkdtempSync(join(tmpdir(), 'uwsgi-ts-cgi-traversal-'));
  const cgi = join(base, 'cgi');
  mkdirSync(join(cgi, 'sub'), { recursive: true });
  mkdirSync(join(base, 'outside'));
  mkdirSync(join(base, 'allowed'));
  const script = (text: string) => `#!/bin/sh\nprintf 'Content-Type: text/plain\\n\\n'\n${text}\n`;
  writeFileSync(join(cgi, 'hello.sh'), script('echo hello'), { mode: 0o755 });
  writeFileSync(join(base, 'secret.sh'), script(`echo ${SECRET}`), { mode: 0o755 });
  writeFileSync(join(base, 'outside', 'secret.sh'), script(`echo ${SECRET}`), { mode: 0o755 });
  writeFileSync(join(base, 'allowed', 'ok.sh'), script('echo allowed by cgi-safe'), { mode: 0o755 });
  symlinkSync('../secret.sh', join(cgi, 'out.sh'));
  symlinkSync('/etc/passwd', join(cgi, 'passwd.sh'));
  symlinkSync('../outside', join(cgi, 'outdir'));
  symlinkSync('../allowed/ok.sh', join(cgi, 'safe.sh'));
  server = await startServer([
    '--http-socket',
    '127.0.0.1:0',
    '--http-socket-modifier1',
    '9',
    '--socket',
    '127.0.0.1:0',
    '--cgi',
    `/cgi-bin=${cgi}`,
    '--cgi-safe',
    join(base, 'allowed'),
  ]);
});

after(async () => {
  await server?.close();
  if (base) rmSync(base, { recursive: true, force: true });
});

function bytesOf(c: HostileCase): { port: number; bytes: Buffer } {
  if (c.pathInfo === undefined)
    return { port: server.ports[0] as number, bytes: requestBytes({ path: c.path }) };
  return {
    port: server.ports[1] as number,
    bytes: uwsgiPacket({ ...nginxVars('/x'), PATH_INFO: c.pathInfo, REQUEST_URI: '/x' }, 9),
  };
}

describe('CGI path traversal: nothing outside the directory runs or leaks', { timeout: 120_000 }, () => {
  it(`has at least 31 hostile paths (${CASES.length})`, () => {
    assert.ok(CASES.length >= 31);
  });

  const statuses: string[] = [];

  for (const c of CASES) {
    it(`${c.why}: ${JSON.stringify(c.pathInfo ?? c.path)} is refused`, async () => {
      const { port, bytes } = bytesOf(c);
      const raw = (await exchange(port, bytes)).toString('latin1');
      assert.ok(!raw.includes(SECRET), `the secret script ran: ${raw.slice(0, 300)}`);
      assert.ok(!PASSWD.test(raw), `/etc/passwd leaked: ${raw.slice(0, 300)}`);
      // nothing (uWSGI's answer to a real path outside), or a 400 from the HTTP parser, or 403/404
      if (raw !== '') assert.match(raw, /^HTTP\/1\.[01] (400|403|404) /, raw.slice(0, 200));
      statuses.push(raw === '' ? 'closed' : raw.slice(9, 12));
    });
  }

  it('refused them as uWSGI does: 404 for what is not there, a closed connection for symlinks out', () => {
    const count = (s: string) => statuses.filter((x) => x === s).length;
    assert.equal(count('closed'), 3, statuses.join(' '));
    assert.ok(count('404') >= 30, statuses.join(' '));
  });

  it('logged a security error for each symlink out, and never a secret', async () => {
    const log = server.log();
    for (const target of [
      'secret.sh is not under',
      '/etc/passwd is not under',
      'outside/secret.sh is not under',
    ]) {
      assert.ok(log.includes(target), `no security line for ${target}`);
    }
    assert.match(log, /CGI security error: .* \[ERR_CGI_SECURITY\]/);
    assert.ok(!log.includes(SECRET));
    assert.ok(!PASSWD.test(log));
  });

  it('still runs the scripts inside, and a symlink out under cgi-safe', async () => {
    const hello = (
      await exchange(server.ports[0] as number, requestBytes({ path: '/cgi-bin/hello.sh' }))
    ).toString();
    assert.match(hello, /^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\n6\r\nhello\n/);
    const safe = (
      await exchange(server.ports[0] as number, requestBytes({ path: '/cgi-bin/safe.sh' }))
    ).toString();
    assert.match(safe, /^HTTP\/1\.1 200 OK\r\n[\s\S]*allowed by cgi-safe/);
  });
});
