// The snippets page's "Full-Stack CGI setup" (seed 000, lines 74-115; the manual's copy at seed
// 002 line 758) with its ini as written (`http = ...` and `http-modifier1 = 9`: the HTTP router in
// front, on port 0 instead of 8080), and again with the workers' own `http-socket` and
// `http-socket-modifier1 = 9`; uid/gid are left out (the tests do not run as root).
// Debian names the Lua binary lua5.4 (`lua` may be absent): the helper is whichever exists.
// Static files come from check-static (index.html through static-index), .lua files are never
// served as static, /cgi-bin/foo.lua runs through Lua, /cgi-bin/ runs index.lua.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { findTool } from '../helpers/cgi-tools.js';
import { httpGet } from '../helpers/http.js';
import { routerPort } from '../helpers/router.js';
import { type RunningServer, startServer } from '../helpers/server.js';

const LUA = findTool('lua', 'lua5.4', 'lua5.3');

const LUA_SCRIPT = (name: string) => `-- a CGI script in Lua, run by the cgi-helper (no execute bit)
print("Content-Type: text/plain")
print("X-Script: ${name}")
print("")
print("hello from lua ${name}")
print("SCRIPT_NAME=" .. (os.getenv("SCRIPT_NAME") or ""))
print("PATH_INFO=" .. (os.getenv("PATH_INFO") or ""))
print("QUERY_STRING=" .. (os.getenv("QUERY_STRING") or ""))
`;

/** The two front ends: the snippet's HTTP router as written, and the workers' own HTTP socket. */
const FRONTS = [
  {
    name: 'as written: the http router, http-modifier1 = 9',
    socket: '; start an http router on port 8080 (here: port 0)\nhttp = %(ipaddress):0',
    modifier: 'http-modifier1 = 9',
    port: (s: RunningServer) => routerPort(s),
  },
  {
    name: "the workers' http-socket, http-socket-modifier1 = 9",
    socket: "; the workers' own http socket instead of the router\nhttp-socket = %(ipaddress):0",
    modifier: 'http-socket-modifier1 = 9',
    port: (s: RunningServer) => s.port,
  },
];

for (const front of FRONTS) {
  let base = '';
  let server: RunningServer;
  let port = 0;

  describe(`the snippets page Full-Stack CGI setup (Lua), ${front.name}`, {
    skip: LUA === undefined,
    timeout: 120_000,
  }, () => {
    before(async () => {
      base = mkdtempSync(join(tmpdir(), 'uwsgi-ts-cgi-fullstack-'));
      mkdirSync(join(base, 'www'));
      mkdirSync(join(base, 'cgi'));
      writeFileSync(join(base, 'www', 'index.html'), '<h1>static index</h1>\n');
      writeFileSync(join(base, 'www', 'style.css'), 'body { color: red }\n');
      // a .lua file among the static files: static-skip-ext keeps its source private
      writeFileSync(join(base, 'www', 'private.lua'), '-- lua-source-must-not-leak\n');
      writeFileSync(join(base, 'cgi', 'foo.lua'), LUA_SCRIPT('foo'));
      writeFileSync(join(base, 'cgi', 'index.lua'), LUA_SCRIPT('index'));
      writeFileSync(
        join(base, 'cgi', 'other.sh'),
        '#!/bin/sh\necho "Content-Type: text/plain"\necho\necho sh\n',
        {
          mode: 0o755,
        },
      );
      const ini = join(base, 'fullstack.ini');
      writeFileSync(
        ini,
        `[uwsgi]
workdir = ${base}
ipaddress = 127.0.0.1

${front.socket}
; enable the stats server on port 9191
stats = 127.0.0.1:0
; spawn 2 threads in 4 processes (concurrency level: 8)
processes = 4
threads = 2

; serve static files in /var/www
static-index = index.html
static-index = index.htm
check-static = %(workdir)/www

; skip serving static files ending with .lua
static-skip-ext = .lua

; route requests to the CGI plugin
${front.modifier}
; map /cgi-bin requests to /var/cgi
cgi = /cgi-bin=%(workdir)/cgi
; only .lua script can be executed
cgi-allowed-ext = .lua
; .lua files are executed with the 'lua' command (it avoids the need of giving execute permission to files)
cgi-helper = .lua=${basename(LUA ?? 'lua')}
; search for index.lua if a directory is requested
cgi-index = index.lua
`,
      );
      server = await startServer(['--ini', ini], { timeoutMs: 30_000 });
      port = front.port(server);
    });

    after(async () => {
      await server?.close();
      if (base) rmSync(base, { recursive: true, force: true });
    });

    it('serves /cgi-bin/foo.lua through Lua', async () => {
      const r = await httpGet(port, '/cgi-bin/foo.lua?a=b');
      assert.equal(r.status, 200, r.body);
      assert.equal(r.headers['x-script'], 'foo');
      assert.equal(r.headers['content-type'], 'text/plain');
      assert.match(
        r.body,
        /^hello from lua foo\nSCRIPT_NAME=\/cgi-bin\/foo\.lua\nPATH_INFO=\nQUERY_STRING=a=b\n$/,
      );
    });

    it('runs index.lua for the directory', async () => {
      const r = await httpGet(port, '/cgi-bin/');
      assert.equal(r.status, 200, r.body);
      assert.match(r.body, /hello from lua index\nSCRIPT_NAME=\/cgi-bin\/index\.lua\n/);
    });

    it('passes PATH_INFO after the script', async () => {
      const r = await httpGet(port, '/cgi-bin/foo.lua/some/thing');
      assert.equal(r.status, 200, r.body);
      assert.match(r.body, /PATH_INFO=\/some\/thing\n/);
    });

    it('serves the static files beside it (static-index, check-static)', async () => {
      const index = await httpGet(port, '/');
      assert.equal(index.status, 200);
      assert.equal(index.body, '<h1>static index</h1>\n');
      const css = await httpGet(port, '/style.css');
      assert.equal(css.status, 200);
      assert.equal(css.headers['content-type'], 'text/css');
      assert.equal(css.body, 'body { color: red }\n');
    });

    it('never serves a .lua file as static (static-skip-ext), and runs only .lua (cgi-allowed-ext)', async () => {
      const lua = await httpGet(port, '/private.lua');
      assert.equal(lua.status, 404);
      assert.ok(!lua.body.includes('lua-source-must-not-leak'));
      const sh = await httpGet(port, '/cgi-bin/other.sh');
      assert.equal(sh.status, 403);
    });

    it('answers under load from its 4 processes x 2 threads', async () => {
      const replies = await Promise.all(Array.from({ length: 24 }, () => httpGet(port, '/cgi-bin/foo.lua')));
      for (const r of replies) assert.equal(r.status, 200);
      // the workers' request lines come through the master's log pipe in their own time
      await server.waitFor(/GET \/cgi-bin\/foo\.lua => generated \d+ bytes .*\(HTTP\/1\.1 200\)/, 10_000);
    });
  });
}
