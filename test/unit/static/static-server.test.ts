// The StaticServer in-process behind a real node:http server on loopback: the contract the
// routing offloads use (serveStatic for `static:`, serveFile for `file:`/`sendfile:`/`fastfile:`,
// mimeType for `${mime[..]}`), and intercept()'s fall-through to the app. What 2.0.21 answers for
// the same actions is in test/fixtures/routing/recorded/static-*.json.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { NO_STATIC, type StaticPlan } from '../../../src/static/static-plan.js';
import { StaticServer, staticFiles } from '../../../src/static/static-server.js';
import { buildStaticTree, SECRET } from '../../fixtures/static/static-kit.js';

let base = '';
before(() => {
  base = mkdtempSync(join(tmpdir(), 'uwsgi-ts-static-unit-'));
  buildStaticTree(base);
});
after(() => rmSync(base, { recursive: true, force: true }));

type Handler = (files: StaticServer, req: http.IncomingMessage, res: http.ServerResponse) => void;

interface Reply {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly raw: string[];
  readonly body: string;
}

/** Serves one request with `handler` on a throwaway loopback server. */
async function serve(
  plan: StaticPlan,
  handler: Handler,
  path: string,
  options: { method?: string; headers?: Record<string, string> } = {},
): Promise<{ reply: Reply; logged: string[] }> {
  const logged: string[] = [];
  const files = new StaticServer(plan, (l) => logged.push(l));
  const server = http.createServer((req, res) => handler(files, req, res));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    const { port } = server.address() as AddressInfo;
    const reply = await new Promise<Reply>((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port,
          path,
          method: options.method ?? 'GET',
          headers: options.headers,
          agent: false,
        },
        (res) => {
          let body = '';
          res.setEncoding('latin1');
          res.on('data', (d: string) => {
            body += d;
          });
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, headers: res.headers, raw: res.rawHeaders, body }),
          );
        },
      );
      req.setTimeout(5000, () => req.destroy(new Error('timed out')));
      req.on('error', reject);
      req.end();
    });
    return { reply, logged };
  } finally {
    server.closeAllConnections();
    server.close();
  }
}

const names = (raw: string[]) =>
  raw
    .filter((_, i) => i % 2 === 0)
    .filter((n) => !['Date', 'Connection', 'Keep-Alive', 'Transfer-Encoding'].includes(n));

/** Answers `verdict` in a header when the server did not answer (what the routing side would do). */
function action(
  call: (files: StaticServer, req: http.IncomingMessage, res: http.ServerResponse) => string,
): Handler {
  return (files, req, res) => {
    const verdict = call(files, req, res);
    if (verdict !== 'served') {
      res.writeHead(599, { 'X-Verdict': verdict });
      res.end();
    }
  };
}

describe('serveStatic: the `static:` route action', () => {
  const www = () => join(base, 'www');

  it('serves a file with uWSGI headers (no Content-Type without a mime dictionary)', async () => {
    const { reply } = await serve(
      NO_STATIC,
      action((f, q, s) => f.serveStatic(q, s, join(www(), 'hello.txt'))),
      '/',
    );
    assert.equal(reply.status, 200);
    assert.deepEqual(names(reply.raw), ['Content-Length', 'Last-Modified']);
    assert.equal(reply.body, 'hello static\n');
    assert.equal(reply.headers['last-modified'], 'Tue, 01 Jun 2021 12:00:00 GMT');
  });

  it('with a dictionary: Content-Type; honour-range and If-Modified-Since apply; a directory gets its index', async () => {
    const plan: StaticPlan = {
      ...NO_STATIC,
      mimeFiles: ['/etc/mime.types'],
      honourRange: true,
      index: ['index.html'],
    };
    const css = await serve(
      plan,
      action((f, q, s) => f.serveStatic(q, s, join(www(), 'style.css'))),
      '/',
    );
    assert.equal(css.reply.headers['content-type'], 'text/css');
    const range = await serve(
      plan,
      action((f, q, s) => f.serveStatic(q, s, join(www(), 'hello.txt'))),
      '/',
      {
        headers: { range: 'bytes=0-4' },
      },
    );
    assert.equal(range.reply.status, 206);
    assert.equal(range.reply.body, 'hello');
    const ims = await serve(
      plan,
      action((f, q, s) => f.serveStatic(q, s, join(www(), 'hello.txt'))),
      '/',
      {
        headers: { 'if-modified-since': 'Tue, 01 Jun 2021 12:00:00 GMT' },
      },
    );
    assert.equal(ims.reply.status, 304);
    const dir = await serve(
      plan,
      action((f, q, s) => f.serveStatic(q, s, join(www(), 'sub'))),
      '/',
    );
    assert.equal(dir.reply.body, '<h1>idx</h1>\n');
  });

  it('missing, a directory without index, POST: "missing" and nothing sent', async () => {
    for (const [path, method] of [
      ['missing.txt', 'GET'],
      ['emptydir', 'GET'],
      ['hello.txt', 'POST'],
    ] as const) {
      const { reply } = await serve(
        NO_STATIC,
        action((f, q, s) => f.serveStatic(q, s, join(www(), path))),
        '/',
        {
          method,
        },
      );
      assert.equal(reply.headers['x-verdict'], 'missing', `${method} ${path}`);
    }
  });

  it('a symlink, a relative path or `..` is refused unless under static-safe, as 2.0.21', async () => {
    for (const path of [
      join(www(), 'leak.txt'),
      join(www(), 'inlink.txt'),
      relative(process.cwd(), join(www(), 'hello.txt')),
      `${www()}/../secret.txt`,
    ]) {
      const { reply, logged } = await serve(
        NO_STATIC,
        action((f, q, s) => f.serveStatic(q, s, path)),
        '/',
      );
      assert.equal(reply.headers['x-verdict'], 'refused', path);
      assert.doesNotMatch(reply.body, new RegExp(SECRET));
      assert.match(logged.join(''), /\[uwsgi-fileserve\] security error: .* is not under .* or a safe path/);
    }
    const safe = { ...NO_STATIC, safe: [join(base, 'private')] };
    const { reply } = await serve(
      safe,
      action((f, q, s) => f.serveStatic(q, s, join(www(), 'plink.txt'))),
      '/',
    );
    assert.equal(reply.status, 200);
  });

  it('file-serve-mode x-sendfile names the real path instead of sending it', async () => {
    const plan: StaticPlan = { ...NO_STATIC, serveMode: 'x-sendfile' };
    const { reply } = await serve(
      plan,
      action((f, q, s) => f.serveStatic(q, s, join(www(), 'hello.txt'))),
      '/',
    );
    assert.equal(reply.status, 200);
    assert.equal(reply.headers['x-sendfile'], join(www(), 'hello.txt'));
    assert.equal(reply.body, '');
  });
});

describe('serveFile: the `file:`/`sendfile:`/`fastfile:` route actions', () => {
  const www = () => join(base, 'www');

  it('status, Content-Length then Content-Type (text/html unless told), any method', async () => {
    const plain = await serve(
      NO_STATIC,
      action((f, q, s) => f.serveFile(q, s, join(www(), 'hello.txt'))),
      '/',
      {
        method: 'POST',
      },
    );
    assert.equal(plain.reply.status, 200);
    assert.deepEqual(names(plain.reply.raw), ['Content-Length', 'Content-Type']);
    assert.equal(plain.reply.headers['content-type'], 'text/html');
    assert.equal(plain.reply.body, 'hello static\n');
    const typed = await serve(
      NO_STATIC,
      action((f, q, s) =>
        f.serveFile(q, s, join(www(), 'data.json'), { status: 203, contentType: 'application/json' }),
      ),
      '/',
    );
    assert.equal(typed.reply.status, 203);
    assert.equal(typed.reply.headers['content-type'], 'application/json');
  });

  it('mime=1 uses the dictionary only when there is one; no_cl drops Content-Length; missing sends nothing', async () => {
    const noDict = await serve(
      NO_STATIC,
      action((f, q, s) => f.serveFile(q, s, join(www(), 'style.css'), { mime: true })),
      '/',
    );
    assert.equal(noDict.reply.headers['content-type'], 'text/html');
    const dict = { ...NO_STATIC, mimeFiles: ['/etc/mime.types'] };
    const withDict = await serve(
      dict,
      action((f, q, s) => f.serveFile(q, s, join(www(), 'style.css'), { mime: true })),
      '/',
    );
    assert.equal(withDict.reply.headers['content-type'], 'text/css');
    const noCl = await serve(
      NO_STATIC,
      action((f, q, s) => f.serveFile(q, s, join(www(), 'hello.txt'), { contentLength: false })),
      '/',
    );
    assert.equal(noCl.reply.headers['content-length'], undefined);
    assert.equal(noCl.reply.body, 'hello static\n');
    const missing = await serve(
      NO_STATIC,
      action((f, q, s) => f.serveFile(q, s, join(www(), 'nope'))),
      '/',
    );
    assert.equal(missing.reply.headers['x-verdict'], 'missing');
  });
});

describe('intercept and the shared instance', () => {
  it('a cached file that changes, or becomes a symlink out of the root, is looked at again', async () => {
    const dir = join(base, 'changing');
    mkdirSync(dir);
    const path = join(dir, 'f.txt');
    writeFileSync(path, 'one\n');
    const plan: StaticPlan = { ...NO_STATIC, checkStatic: [dir] };
    const files = new StaticServer(plan, () => {});
    const handler: Handler = (_f, req, res) => {
      if (!files.intercept(req, res)) res.end('APP');
    };
    assert.equal((await serve(plan, handler, '/f.txt')).reply.body, 'one\n');
    assert.equal((await serve(plan, handler, '/f.txt')).reply.body, 'one\n');
    writeFileSync(path, 'two, longer\n');
    assert.equal((await serve(plan, handler, '/f.txt')).reply.body, 'two, longer\n');
    rmSync(path);
    symlinkSync(join(base, 'secret.txt'), path);
    const out = await serve(plan, handler, '/f.txt');
    assert.equal(out.reply.status, 403);
    assert.doesNotMatch(out.reply.body, new RegExp(SECRET));
  });

  it('falls through (false) for what is not a static file, answers what is', async () => {
    const plan: StaticPlan = {
      ...NO_STATIC,
      checkStatic: [join(base, 'www')],
      mimeFiles: ['/etc/mime.types'],
    };
    const handler: Handler = (files, req, res) => {
      if (files.intercept(req, res)) return;
      res.end('APP');
    };
    assert.equal((await serve(plan, handler, '/hello.txt')).reply.body, 'hello static\n');
    assert.equal((await serve(plan, handler, '/nothing')).reply.body, 'APP');
    assert.equal((await serve(plan, handler, '/hello.txt', { method: 'DELETE' })).reply.body, 'APP');
    const refused = await serve(plan, handler, '/%2e%2e/secret.txt');
    assert.equal(refused.reply.status, 403);
    assert.match(refused.logged.join(''), /ERR_STATIC_TRAVERSAL/);
  });

  it('mimeType is undefined without a dictionary; one instance per plan', () => {
    const log = () => {};
    assert.equal(new StaticServer(NO_STATIC, log).mimeType('/a.css'), undefined);
    assert.equal(
      new StaticServer({ ...NO_STATIC, mimeFiles: ['/etc/mime.types'] }, log).mimeType('/a.css'),
      'text/css',
    );
    const plan = {};
    assert.equal(staticFiles(plan, log), staticFiles(plan, log));
    assert.equal(staticFiles(plan, log).intercepts, false);
  });
});
