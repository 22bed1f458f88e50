// Socket forms beyond host:port (reference §2 ADDR): abstract @name, shared-socket with `=N`,
// IPv6, logto, and the in-use check on unix sockets. Each starts the real CLI.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempFiles } from '../helpers/cli.js';
import { startServer } from '../helpers/server.js';

const HELLO = 'test/fixtures/apps/hello.mjs';

function get(options: http.RequestOptions): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { path: '/', agent: false, signal: AbortSignal.timeout(5000), ...options },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          body += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

test('an abstract unix socket (@name) serves', { timeout: 20_000 }, async (t) => {
  const name = `uwsgi-ts-test-${process.pid}-${Date.now()}`;
  const server = await startServer(['--master', '--http-socket', `@${name}`, '--app', HELLO]);
  t.after(() => server.close());
  assert.match(server.log(), new RegExp(`uwsgi socket 0 bound to UNIX address @${name} fd`));
  const reply = await get({ socketPath: `\0${name}` });
  assert.equal(reply.status, 200);
  assert.equal(reply.body, 'Hello World');
});

test('shared-socket is bound first and used through =0', { timeout: 20_000 }, async (t) => {
  const server = await startServer([
    '--master',
    '--shared-socket',
    '127.0.0.1:0',
    '--http-socket',
    '=0',
    '--app',
    HELLO,
  ]);
  t.after(() => server.close());
  const shared = /uwsgi shared socket 0 bound to TCP address 127\.0\.0\.1:(\d+) fd/.exec(server.log());
  assert.ok(shared, server.log());
  assert.match(server.log(), /uwsgi socket 0 inherited TCP address 127\.0\.0\.1:\d+ fd/);
  const reply = await get({ host: '127.0.0.1', port: Number(shared[1]) });
  assert.equal(reply.body, 'Hello World');
});

test('IPv6 [::1]:0 serves', { timeout: 20_000 }, async (t) => {
  const server = await startServer(['--master', '--http-socket', '[::1]:0', '--app', HELLO], {
    noWait: true,
  });
  t.after(() => server.close());
  try {
    await server.waitFor(/all workers ready/, 15_000);
  } catch {
    if (/EADDRNOTAVAIL|EAFNOSUPPORT/.test(server.log())) return t.skip('no IPv6 loopback here');
    throw new Error(server.log());
  }
  const port = Number(/bound to TCP address \[::1\]:(\d+) fd/.exec(server.log())?.[1]);
  const reply = await get({ host: '::1', port });
  assert.equal(reply.body, 'Hello World');
});

test('logto sends the master and worker logs, request lines included, to the file', {
  timeout: 20_000,
}, async (t) => {
  const tmp = tempFiles({});
  t.after(tmp.cleanup);
  const log = join(tmp.dir, 'uwsgi.log');
  const server = await startServer(
    ['--master', '--http-socket', '127.0.0.1:0', '--app', HELLO, '--logto', log],
    {
      noWait: true,
    },
  );
  t.after(() => server.close());
  for (let i = 0; i < 100 && !/all workers ready/.test(readIfExists(log)); i++) await sleep(100);
  const port = Number(/bound to TCP address 127\.0\.0\.1:(\d+) fd/.exec(readIfExists(log))?.[1]);
  assert.ok(port > 0, readIfExists(log));
  await get({ host: '127.0.0.1', port, path: '/logged' });
  for (let i = 0; i < 50 && !/GET \/logged =>/.test(readIfExists(log)); i++) await sleep(100);
  assert.match(
    readIfExists(log),
    /\[pid: \d+\|app: 0\|req: 1\/1\] 127\.0\.0\.1 \(\) .* GET \/logged => generated 11 bytes/,
  );
  assert.doesNotMatch(server.log(), /GET \/logged/, 'nothing on stderr');
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function readIfExists(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

test('chown-socket gives the unix socket to the named user and group (as root)', {
  timeout: 20_000,
}, async (t) => {
  if (process.getuid?.() !== 0) return t.skip('needs root');
  const tmp = tempFiles({});
  t.after(tmp.cleanup);
  const path = join(tmp.dir, 'owned.sock');
  const server = await startServer([
    '--master',
    '--http-socket',
    path,
    '--chown-socket',
    'nobody:nogroup',
    '--app',
    HELLO,
  ]);
  t.after(() => server.close());
  const { statSync } = await import('node:fs');
  const st = statSync(path);
  assert.equal(st.uid, 65534);
  assert.equal(st.gid, 65534);
  assert.equal((await get({ socketPath: path })).body, 'Hello World');
});
