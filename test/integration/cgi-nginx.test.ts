// nginx in front (the manual's CGI examples 5 and 7): `uwsgi_pass` with `uwsgi_modifier1 9` for
// the script locations, plain `uwsgi_pass` (modifier1 0) for the rest, to one uwsgi socket of one
// instance: the modifier1 of each packet picks the handler (CGI, or the JS app).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { findTool } from '../helpers/cgi-tools.js';
import { findNginx, type RunningNginx, startNginx } from '../helpers/nginx.js';
import { type RunningServer, startServer } from '../helpers/server.js';

const PHP = findTool('php-cgi');
const NGINX = findNginx() !== undefined || process.env['UWSGI_TS_REQUIRE_NGINX'] !== undefined;

let base = '';
let server: RunningServer;
let nginx: RunningNginx | undefined;

async function get(
  path: string,
  init?: RequestInit,
): Promise<{ status: number; body: string; headers: Headers }> {
  const res = await fetch(nginx?.url(path) ?? '', { ...init, signal: AbortSignal.timeout(15_000) });
  return { status: res.status, body: await res.text(), headers: res.headers };
}

describe('nginx uwsgi_pass with uwsgi_modifier1 9', { skip: !NGINX, timeout: 90_000 }, () => {
  before(async () => {
    base = mkdtempSync(join(tmpdir(), 'uwsgi-ts-cgi-nginx-'));
    const www = join(base, 'www');
    const mailman = join(base, 'mailman');
    mkdirSync(www);
    mkdirSync(mailman);
    writeFileSync(
      join(www, 'hello.php'),
      '<?php echo "php via nginx ", $_SERVER["REQUEST_METHOD"], " ", $_POST["v"] ?? $_GET["v"] ?? "-", "\\n";\n',
    );
    writeFileSync(
      join(mailman, 'listinfo'),
      '#!/bin/sh\nprintf "Content-Type: text/plain\\nX-Cgi: listinfo\\n\\nlistinfo SCRIPT_NAME=%s PATH_INFO=%s\\n" "$SCRIPT_NAME" "$PATH_INFO"\n',
      { mode: 0o755 },
    );
    writeFileSync(
      join(base, 'app.mjs'),
      "export default (req, res) => { res.setHeader('content-type', 'text/plain'); res.end('js app ' + req.url + '\\n'); };\n",
    );
    const args = [
      '--socket',
      '127.0.0.1:0',
      '--app',
      join(base, 'app.mjs'),
      '--threads',
      '4',
      '--cgi',
      `/cgi-bin/mailman=${mailman}`,
      '--cgi-index',
      'listinfo',
      '--cgi',
      www,
    ];
    if (PHP) args.push('--cgi-helper', `.php=${basename(PHP)}`);
    server = await startServer(args, { timeoutMs: 30_000 });
    const upstream = `127.0.0.1:${server.port}`;
    nginx = await startNginx({
      locations: [
        {
          path: '~ \\.php$',
          pass: 'uwsgi',
          upstream,
          // the manual's example 5, as written
          directives: ['uwsgi_param REDIRECT_STATUS 200', 'uwsgi_modifier1 9'],
        },
        { path: '/cgi-bin/mailman', pass: 'uwsgi', upstream, directives: ['uwsgi_modifier1 9'] },
        { path: '/', pass: 'uwsgi', upstream },
      ],
    });
    assert.ok(nginx, 'nginx was found');
  });

  after(async () => {
    await nginx?.close();
    await server?.close();
    if (base) rmSync(base, { recursive: true, force: true });
  });

  it('example 7: /cgi-bin/mailman/ runs listinfo (cgi-index)', async () => {
    const r = await get('/cgi-bin/mailman/');
    assert.equal(r.status, 200, `${r.body}\n${nginx?.log()}\n${server.log()}`);
    assert.equal(r.headers.get('x-cgi'), 'listinfo');
    assert.equal(r.body, 'listinfo SCRIPT_NAME=/cgi-bin/mailman/listinfo PATH_INFO=\n');
  });

  it('example 5: a PHP script through php-cgi, GET and POST', { skip: PHP === undefined }, async () => {
    const r = await get('/hello.php?v=7');
    assert.equal(r.status, 200, `${r.body}\n${server.log()}`);
    assert.equal(r.body, 'php via nginx GET 7\n');
    const p = await get('/hello.php', {
      method: 'POST',
      body: 'v=posted',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(p.body, 'php via nginx POST posted\n');
  });

  it('modifier1 0 on the same socket reaches the JS app', async () => {
    const r = await get('/anything');
    assert.equal(r.status, 200);
    assert.equal(r.body, 'js app /anything\n');
  });

  it('a missing script behind nginx is 404', async () => {
    const r = await get('/nothere.php');
    assert.equal(r.status, 404);
  });
});
