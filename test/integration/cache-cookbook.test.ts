// Seeds 002 "The uWSGI Caching Cookbook" as an acceptance test (issue 6 "Shared services"): every
// recipe's config as the manual prints it (test/fixtures/cookbook/recipes/, comments and
// `plugins = 0:psgi,router_cache` lines kept: uwsgi-ts accepts `plugins` and ignores it), with
// only the app (`psgi = myapp.pl`, the PHP plugin, the notfound plugin: JS apps of
// test/fixtures/cookbook/), the socket (`:9090` -> 127.0.0.1:0) and system paths (the test's own
// files) changed, run under the real CLI. The apps count their calls in a file every worker
// appends to (calls.mjs), so "served from the cache" means: the app was not called again.
// Expected heads follow uWSGI 2.0.21 run on the same configs with a Python app (README
// "Internal routing"): a hit is `Content-Type` (text/html, content_type=, or mime=1), then
// `Content-Encoding` (content_encoding=), `Expires` (an item stored with expires=), then
// `Content-Length`.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: uWSGI route vars are spelled ${NAME}
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { exchange, parseResponse, uwsgiRequestBytes } from '../fixtures/routing/routing-kit.js';
import { REPO, runCli } from '../helpers/cli.js';
import { type RunningServer, startServer } from '../helpers/server.js';

const COOKBOOK = join(REPO, 'test', 'fixtures', 'cookbook');
const RECIPES = join(COOKBOOK, 'recipes');

const dirs: string[] = [];
const servers: RunningServer[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface Kitchen {
  readonly server: RunningServer;
  readonly port: number;
  /** The recipe's own directory (@TMP@ in the ini). */
  readonly dir: string;
  /** How many times the app was called so far, all workers together. */
  calls(): number;
}

/** The recipe's ini with @COOKBOOK@ and @TMP@ filled in, written to a fresh directory. */
function prepare(recipe: string, setup?: (dir: string) => void): { dir: string; ini: string } {
  const dir = mkdtempSync(join(tmpdir(), 'uwsgi-ts-cookbook-'));
  dirs.push(dir);
  setup?.(dir);
  const text = readFileSync(join(RECIPES, recipe), 'utf8')
    .replaceAll('@COOKBOOK@', COOKBOOK)
    .replaceAll('@TMP@', dir);
  const ini = join(dir, recipe);
  writeFileSync(ini, text);
  return { dir, ini };
}

/** Starts the recipe; stopped by the `after` hook (or by the test, to free the cores sooner). */
async function cook(recipe: string, setup?: (dir: string) => void): Promise<Kitchen> {
  const { dir, ini } = prepare(recipe, setup);
  const callsFile = join(dir, 'calls.log');
  writeFileSync(callsFile, '');
  const server = await startServer([ini], {
    cwd: dir,
    env: { COOKBOOK_CALLS: callsFile },
    timeoutMs: 30_000,
  });
  servers.push(server);
  return {
    server,
    port: server.port,
    dir,
    calls: () => readFileSync(callsFile, 'utf8').split('\n').length - 1,
  };
}

interface Reply {
  readonly status: number;
  /** The head as sent, `Name: value` in order (Date and Node's Connection/Keep-Alive left out). */
  readonly head: readonly string[];
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
}

const NODE_HEADERS = new Set(['date', 'connection', 'keep-alive']);

/** One GET on a fresh connection; `closed` when the server closed it without a response. */
function fetchRaw(
  port: number,
  path: string,
  headers: Record<string, string> = {},
): Promise<Reply | 'closed'> {
  return new Promise((resolve, reject) => {
    const req = http.get(
      { host: '127.0.0.1', port, path, headers, agent: false, signal: AbortSignal.timeout(10_000) },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('error', reject);
        res.on('end', () => {
          const head: string[] = [];
          for (let i = 0; i < res.rawHeaders.length; i += 2) {
            const name = res.rawHeaders[i] as string;
            if (!NODE_HEADERS.has(name.toLowerCase())) head.push(`${name}: ${res.rawHeaders[i + 1]}`);
          }
          resolve({ status: res.statusCode ?? 0, head, headers: res.headers, body: Buffer.concat(chunks) });
        });
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNRESET' || err.message === 'socket hang up') resolve('closed');
      else reject(err);
    });
  });
}

async function get(port: number, path: string, headers: Record<string, string> = {}): Promise<Reply> {
  const reply = await fetchRaw(port, path, headers);
  assert.notEqual(reply, 'closed', `GET ${path}: the server closed the connection without a response`);
  return reply as Reply;
}

const basic = (creds: string) => ({ Authorization: `Basic ${Buffer.from(creds).toString('base64')}` });

/** The HTTP date `seconds` from now is within 2 s of `value`. */
function assertExpiresIn(value: string | undefined, seconds: number, what: string): void {
  assert.ok(value !== undefined, `${what}: an Expires header`);
  assert.match(
    value,
    /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/,
    `${what}: an HTTP date`,
  );
  const delta = Date.parse(value) / 1000 - (Date.now() / 1000 + seconds);
  assert.ok(
    Math.abs(delta) <= 2,
    `${what}: Expires ${value} is now + ${seconds} s (off by ${delta.toFixed(1)} s)`,
  );
}

/** The first request reaches the app (its headers, one call), the second is the cached body. */
async function missThenHit(k: Kitchen, path: string, headers: Record<string, string> = {}) {
  const before = k.calls();
  const first = await get(k.port, path, headers);
  assert.equal(first.status, 200, `${path}: first request`);
  assert.equal(first.headers['x-calls'], String(before + 1), `${path}: the first request reached the app`);
  assert.equal(k.calls(), before + 1);
  const second = await get(k.port, path, headers);
  assert.equal(second.status, 200, `${path}: second request`);
  assert.equal(k.calls(), before + 1, `${path}: the second request did not reach the app`);
  assert.equal(second.headers['x-calls'], undefined, `${path}: no app header on a cached reply`);
  assert.deepEqual(second.body, first.body, `${path}: the cached body is the app's`);
  return { first, second };
}

describe("Let's start and the first recipe", () => {
  it('without cachestore every request reaches the app ("Sadly nothing will change")', async () => {
    for (const recipe of ['00-lets-start.ini', '01-first-recipe-cache-only.ini']) {
      const k = await cook(recipe);
      for (let i = 1; i <= 3; i++) {
        const r = await get(k.port, '/');
        assert.equal(r.body.toString(), 'Hello World!');
        assert.equal(r.headers['x-calls'], String(i), `${recipe}: request ${i} reached the app`);
      }
      await k.server.close();
    }
  });

  it('cache + cachestore: the second request for / is the cached body, text/html, 12 bytes, app -1 in the log', async () => {
    const k = await cook('02-first-recipe.ini');
    const { first, second } = await missThenHit(k, '/');
    assert.ok(first.head.includes('X-Powered-By: Perl Dancer 1.3112'));
    // "You will note less headers too": only the body is cached
    assert.deepEqual(second.head, ['Content-Type: text/html', 'Content-Length: 12']);
    assert.equal(second.body.toString(), 'Hello World!');
    // every worker shares the cache: more requests, still one call
    for (let i = 0; i < 6; i++) assert.equal((await get(k.port, '/')).body.toString(), 'Hello World!');
    assert.equal(k.calls(), 1);
    // only / is cached
    await get(k.port, '/other');
    await get(k.port, '/other');
    assert.equal(k.calls(), 3);
    // "The log line reports -1 as the app id", the body's size, and micros (log-micros)
    await k.server.waitFor(
      /\[pid: \d+\|app: -1\|req: -1\/\d+\] .* GET \/ => generated 12 bytes in \d+ micros \(HTTP\/1\.1 200\)/,
    );
    await k.server.close();
  });
});

describe('Cache them all !!!', () => {
  it('images get their mime type, stylesheets text/css, the rest text/html; all from one cache', async () => {
    const k = await cook('03-cache-them-all.ini');
    const img = await missThenHit(k, '/img/logo.png');
    assert.deepEqual(img.second.head, [
      'Content-Type: image/png',
      `Content-Length: ${img.first.body.length}`,
    ]);
    const svg = await missThenHit(k, '/img/icons/arrow.svg');
    assert.equal(svg.second.headers['content-type'], 'image/svg+xml', 'mime=1 follows the key extension');
    const css = await missThenHit(k, '/css/site.css');
    assert.deepEqual(css.second.head, ['Content-Type: text/css', `Content-Length: ${css.first.body.length}`]);
    const page = await missThenHit(k, '/about');
    assert.deepEqual(page.second.head, [
      'Content-Type: text/html',
      `Content-Length: ${page.first.body.length}`,
    ]);
    // REQUEST_URI is the key: another query string is another item
    const q = await missThenHit(k, '/about?lang=it');
    assert.notDeepEqual(q.first.body, page.first.body);
    assert.equal(k.calls(), 5);
    await k.server.close();
  });
});

/** The stats document's caches: name -> items. */
async function cacheItems(socketPath: string): Promise<Record<string, number>> {
  const text = await new Promise<string>((resolve, reject) => {
    let out = '';
    const s = net.connect(socketPath);
    s.setEncoding('utf8');
    s.on('data', (d: string) => {
      out += d;
    });
    s.on('end', () => resolve(out));
    s.on('error', reject);
  });
  const doc = JSON.parse(text) as { caches?: { name: string; items: number }[] };
  return Object.fromEntries((doc.caches ?? []).map((c) => [c.name, c.items]));
}

describe('Multiple caches', () => {
  it('images and stylesheets land in their own caches too; a big image only fits the bitmap cache', async () => {
    const k = await cook('04-multiple-caches.ini');
    const stats = join(k.dir, 'stats.sock');
    const img = await missThenHit(k, '/img/logo.png');
    assert.equal(img.second.headers['content-type'], 'image/png');
    const css = await missThenHit(k, '/css/site.css');
    assert.equal(css.second.headers['content-type'], 'text/css');
    const page = await missThenHit(k, '/index.html');
    assert.equal(page.second.headers['content-type'], 'text/html');
    // "every matched 'cachestore' will overwrite the previous one": mycache has them all
    assert.deepEqual(await cacheItems(stats), { mycache: 3, images: 1, stylesheets: 1 });
    // over 64 KiB: mycache (64 KiB items) refuses it, the bitmap cache of 100 blocks takes it
    const big = await missThenHit(k, '/img/big.png');
    assert.ok(big.first.body.length > 65536);
    assert.deepEqual(big.second.head, [
      'Content-Type: image/png',
      `Content-Length: ${big.first.body.length}`,
    ]);
    assert.deepEqual(await cacheItems(stats), { mycache: 3, images: 2, stylesheets: 1 });
    // a stylesheet outside /css/ is only in mycache: the fallback rule serves it, as text/html
    const loose = await missThenHit(k, '/print.css');
    assert.equal(loose.second.headers['content-type'], 'text/html');
    await k.server.close();
  });
});

describe('Being more aggressive, the Expires HTTP header', () => {
  it('a hit of an item stored with expires= says when it expires: 1 hour for images and css, 1 minute for html', async () => {
    const k = await cook('05-expires.ini');
    const img = await missThenHit(k, '/img/logo.png');
    assert.equal(img.first.headers.expires, undefined, 'the app reply has no Expires');
    assert.deepEqual(
      img.second.head.map((h) => h.split(':')[0]),
      ['Content-Type', 'Expires', 'Content-Length'],
      'the order uWSGI 2.0.21 sends',
    );
    assertExpiresIn(img.second.headers.expires, 3600, 'image');
    const css = await missThenHit(k, '/css/site.css');
    assert.equal(css.second.headers['content-type'], 'text/css');
    assertExpiresIn(css.second.headers.expires, 3600, 'stylesheet');
    const page = await missThenHit(k, '/');
    assert.equal(page.second.headers['content-type'], 'text/html');
    assertExpiresIn(page.second.headers.expires, 60, 'page');
    await k.server.close();
  });
});

describe('Storing GZIP variant of an object', () => {
  it('gzip clients get the gzip copy (Content-Encoding: gzip), the others the clean one', async () => {
    const k = await cook('06-gzip-variant.ini');
    const gz = { 'Accept-Encoding': 'gzip, deflate' };
    // nothing cached yet: a gzip client reaches the app too, which fills both items
    const first = await get(k.port, '/', gz);
    assert.equal(first.headers['x-calls'], '1');
    assert.equal(first.body.toString(), 'Hello World!');
    const zipped = await get(k.port, '/', gz);
    assert.equal(k.calls(), 1, 'the gzip copy came from the cache');
    assert.deepEqual(zipped.head, [
      'Content-Type: text/html',
      'Content-Encoding: gzip',
      `Content-Length: ${zipped.body.length}`,
    ]);
    assert.equal(gunzipSync(zipped.body).toString(), 'Hello World!');
    const clean = await get(k.port, '/');
    assert.equal(k.calls(), 1, 'the clean copy came from the cache');
    assert.deepEqual(clean.head, ['Content-Type: text/html', 'Content-Length: 12']);
    assert.equal(clean.body.toString(), 'Hello World!');
    // as printed, the gzip rule has no path test: uWSGI 2.0.21 also gives a gzip client the home
    // page for any path once it is cached
    const other = await get(k.port, '/other', gz);
    assert.equal(gunzipSync(other.body).toString(), 'Hello World!');
    const plainOther = await get(k.port, '/other');
    assert.equal(plainOther.headers['x-calls'], '2');
    await k.server.close();
  });
});

/** The test's stand-in for /usr/share/doc/socat: two html pages and a file the glob skips. */
function socatDocs(dir: string): void {
  mkdirSync(join(dir, 'doc', 'socat'), { recursive: true });
  writeFileSync(join(dir, 'doc', 'socat', 'index.html'), '<h1>socat</h1>\n');
  writeFileSync(
    join(dir, 'doc', 'socat', 'socat.html'),
    `<h1>man socat</h1>\n${'<p>options</p>\n'.repeat(2000)}`,
  );
  writeFileSync(join(dir, 'doc', 'socat', 'README'), 'not html\n');
}

const docPath = (k: Kitchen, name: string) => join(k.dir, 'doc', 'socat', name);

describe('Storing static files in the cache for fast serving', () => {
  it('load-file-in-cache: the file is served by its path, a missing item reaches notfound (404)', async () => {
    const k = await cook('07-static-load-file.ini', socatDocs);
    await k.server.waitFor(/\[cache\] stored ".*\/doc\/socat\/index\.html" in "files"/);
    const index = docPath(k, 'index.html');
    const hit = await get(k.port, index);
    assert.deepEqual(hit.head, ['Content-Type: text/html', 'Content-Length: 15']);
    assert.equal(hit.body.toString(), '<h1>socat</h1>\n');
    const miss = await get(k.port, docPath(k, 'socat.html'));
    assert.equal(miss.status, 404);
    assert.equal(miss.body.toString(), 'Not Found');
    await k.server.close();
  });

  it('for-glob + %(_) + endfor: every html file is in the cache (no app: a miss gets no page)', async () => {
    const k = await cook('08-static-for-glob.ini', socatDocs);
    for (const name of ['index.html', 'socat.html']) {
      const r = await get(k.port, docPath(k, name));
      assert.equal(r.status, 200);
      assert.equal(r.headers['content-type'], 'text/html');
      assert.equal(r.body.toString(), readFileSync(docPath(k, name), 'utf8'));
    }
    // a miss: uWSGI 2.0.21 closes the connection ("-- unavailable modifier requested: 0 --");
    // uwsgi-ts has no request plugin to miss: its dispatcher finds no app and answers 500, as
    // uWSGI's Python plugin does without an app (README "Internal routing")
    const miss = await get(k.port, docPath(k, 'README'));
    assert.equal(miss.status, 500);
    await k.server.waitFor(/--- no JS application found for GET \S+\/README/);
    await k.server.close();
  });

  it('for-glob with notfound: html files hit, the rest is a 404', async () => {
    const k = await cook('09-static-for-glob-notfound.ini', socatDocs);
    const page = await get(k.port, docPath(k, 'socat.html'));
    assert.equal(page.status, 200);
    assert.equal(Number(page.headers['content-length']), readFileSync(docPath(k, 'socat.html')).length);
    assert.equal((await get(k.port, docPath(k, 'README'))).status, 404);
    assert.equal((await get(k.port, '/nope')).status, 404);
    await k.server.close();
  });

  it('load-file-in-cache-gzip in a second cache: gzip clients get it compressed, the others clean', async () => {
    const k = await cook('10-static-gzip.ini', socatDocs);
    await k.server.waitFor(/\[cache-gzip\] stored ".*\/doc\/socat\/socat\.html" in "compressedfiles"/);
    const path = docPath(k, 'socat.html');
    const text = readFileSync(path, 'utf8');
    const zipped = await get(k.port, path, { 'Accept-Encoding': 'gzip' });
    assert.deepEqual(zipped.head, [
      'Content-Type: text/html',
      'Content-Encoding: gzip',
      `Content-Length: ${zipped.body.length}`,
    ]);
    assert.ok(zipped.body.length < text.length, 'stored compressed');
    assert.equal(gunzipSync(zipped.body).toString(), text);
    const clean = await get(k.port, path);
    assert.deepEqual(clean.head, ['Content-Type: text/html', `Content-Length: ${Buffer.byteLength(text)}`]);
    assert.equal(clean.body.toString(), text);
    assert.equal((await get(k.port, docPath(k, 'README'), { 'Accept-Encoding': 'gzip' })).status, 404);
    await k.server.close();
  });
});

describe('Caching for authenticated users', () => {
  it('${REMOTE_USER}: each user has their own cached page, from basic auth or from the front-end', async () => {
    const k = await cook('11-auth-remote-user.ini');
    const alice = await missThenHit(k, '/', basic('alice:alicepw'));
    assert.equal(alice.second.body.toString(), 'Hello World! alice');
    assert.deepEqual(alice.second.head, ['Content-Type: text/html', 'Content-Length: 18']);
    const bob = await missThenHit(k, '/', basic('bob:bobpw'));
    assert.equal(bob.second.body.toString(), 'Hello World! bob');
    assert.equal((await get(k.port, '/', basic('alice:alicepw'))).body.toString(), 'Hello World! alice');
    assert.equal(k.calls(), 2);
    // nobody, or a wrong password: basic auth answers 401 before the cache rules
    for (const h of [{}, basic('alice:bobpw'), basic('mallory:x')]) {
      const r = await get(k.port, '/', h);
      assert.equal(r.status, 401);
      assert.equal(r.headers['www-authenticate'], 'Basic realm="cookbook"');
    }
    // a user named by the front-end (nginx's uwsgi_param REMOTE_USER) passes the basicauth rules
    const uwsgiPort = k.server.ports[1] ?? 0;
    const viaNginx = async () =>
      parseResponse(
        (await exchange(uwsgiPort, uwsgiRequestBytes({ path: '/', vars: { REMOTE_USER: 'carol' } }))).bytes,
      );
    const carol1 = await viaNginx();
    assert.equal(carol1.status, 200);
    assert.equal(carol1.body, 'Hello World! carol');
    assert.equal(k.calls(), 3);
    const carol2 = await viaNginx();
    assert.equal(carol2.body, 'Hello World! carol');
    assert.equal(k.calls(), 3, "carol's second page came from the cache");
    // no user from there either: the basicauth rules answer 401 (`route-run = break:` is only for
    // a front-end that lets anonymous requests through without these rules)
    const anonymous = parseResponse((await exchange(uwsgiPort, uwsgiRequestBytes({ path: '/' }))).bytes);
    assert.equal(anonymous.status, 401);
    assert.equal(k.calls(), 3);
    await k.server.close();
  });

  it('${cookie[PHPSESSID]}: one cached page per session; no session cookie, no answer (break:)', async () => {
    const k = await cook('12-auth-cookie.ini');
    const abc = await missThenHit(k, '/', { Cookie: 'lang=it; PHPSESSID=abc123' });
    assert.match(abc.second.body.toString(), /for session abc123, call 1/);
    assert.deepEqual(abc.second.head, [
      'Content-Type: text/html',
      `Content-Length: ${abc.first.body.length}`,
    ]);
    const def = await missThenHit(k, '/', { Cookie: 'PHPSESSID=def456' });
    assert.match(def.second.body.toString(), /for session def456, call 2/);
    // only / is cached for a session
    await get(k.port, '/account', { Cookie: 'PHPSESSID=abc123' });
    await get(k.port, '/account', { Cookie: 'PHPSESSID=abc123' });
    assert.equal(k.calls(), 4);
    // as printed, `route-run = break:` closes the request of a visitor without the cookie (uWSGI
    // 2.0.21 too: an empty reply); `last:` would send them to the app
    assert.equal(await fetchRaw(k.port, '/'), 'closed');
    assert.equal(await fetchRaw(k.port, '/', { Cookie: 'PHPSESSID=' }), 'closed');
    assert.equal(k.calls(), 4);
    await k.server.close();
  });

  it('the session file check: a forged session id gets nothing and fills no cache item', async () => {
    const k = await cook('13-auth-cookie-session-file.ini', (dir) => {
      mkdirSync(join(dir, 'sessions'));
      writeFileSync(join(dir, 'sessions', 'sess_abc123'), 'user|s:5:"alice";');
    });
    await missThenHit(k, '/', { Cookie: 'PHPSESSID=abc123' });
    assert.equal(await fetchRaw(k.port, '/', { Cookie: 'PHPSESSID=forged' }), 'closed');
    assert.equal(await fetchRaw(k.port, '/', { Cookie: 'PHPSESSID=../sessions/sess_abc123' }), 'closed');
    assert.equal(k.calls(), 1);
    // a session that starts later is cached from then on
    writeFileSync(join(k.dir, 'sessions', 'sess_def456'), '');
    await missThenHit(k, '/', { Cookie: 'PHPSESSID=def456' });
    assert.equal(k.calls(), 2);
    await k.server.close();
  });
});

describe('Caching to files', () => {
  it('as printed (`tofile:PATH`) the config is refused at start-up, as uWSGI 2.0.21 refuses it', async () => {
    const { dir, ini } = prepare('14-tofile-as-printed.ini');
    const r = await runCli([ini], { cwd: dir, timeoutMs: 15_000 });
    assert.notEqual(r.code, 0);
    assert.match(r.stdout + r.stderr, /invalid tofile route syntax, you need to specify a filename/);
  });

  it('tofile:filename= stores the response in ${hex[PATH_INFO]}.html, then static: serves that file', async () => {
    const k = await cook('15-tofile.ini', (dir) => mkdirSync(join(dir, 'cache')));
    const first = await get(k.port, '/blog/post-1');
    assert.equal(first.headers['x-calls'], '1');
    // PATH_INFO in hexadecimal (upper case, as uWSGI's hex[]): no slash in the file name
    const file = join(k.dir, 'cache', `${Buffer.from('/blog/post-1').toString('hex').toUpperCase()}.html`);
    assert.deepEqual(readFileSync(file), first.body, 'the response was written to its file');
    const second = await get(k.port, '/blog/post-1');
    assert.equal(k.calls(), 1, 'the second request was the file');
    assert.deepEqual(second.body, first.body);
    assert.equal(second.headers['x-calls'], undefined);
    // the head of static: as uWSGI 2.0.21 sends it here (no mime type without a mime-file line)
    assert.deepEqual(
      second.head.map((h) => h.split(':')[0]),
      ['Content-Length', 'Last-Modified'],
    );
    assert.equal(Number(second.headers['content-length']), first.body.length);
    // another path, another file
    await missThenHit(k, '/');
    assert.equal(readFileSync(join(k.dir, 'cache', '2F.html'), 'utf8'), 'Hello World!');
    await k.server.close();
  });
});
