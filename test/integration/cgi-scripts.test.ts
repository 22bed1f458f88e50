// CGI scripts as the manual's "Running CGI scripts on uWSGI" chapter configures them (seed 002,
// line 9153: examples 1-9), against the real CLI: a dumb CGI directory reached over the uwsgi
// protocol with modifier1 9 and over http-socket, allowed extensions, PHP through php-cgi and Perl
// through helpers, 20 threads, the mailman cgi-index and the viewvc single-script mount, the
// check-static docroot of example 9; then the request body streamed byte-identical (1 MB), Status
// and Location, stderr in the log, a script that never ends killed at cgi-timeout with its
// process group while the instance keeps serving.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  answerOf,
  type CgiAnswer,
  type CgiRequest,
  exchange,
  nginxVars,
  requestBytes,
  uwsgiPacket,
} from '../fixtures/cgi/cgi-kit.js';
import { findTool } from '../helpers/cgi-tools.js';
import { type RunningServer, startServer } from '../helpers/server.js';

const PHP = findTool('php-cgi');
const NO_TRANSPORT = new Set<string>();
const SH = (body: string) => `#!/bin/sh\n${body}\n`;

function write(path: string, content: string, mode = 0o755): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, content, { mode });
}

async function ask(server: RunningServer, request: CgiRequest, port = server.port): Promise<CgiAnswer> {
  return answerOf(await exchange(port, requestBytes(request), 30_000), '\0none\0', NO_TRANSPORT);
}

function header(a: CgiAnswer, name: string): string | undefined {
  return a.headers.find(([k]) => k === name)?.[1];
}

let base = '';
before(() => {
  base = mkdtempSync(join(tmpdir(), 'uwsgi-ts-cgi-scripts-'));
});
after(() => {
  if (base) rmSync(base, { recursive: true, force: true });
});

describe('examples 1-6: a CGI directory, allowed extensions, helpers, threads', { timeout: 180_000 }, () => {
  let server: RunningServer;
  const www = () => join(base, 'www');

  before(async () => {
    const dir = www();
    write(
      join(dir, 'foo.cgi'),
      SH('printf "Content-Type: text/plain\\n\\nfoo.cgi SCRIPT_NAME=%s\\n" "$SCRIPT_NAME"'),
    );
    write(join(dir, 'hello.pl'), 'print "Content-Type: text/plain\\n\\nperl says hi\\n";\n', 0o644);
    write(
      join(dir, 'info.php'),
      '<?php header("X-Php: yes"); echo "php ok ", $_GET["x"] ?? "-", " ", $_SERVER["SCRIPT_NAME"], " ", $_POST["name"] ?? "-", "\\n";\n',
      0o644,
    );
    write(
      join(dir, 'echo.py'),
      '#!/usr/bin/python3\nimport os, sys\nn = int(os.environ.get("CONTENT_LENGTH") or 0)\ndata = sys.stdin.buffer.read(n)\nsys.stdout.buffer.write(b"Content-Type: application/octet-stream\\r\\n\\r\\n" + data)\n',
    );
    write(join(dir, 'cat.sh'), SH('printf "Content-Type: application/octet-stream\\n\\n"\nexec cat'));
    write(
      join(dir, 'status.sh'),
      SH(
        'printf "Status: 418 I am a teapot\\nContent-Type: text/plain\\nX-A: 1\\nX-A: 2\\n\\nshort and stout\\n"',
      ),
    );
    write(join(dir, 'redir.sh'), SH('printf "Location: https://example.org/elsewhere\\n\\n"'));
    write(
      join(dir, 'stderr.sh'),
      SH('echo "cgi-stderr-marker-5521 from the script" >&2\nprintf "Content-Type: text/plain\\n\\nok\\n"'),
    );
    write(join(dir, 'noheaders.sh'), SH('exit 3'));
    write(join(dir, 'noexec.cgi'), SH('echo x'), 0o644);
    write(
      join(dir, 'forever.sh'),
      SH(
        `sleep 1000 &\necho $! > "${join(base, 'grandchild.pid')}"\nprintf "Content-Type: text/plain\\n\\nstarted\\n"\nwhile :; do sleep 1; done`,
      ),
    );
    write(
      join(dir, 'abandoned.sh'),
      SH(
        `echo $$ > "${join(base, 'abandoned.pid')}"\nprintf "Content-Type: text/plain\\n\\nwaiting\\n"\nwhile :; do sleep 1; done`,
      ),
    );
    write(
      join(dir, 'slow.sh'),
      SH('printf "Content-Type: text/plain\\n\\n"\nfor i in 1 2 3 4 5; do echo tick $i; sleep 1; done'),
    );
    const args = [
      '--socket',
      '127.0.0.1:0',
      '--http-socket',
      '127.0.0.1:0',
      '--http-socket-modifier1',
      '9',
      '--plugins',
      'cgi',
      '--threads',
      '20',
      '--cgi',
      dir,
      '--cgi-timeout',
      '3',
      '--cgi-close-stdin-on-eof',
      '--cgi-helper',
      '.pl=perl',
      ...(PHP ? ['--cgi-helper', `.php=${basename(PHP)}`] : []),
    ];
    for (const ext of ['.cgi', '.pl', '.php', '.py', '.sh']) args.push('--cgi-allowed-ext', ext);
    server = await startServer(args, { timeoutMs: 30_000 });
  });

  after(async () => {
    await server?.close();
  });

  it('example 1: a request to /foo.cgi runs DIR/foo.cgi, over the uwsgi protocol with modifier1 9', async () => {
    const raw = await exchange(server.ports[0] as number, uwsgiPacket(nginxVars('/foo.cgi'), 9));
    const text = raw.toString('latin1');
    assert.match(text, /^HTTP\/1\.[01] 200 OK\r\n/);
    assert.match(text, /\r\n\r\nfoo\.cgi SCRIPT_NAME=\/foo\.cgi\n$/);
  });

  it('example 1: and over http-socket with http-socket-modifier1 9', async () => {
    const a = await ask(server, { path: '/foo.cgi' }, server.ports[1]);
    assert.equal(a.status, 200);
    assert.equal(a.body, 'foo.cgi SCRIPT_NAME=/foo.cgi\n');
  });

  it('example 3: an extension not allowed is 403, a missing script 404, a script without its execute bit 403', async () => {
    write(join(www(), 'other.txt'), SH('echo x'));
    assert.equal((await ask(server, { path: '/other.txt' }, server.ports[1])).status, 403);
    assert.equal((await ask(server, { path: '/nothere.cgi' }, server.ports[1])).status, 404);
    assert.equal((await ask(server, { path: '/noexec.cgi' }, server.ports[1])).status, 403);
  });

  it('example 4: a helper runs a script that has no execute bit (perl)', async () => {
    const a = await ask(server, { path: '/hello.pl' }, server.ports[1]);
    assert.equal(a.status, 200);
    assert.equal(a.body, 'perl says hi\n');
  });

  it('examples 4-5: PHP through php-cgi (REDIRECT_STATUS=200 is set, as uWSGI does), GET and POST', {
    skip: PHP === undefined,
  }, async () => {
    const get = await ask(server, { path: '/info.php?x=5' }, server.ports[1]);
    assert.equal(get.status, 200, get.body);
    assert.equal(header(get, 'x-php'), 'yes');
    assert.match(header(get, 'content-type') ?? '', /^text\/html/);
    assert.equal(get.body, 'php ok 5 /info.php -\n');
    const post = await ask(
      server,
      {
        path: '/info.php',
        method: 'POST',
        body: 'name=uwsgi%2Dts',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      },
      server.ports[1],
    );
    assert.equal(post.body, 'php ok - /info.php uwsgi-ts\n');
  });

  it('streams a 1 MB request body to the script and its output back byte-identical (python, CONTENT_LENGTH)', async () => {
    const body = randomBytes(1024 * 1024);
    const a = await ask(
      server,
      { path: '/echo.py', method: 'POST', body: body.toString('latin1') },
      server.ports[1],
    );
    assert.equal(a.status, 200);
    assert.ok(Buffer.from(a.body, 'latin1').equals(body), `got ${a.body.length} bytes`);
  });

  it('and to `cat`, which reads to EOF (cgi-close-stdin-on-eof)', async () => {
    const body = randomBytes(1024 * 1024);
    const a = await ask(
      server,
      { path: '/cat.sh', method: 'POST', body: body.toString('latin1') },
      server.ports[1],
    );
    assert.equal(a.status, 200);
    assert.ok(Buffer.from(a.body, 'latin1').equals(body), `got ${a.body.length} bytes`);
  });

  it('Status: sets the status line and its reason; repeated headers are kept', async () => {
    const a = await ask(server, { path: '/status.sh' }, server.ports[1]);
    assert.equal(a.status, 418);
    assert.equal(a.reason, 'I am a teapot');
    assert.deepEqual(
      a.headers.filter(([k]) => k === 'x-a').map(([, v]) => v),
      ['1', '2'],
    );
    assert.equal(a.body, 'short and stout\n');
  });

  it('Location: without Status is a 302 to it', async () => {
    const a = await ask(server, { path: '/redir.sh' }, server.ports[1]);
    assert.equal(a.status, 302);
    assert.equal(header(a, 'location'), 'https://example.org/elsewhere');
  });

  it("the script's stderr goes into the log", async () => {
    const a = await ask(server, { path: '/stderr.sh' }, server.ports[1]);
    assert.equal(a.body, 'ok\n');
    await server.waitFor(/cgi-stderr-marker-5521 from the script\n/, 5000);
  });

  it('a script that ends without a header block is a 500 with a log line', async () => {
    const a = await ask(server, { path: '/noheaders.sh' }, server.ports[1]);
    assert.equal(a.status, 500);
    await server.waitFor(/noheaders\.sh ended without a header block \[ERR_CGI_HEADERS\]/, 5000);
  });

  it('cgi-timeout measures silence, as uWSGI: a script printing every second runs past it', async () => {
    const a = await ask(server, { path: '/slow.sh' }, server.ports[1]);
    assert.equal(a.body, 'tick 1\ntick 2\ntick 3\ntick 4\ntick 5\n');
  });

  it('a script whose client went away is killed at once (no cgi-do-not-kill-on-error)', async () => {
    const pidFile = join(base, 'abandoned.pid');
    await exchange(server.ports[1] as number, requestBytes({ path: '/abandoned.sh' }), 1000);
    assert.ok(existsSync(pidFile), 'the script ran');
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    let alive = true;
    for (let i = 0; i < 30 && alive; i++) {
      try {
        process.kill(pid, 0);
        await new Promise((r) => setTimeout(r, 100));
      } catch {
        alive = false;
      }
    }
    assert.equal(alive, false, `script ${pid} outlived its client`);
  });

  it('a script looping forever is killed at cgi-timeout with its process group; the instance keeps serving', async () => {
    const started = Date.now();
    const pending = ask(server, { path: '/forever.sh' }, server.ports[1]);
    // served meanwhile (20 threads: the loop holds one request slot, not the worker)
    const other = await ask(server, { path: '/foo.cgi' }, server.ports[1]);
    assert.equal(other.status, 200);
    const a = await pending;
    const took = Date.now() - started;
    assert.equal(a.status, 200);
    assert.equal(a.body, 'started\n');
    assert.ok(took >= 2500 && took < 20_000, `took ${took} ms`);
    await server.waitFor(
      /CGI timeout !!! \(.*forever\.sh silent for 3 s: killed with its process group\) \[ERR_CGI_TIMEOUT\]/,
      5000,
    );
    const pidFile = join(base, 'grandchild.pid');
    assert.ok(existsSync(pidFile));
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    let alive = true;
    for (let i = 0; i < 50 && alive; i++) {
      try {
        process.kill(pid, 0);
        await new Promise((r) => setTimeout(r, 100));
      } catch {
        alive = false;
      }
    }
    assert.equal(alive, false, `the script's child ${pid} (sleep 1000) survived`);
    const after = await ask(server, { path: '/foo.cgi' }, server.ports[1]);
    assert.equal(after.status, 200);
  });
});

describe('examples 7-8: mailman with cgi-index, viewvc as one script under a mountpoint', {
  timeout: 60_000,
}, () => {
  let server: RunningServer;
  before(async () => {
    const mailman = join(base, 'mailman');
    write(
      join(mailman, 'listinfo'),
      SH('printf "Content-Type: text/plain\\n\\nlistinfo SCRIPT_NAME=%s\\n" "$SCRIPT_NAME"'),
    );
    write(
      join(mailman, 'admin'),
      SH('printf "Content-Type: text/plain\\n\\nadmin PATH_INFO=%s\\n" "$PATH_INFO"'),
    );
    const viewvc = join(base, 'viewvc', 'viewvc.cgi');
    write(
      viewvc,
      SH(
        'printf "Content-Type: text/plain\\n\\nviewvc SCRIPT_NAME=%s PATH_INFO=%s QUERY_STRING=%s\\n" "$SCRIPT_NAME" "$PATH_INFO" "$QUERY_STRING"',
      ),
    );
    const ini = join(base, 'ex78.ini');
    writeFileSync(
      ini,
      `[uwsgi]
plugins = cgi
threads = 20
socket = 127.0.0.1:0
http-socket = 127.0.0.1:0
http-socket-modifier1 = 9
cgi = /cgi-bin/mailman=${mailman}
cgi-index = listinfo
cgi = /viewvc=${viewvc}
`,
    );
    server = await startServer(['--ini', ini], { timeoutMs: 30_000 });
  });
  after(async () => {
    await server?.close();
  });

  it('example 7: /cgi-bin/mailman/ runs the listinfo script', async () => {
    const a = await ask(server, { path: '/cgi-bin/mailman/' }, server.ports[1]);
    assert.equal(a.status, 200);
    assert.equal(a.body, 'listinfo SCRIPT_NAME=/cgi-bin/mailman/listinfo\n');
    const admin = await ask(server, { path: '/cgi-bin/mailman/admin/mylist' }, server.ports[1]);
    assert.equal(admin.body, 'admin PATH_INFO=/mylist\n');
  });

  it('example 8: /viewvc/... runs viewvc.cgi with the rest as PATH_INFO', async () => {
    const a = await ask(server, { path: '/viewvc/repo/trunk?view=log' }, server.ports[1]);
    assert.equal(a.status, 200);
    assert.equal(a.body, 'viewvc SCRIPT_NAME=/viewvc PATH_INFO=/repo/trunk QUERY_STRING=view=log\n');
  });
});

describe('example 9: check-static and CGI in one document root', { timeout: 60_000 }, () => {
  let server: RunningServer;
  before(async () => {
    const root = join(base, 'docroot');
    write(
      join(root, 'index.pl'),
      '#!/usr/bin/perl\nprint "Content-Type: text/plain\\n\\nindex.pl here\\n";\n',
    );
    write(join(root, 'page.html'), '<p>static page</p>\n', 0o644);
    write(join(root, 'run.cgi'), SH('printf "Content-Type: text/plain\\n\\nrun.cgi here\\n"'));
    const ini = join(base, 'ex9.ini');
    writeFileSync(
      ini,
      `[uwsgi]
; plugins = http, cgi and http = :8080 + http-modifier1 = 9 in the manual: the HTTP router is
; another branch's, so the workers' own http-socket stands in for it
plugins = cgi
http-socket = 127.0.0.1:0
http-socket-modifier1 = 9
my_document_root = ${root}
check-static = %(my_document_root)
static-skip-ext = .pl
static-skip-ext = .cgi
cgi = %(my_document_root)
cgi-index = index.pl
cgi-index = index.cgi
cgi-allowed-ext = .pl
cgi-allowed-ext = .cgi
`,
    );
    server = await startServer(['--ini', ini], { timeoutMs: 30_000 });
  });
  after(async () => {
    await server?.close();
  });

  it('serves static files, runs .pl and .cgi scripts, and index.pl for /', async () => {
    assert.equal((await ask(server, { path: '/page.html' })).body, '<p>static page</p>\n');
    assert.equal((await ask(server, { path: '/run.cgi' })).body, 'run.cgi here\n');
    const index = await ask(server, { path: '/' });
    assert.equal(index.status, 200);
    assert.equal(index.body, 'index.pl here\n');
  });
});
