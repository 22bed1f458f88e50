// The server as a user first meets it (issue 3): the seed's hello world on the command line and
// in an ini, apps in every module flavour and both styles with their CGI vars, an app that throws,
// startup errors with their codes, keep-alive and chunked responses, https, unix sockets with
// chmod/vacuum, and uWSGI's request log line. Every case runs the real CLI on loopback.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { existsSync, readFileSync, statSync } from 'node:fs';
import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ownLines, REPO, runCli, tempFiles } from '../helpers/cli.js';
import { type RunningServer, startServer } from '../helpers/server.js';
import { hasOpenssl, makeCert } from '../helpers/tls.js';

const APPS = join(REPO, 'test', 'fixtures', 'apps');
const app = (name: string) => join(APPS, name);

interface Reply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** The request went out on a kept-alive connection. */
  readonly reusedSocket: boolean;
  readonly localPort: number | undefined;
}

interface Target {
  readonly port?: number;
  readonly socketPath?: string;
  readonly agent?: http.Agent;
  readonly tls?: { readonly ca: Buffer };
  readonly headers?: Readonly<Record<string, string>>;
}

/** One GET; rejects after 5 s. */
function get(target: Target, path: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const options: https.RequestOptions = {
      path,
      headers: { ...target.headers },
      agent: target.agent ?? false,
      signal: AbortSignal.timeout(5000),
      ...(target.socketPath ? { socketPath: target.socketPath } : { host: '127.0.0.1', port: target.port }),
      ...(target.tls ? { ca: target.tls.ca, servername: 'localhost' } : {}),
    };
    const req = (target.tls ? https : http).request(options, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        body += d;
      });
      res.on('error', reject);
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body,
          reusedSocket: req.reusedSocket,
          localPort: res.socket?.localPort,
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

/** Sends raw bytes and collects everything until the server closes; rejects after 5 s. */
function rawExchange(port: number, bytes: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const parts: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('no end from the server within 5 s'));
    }, 5000);
    socket.on('data', (d: Buffer) => parts.push(d));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(parts));
    });
    socket.end(bytes);
  });
}

/** The pid of worker `id` from the master's `spawned uWSGI worker N (pid: P, ...)` line. */
async function workerPid(server: RunningServer, id = 1): Promise<number> {
  const m = await server.waitFor(new RegExp(`spawned uWSGI worker ${id} \\(pid: (\\d+)`));
  return Number(m[1]);
}

/** Starts a server that is stopped when the test ends. */
async function serve(
  t: { after(fn: () => Promise<void>): void },
  args: readonly string[],
  options: { cwd?: string } = {},
): Promise<RunningServer> {
  const server = await startServer(args, options);
  t.after(() => server.close());
  return server;
}

// uWSGI's default request line (reference §9), every field captured.
const REQUEST_LINE =
  /^\[pid: (\d+)\|app: (-?\d+)\|req: (-?\d+)\/(\d+)\] (\S+) \(([^)]*)\) \{(\d+) vars in (\d+) bytes\} \[([A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2} \d{4})\] ([A-Z]+) (\S+) => generated (\d+) bytes in (\d+) msecs \((HTTP\/1\.[01]) (\d{3})\) (\d+) headers in (\d+) bytes \((\d+) switches on core (\d+)\)$/m;

describe('seed 004, first example: hello world with 2 processes x 2 threads', () => {
  const cases: ReadonlyArray<{
    readonly name: string;
    readonly files?: Readonly<Record<string, string>>;
    readonly args: readonly string[];
  }> = [
    {
      name: 'from the command line',
      args: [
        '--http-socket',
        '127.0.0.1:0',
        '--app',
        'test/fixtures/apps/wsgi_test.js',
        '--master',
        '--processes',
        '2',
        '--threads',
        '2',
      ],
    },
    {
      name: 'from its ini form (uwsgi-ts ./uwsgi-config.ini)',
      files: {
        'uwsgi-config.ini': `[uwsgi]\nhttp-socket = 127.0.0.1:0\napp = ${app('wsgi_test.js')}\nprocesses = 2\nthreads = 2\nmaster = true\n`,
      },
      args: ['./uwsgi-config.ini'],
    },
  ];
  for (const c of cases) {
    it(c.name, { timeout: 20_000 }, async (t) => {
      let cwd: string | undefined;
      if (c.files) {
        const tmp = tempFiles(c.files);
        t.after(tmp.cleanup);
        cwd = tmp.dir;
      }
      const server = await serve(t, c.args, cwd ? { cwd } : {});
      await server.waitFor(/spawned uWSGI worker 2 \(pid: \d+, cores: 2\)/);
      const reply = await get({ port: server.port }, '/');
      assert.equal(reply.status, 200, server.log());
      assert.equal(reply.body, 'Hello World');
      assert.equal(reply.headers['content-length'], '11');
      assert.equal(reply.headers['content-type'], 'text/plain');
    });
  }
});

describe('apps load without a build step, in every module flavour', () => {
  const cases = [
    { file: 'hello.ts', what: 'TypeScript, fetch style, default export' },
    { file: 'hello.cjs', what: 'CommonJS, Node style, module.exports' },
    { file: 'hello.mjs', what: 'ESM, fetch style, default export' },
    { file: 'wsgi_test.js', what: 'ESM .js, Node style, `application` export' },
  ] as const;
  for (const c of cases) {
    it(`${c.file} (${c.what})`, { timeout: 20_000 }, async (t) => {
      const server = await serve(t, ['--http-socket', '127.0.0.1:0', '--app', app(c.file), '--master']);
      const reply = await get({ port: server.port }, '/');
      assert.equal(reply.status, 200, server.log());
      assert.equal(reply.body, 'Hello World');
    });
  }
});

describe('CGI vars reach both app styles', () => {
  const cases = [
    { style: 'fetch (2nd argument)', file: 'echo-fetch.mjs' },
    { style: 'node (req.env)', file: 'echo.mjs' },
  ] as const;
  for (const c of cases) {
    it(c.style, { timeout: 20_000 }, async (t) => {
      const server = await serve(t, ['--http-socket', '127.0.0.1:0', '--app', app(c.file), '--master']);
      const reply = await get(
        { port: server.port, headers: { 'X-Custom-Thing': 'yes', 'User-Agent': 'uwsgi-ts-test' } },
        '/some/path?a=1&b=two',
      );
      assert.equal(reply.status, 200, server.log());
      const env = (JSON.parse(reply.body) as { env: Record<string, string> }).env;
      assert.equal(env['REQUEST_METHOD'], 'GET');
      assert.equal(env['PATH_INFO'], '/some/path');
      assert.equal(env['QUERY_STRING'], 'a=1&b=two');
      assert.equal(env['REQUEST_URI'], '/some/path?a=1&b=two');
      assert.equal(env['REMOTE_ADDR'], '127.0.0.1');
      assert.match(env['REMOTE_PORT'] ?? '', /^\d+$/);
      assert.equal(env['SERVER_PROTOCOL'], 'HTTP/1.1');
      assert.equal(env['SERVER_PORT'], String(server.port));
      assert.equal(env['SCRIPT_NAME'] ?? '', '');
      assert.equal(env['HTTP_X_CUSTOM_THING'], 'yes');
      assert.equal(env['HTTP_USER_AGENT'], 'uwsgi-ts-test');
      assert.equal(env['HTTP_HOST'], `127.0.0.1:${server.port}`);
      assert.equal(env['UWSGI_SCHEME'], 'http');
    });
  }

  it('an object with a fetch method (Hono shape) keeps its `this` and gets the vars', {
    timeout: 20_000,
  }, async (t) => {
    const server = await serve(t, [
      '--http-socket',
      '127.0.0.1:0',
      '--app',
      app('hono-shape.mjs'),
      '--master',
    ]);
    const hit = await get({ port: server.port }, '/hello?x=1');
    assert.equal(hit.status, 200, server.log());
    assert.equal(hit.body, 'hello from GET /hello');
    const miss = await get({ port: server.port }, '/elsewhere');
    assert.equal(miss.status, 404);
  });
});

describe('an app that throws answers 500, logs the stack, and the same worker serves on', () => {
  const cases = [
    { name: 'Node style, synchronous throw', file: 'probe.mjs', path: '/throw' },
    { name: 'Node style, rejected promise', file: 'probe.mjs', path: '/reject' },
    { name: 'fetch style, throw', file: 'probe-fetch.mjs', path: '/throw' },
  ] as const;
  for (const c of cases) {
    it(c.name, { timeout: 20_000 }, async (t) => {
      const server = await serve(t, [
        '--http-socket',
        '127.0.0.1:0',
        '--app',
        app(c.file),
        '--master',
        '--processes',
        '1',
      ]);
      const pid = await workerPid(server);
      const before = await get({ port: server.port }, '/pid');
      assert.equal(before.body, String(pid));
      const failed = await get({ port: server.port }, c.path);
      assert.equal(failed.status, 500);
      // the stack trace: the error, then a frame in the app's file
      const escaped = c.file.replace('.', '\\.');
      await server.waitFor(new RegExp(`Error: [^\\n]*on purpose\\n\\s+at [^\\n]*${escaped}:\\d+`));
      const after = await get({ port: server.port }, '/pid');
      assert.equal(after.status, 200);
      assert.equal(after.body, String(pid), 'the same worker serves the next request');
      assert.doesNotMatch(server.log(), /DAMN/);
    });
  }
});

describe('startup errors: one coded line, exit 1', () => {
  const appCases = [
    { name: 'an app that throws while loading', file: 'test/fixtures/apps/broken.mjs' },
    { name: 'an app file that does not exist', file: 'test/fixtures/apps/does-not-exist.mjs' },
    { name: 'a module with nothing to call', file: 'test/fixtures/apps/no-handler.mjs' },
  ] as const;
  for (const c of appCases) {
    it(`--need-app with ${c.name}`, { timeout: 20_000 }, async () => {
      const r = await runCli(['--http-socket', '127.0.0.1:0', '--app', c.file, '--master', '--need-app']);
      assert.equal(r.code, 1, r.stderr);
      const coded = ownLines(r.stderr).filter((l) => /\[ERR_APP_(NONE|LOAD)\]$/.test(l));
      assert.equal(coded.length, 1, r.stderr);
      const base = c.file.slice(c.file.lastIndexOf('/') + 1);
      assert.ok(coded[0]?.includes(base), `the coded line names ${base}:\n${r.stderr}`);
    });
  }

  it('a TCP address already in use names the address', { timeout: 20_000 }, async (t) => {
    const holder = net.createServer();
    holder.listen(0, '127.0.0.1');
    await once(holder, 'listening');
    t.after(() => new Promise<void>((resolve) => holder.close(() => resolve())));
    const port = (holder.address() as net.AddressInfo).port;
    const r = await runCli(['--http-socket', `127.0.0.1:${port}`, '--app', app('hello.mjs'), '--master']);
    assert.equal(r.code, 1, r.stderr);
    const coded = ownLines(r.stderr).filter((l) => l.endsWith('[ERR_SOCKET_IN_USE]'));
    assert.equal(coded.length, 1, r.stderr);
    assert.ok(coded[0]?.includes(`127.0.0.1:${port}`), r.stderr);
  });

  it('a unix socket another process serves names the path and is left alone', {
    timeout: 20_000,
  }, async (t) => {
    const tmp = tempFiles({});
    t.after(tmp.cleanup);
    const path = join(tmp.dir, 'taken.sock');
    const holder = net.createServer((s) => {
      s.on('error', () => {}); // uwsgi-ts's probe connects and leaves at once
      s.end('still mine');
    });
    holder.listen(path);
    await once(holder, 'listening');
    t.after(() => new Promise<void>((resolve) => holder.close(() => resolve())));
    const r = await runCli(['--socket', path, '--app', app('hello.mjs'), '--master']);
    assert.equal(r.code, 1, r.stderr);
    const coded = ownLines(r.stderr).filter((l) => l.endsWith('[ERR_SOCKET_IN_USE]'));
    assert.equal(coded.length, 1, r.stderr);
    assert.ok(coded[0]?.includes(path), r.stderr);
    let data = '';
    const client = net.connect(path);
    client.on('data', (d: Buffer) => {
      data += d.toString();
    });
    await once(client, 'end');
    client.destroy();
    assert.equal(data, 'still mine', 'the other process still owns the socket');
  });
});

describe('http11-socket', () => {
  it('keeps the connection alive across two requests', { timeout: 20_000 }, async (t) => {
    const server = await serve(t, ['--http11-socket', '127.0.0.1:0', '--app', app('hello.mjs'), '--master']);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    t.after(() => agent.destroy());
    const first = await get({ port: server.port, agent }, '/one');
    const second = await get({ port: server.port, agent }, '/two');
    assert.equal(first.status, 200);
    assert.equal(second.status, 200);
    assert.equal(second.body, 'Hello World');
    assert.notEqual(first.headers['connection'], 'close');
    assert.equal(second.reusedSocket, true, 'the second request used the first connection');
    assert.equal(second.localPort, first.localPort);
  });

  const streams = [
    { style: 'Node style (res.write)', file: 'probe.mjs', body: 'one\ntwo\nthree\n' },
    {
      style: 'fetch style (ReadableStream)',
      file: 'echo-fetch.mjs',
      body: 'chunk 0\nchunk 1\nchunk 2\nchunk 3\nchunk 4\n',
    },
  ] as const;
  for (const c of streams) {
    it(`answers chunked when the app streams without Content-Length: ${c.style}`, {
      timeout: 20_000,
    }, async (t) => {
      const server = await serve(t, ['--http11-socket', '127.0.0.1:0', '--app', app(c.file), '--master']);
      const reply = await get({ port: server.port }, '/stream');
      assert.equal(reply.status, 200, server.log());
      assert.equal(reply.headers['transfer-encoding'], 'chunked');
      assert.equal(reply.headers['content-length'], undefined);
      assert.equal(reply.body, c.body);
    });
  }
});

describe('https-socket', () => {
  it('serves TLS with a self-signed certificate', {
    timeout: 30_000,
    skip: !hasOpenssl && 'openssl missing',
  }, async (t) => {
    const tmp = tempFiles({});
    t.after(tmp.cleanup);
    const { cert, key } = makeCert(tmp.dir);
    const server = await serve(t, [
      '--https-socket',
      `127.0.0.1:0,${cert},${key}`,
      '--app',
      app('echo.mjs'),
      '--master',
    ]);
    const reply = await get({ port: server.port, tls: { ca: readFileSync(cert) } }, '/secure?q=1');
    assert.equal(reply.status, 200, server.log());
    const env = (JSON.parse(reply.body) as { env: Record<string, string> }).env;
    assert.equal(env['HTTPS'], 'on');
    assert.equal(env['UWSGI_SCHEME'], 'https');
    assert.equal(env['PATH_INFO'], '/secure');
  });
});

describe('unix sockets: chmod-socket and vacuum', () => {
  const stops = [
    { how: 'SIGTERM (graceful stop)', signal: 'SIGTERM' },
    { how: 'SIGINT (immediate stop)', signal: 'SIGINT' },
  ] as const;
  for (const c of stops) {
    it(`mode 0660, and the socket and pidfile are removed after ${c.how}`, { timeout: 20_000 }, async (t) => {
      const tmp = tempFiles({});
      t.after(tmp.cleanup);
      const sock = join(tmp.dir, 'app.sock');
      const pidfile = join(tmp.dir, 'app.pid');
      const server = await serve(t, [
        '--http-socket',
        sock,
        // chmod-socket's value is optional, so (as in uWSGI) it is given with `=`
        '--chmod-socket=660',
        '--vacuum',
        '--pidfile',
        pidfile,
        '--app',
        app('hello.mjs'),
        '--master',
      ]);
      assert.equal(statSync(sock).mode & 0o777, 0o660);
      assert.equal(readFileSync(pidfile, 'utf8').trim(), String(server.pid));
      const reply = await get({ socketPath: sock }, '/');
      assert.equal(reply.body, 'Hello World');
      const exited = once(server.proc, 'exit');
      server.proc.kill(c.signal);
      const [code] = (await exited) as [number | null];
      assert.equal(code, 0, server.log());
      assert.equal(existsSync(sock), false, 'vacuum removed the socket');
      assert.equal(existsSync(pidfile), false, 'vacuum removed the pidfile');
    });
  }
});

describe('request log', () => {
  it("writes uWSGI's default line for every request", { timeout: 20_000 }, async (t) => {
    const server = await serve(t, [
      '--http-socket',
      '127.0.0.1:0',
      '--app',
      app('hello.mjs'),
      '--master',
      '--processes',
      '1',
    ]);
    const pid = await workerPid(server);
    const raw = await rawExchange(
      server.port,
      'GET /log-me?x=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n',
    );
    const text = raw.toString('latin1');
    const headEnd = text.indexOf('\r\n\r\n') + 4;
    assert.ok(headEnd > 4, text);
    const sentHeaders = text.slice(0, headEnd).split('\r\n').length - 3;
    const m = await server.waitFor(REQUEST_LINE);
    const [, linePid, appId, appReqs, total, addr, user, vars, bytes, , method, uri, size, , proto, status] =
      m;
    assert.equal(Number(linePid), pid);
    assert.equal(appId, '0');
    assert.equal(appReqs, '1');
    assert.equal(total, '1');
    assert.equal(addr, '127.0.0.1');
    assert.equal(user, '');
    assert.ok(Number(vars) > 0 && Number(vars) % 2 === 0, `vars count keys+values: ${vars}`);
    assert.ok(Number(bytes) > 0);
    assert.equal(method, 'GET');
    assert.equal(uri, '/log-me?x=1');
    assert.equal(size, '11', 'generated = body bytes');
    assert.equal(proto, 'HTTP/1.1');
    assert.equal(status, '200');
    // uWSGI counts the response head as sent: status line, headers and the blank line
    assert.equal(m[16], String(sentHeaders), 'header count');
    assert.equal(m[17], String(headEnd), 'header bytes');
    assert.equal(m[19], '0', 'core');
  });

  it('--disable-logging writes no request line', { timeout: 20_000 }, async (t) => {
    const server = await serve(t, [
      '--http-socket',
      '127.0.0.1:0',
      '--app',
      app('hello.mjs'),
      '--master',
      '--processes',
      '1',
      '--disable-logging',
    ]);
    const reply = await get({ port: server.port }, '/quiet');
    assert.equal(reply.status, 200);
    // a refused request is still logged: once its line is there, the request above had its turn
    await rawExchange(server.port, 'NOT HTTP AT ALL\r\n\r\n');
    await server.waitFor(/\[ERR_HTTP_BAD_REQUEST\]$/m);
    assert.doesNotMatch(server.log(), /^\[pid: \d+\|app:/m);
  });
});
