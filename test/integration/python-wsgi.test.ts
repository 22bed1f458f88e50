// Python WSGI apps (issue 14 point 1): wsgi-file, module, callable, an exception as a 500 with
// the traceback in the log, PEP 3333's rules seen from a probe app, and request bodies echoed
// byte-identical (1 MB with content-length, 25 MB chunked with wsgi-manage-chunked-input).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { realpathSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { tempFiles } from '../helpers/cli.js';
import { httpGet as get } from '../helpers/http.js';
import { PYTHON_PATH, send } from '../helpers/python.js';
import { startServer } from '../helpers/server.js';

const DIR = 'test/fixtures/python';
const ENV = { PATH: PYTHON_PATH };

async function serve(args: readonly string[]) {
  return startServer(['--http-socket', '127.0.0.1:0', ...args], { env: ENV, timeoutMs: 20_000 });
}

test('--wsgi-file: the seed basic app answers Hello World with its headers', {
  timeout: 30_000,
}, async (t) => {
  const server = await serve(['--wsgi-file', `${DIR}/hello.py`]);
  t.after(() => server.close());
  const reply = await get(server.port, '/');
  assert.equal(reply.status, 200);
  assert.equal(reply.body, 'Hello World');
  assert.equal(reply.headers['content-type'], 'text/plain');
  assert.equal(reply.headers['content-length'], '11');
  await server.waitFor(/WSGI app 0 \(mountpoint=''\) ready in \d+ seconds on pid: \d+ \(default app\)/);
  await server.waitFor(/GET \/ => generated 11 bytes in \d+ msecs \(HTTP\/1\.1 200\)/);
});

test('--module module:callable, --module with --callable, --wsgi-file with --callable', {
  timeout: 40_000,
}, async (t) => {
  const a = await serve(['--pythonpath', DIR, '--module', 'hello:application']);
  t.after(() => a.close());
  assert.equal((await get(a.port, '/')).body, 'Hello World');
  const b = await serve(['--pythonpath', DIR, '-w', 'hello', '--callable', 'app']);
  t.after(() => b.close());
  assert.equal((await get(b.port, '/')).body, 'hello from app');
  const c = await serve(['--wsgi-file', `${DIR}/hello.py`, '--callable', 'app']);
  t.after(() => c.close());
  assert.equal((await get(c.port, '/')).body, 'hello from app');
});

test('an app that does not load stops the worker with the traceback in the log', {
  timeout: 20_000,
}, async (t) => {
  const server = await startServer(
    ['--http-socket', '127.0.0.1:0', '--wsgi-file', `${DIR}/hello.py`, '--callable', 'missing', '--need-app'],
    { env: ENV, noWait: true },
  );
  t.after(() => server.close());
  await server.waitFor(/no callable named 'missing'/, 15_000);
  await server.waitFor(/unable to load app 0/, 15_000);
});

test('an exception is a 500 with the traceback in the log; the next request is served', {
  timeout: 30_000,
}, async (t) => {
  const server = await serve(['--wsgi-file', `${DIR}/boom.py`]);
  t.after(() => server.close());
  const before = await get(server.port, '/');
  assert.match(before.body, /^ok \d+$/);
  const reply = await get(server.port, '/boom');
  assert.equal(reply.status, 500);
  await server.waitFor(/Traceback \(most recent call last\):[\s\S]*RuntimeError: boom from the app/);
  const after = await get(server.port, '/');
  assert.equal(after.body, before.body, 'the same Python process serves on');
});

test('a Python process that dies mid-request: 502, a log line, and a new process serves', {
  timeout: 30_000,
}, async (t) => {
  const server = await serve(['--wsgi-file', `${DIR}/boom.py`]);
  t.after(() => server.close());
  const before = await get(server.port, '/');
  const reply = await get(server.port, '/exit');
  assert.equal(reply.status, 502);
  await server.waitFor(
    /the Python process \(pid: \d+\) of app .*boom\.py exited with code 3 while serving GET \/exit/,
  );
  const after = await get(server.port, '/');
  assert.equal(after.status, 200);
  assert.notEqual(after.body, before.body, 'a new process');
});

test('PEP 3333: environ types, wsgi.input, write(), close(), file_wrapper, exc_info rules', {
  timeout: 40_000,
}, async (t) => {
  const server = await serve(['--wsgi-file', `${DIR}/conformance.py`]);
  t.after(() => server.close());
  const port = server.port;
  const probe = await send(
    port,
    'POST',
    '/caf%C3%A9/check?a=1&b=%20',
    Buffer.from('first line\nabcdefghij\nrest'),
    {
      headers: { 'x-probe': 'yes' },
    },
  );
  assert.equal(probe.status, 200);
  const report = JSON.parse(probe.body.toString()) as Record<string, unknown>;
  assert.deepEqual(report['required'], []);
  assert.equal(report['native'], true);
  assert.equal(report['latin1'], true);
  assert.deepEqual(report['version'], [1, 0]);
  assert.equal(report['scheme'], 'http');
  assert.deepEqual(report['flags'], ['bool', 'bool', 'bool']);
  assert.equal(report['uwsgi.version'], "b'2.0.21'");
  assert.equal(report['uwsgi.node'], 'bytes');
  assert.deepEqual(report['input'], ['first line\n', 'abc', 'defgh', 'ij\nrest']);
  assert.equal(report['after_eof'], '');
  // PEP 3333: PATH_INFO is the URL-decoded bytes seen through latin-1
  assert.equal(report['path'], '/caf\u00c3\u00a9/check');
  assert.equal(report['query'], 'a=1&b=%20');
  assert.equal(report['script_name'], '');
  assert.equal(report['content_length'], '26');
  assert.equal(report['header'], 'yes');
  await server.waitFor(/conformance: the errors stream works/);
  assert.equal((await get(port, '/closed')).body, '1', 'close() was called on the iterable');

  const lines = await send(port, 'POST', '/lines', Buffer.from('a\nbb\nccc\nno newline'));
  assert.equal(lines.body.toString(), '4|a\nbb\nccc\nno newline');
  const iter = await send(port, 'POST', '/iter', Buffer.from('1\n2\n3\n'));
  assert.equal(iter.body.toString(), '3');
  const file = await get(port, '/file');
  assert.match(file.body, /^# PEP 3333 conformance probe/);
  assert.ok(file.body.length > 2000);

  const replaced = await get(port, '/excinfo');
  assert.equal(replaced.status, 503, 'exc_info before the head is sent replaces the status');
  assert.equal(replaced.body, 'replaced');
  const late = await send(port, 'GET', '/excinfo-late').catch((err: unknown) => err);
  // the head and 'started' went out: the connection is cut (no complete response)
  assert.ok(late instanceof Error || (late as { body: Buffer }).body.toString() === 'started');
  await server.waitFor(/ValueError: too late to change/);
  const twice = await get(port, '/twice');
  assert.equal(twice.status, 500);
  await server.waitFor(/AssertionError: start_response\(\) called again without exc_info/);
  const stream = await get(port, '/stream');
  assert.equal(stream.body, 'line 1\nline 2\n');
  assert.equal(stream.headers['transfer-encoding'], 'chunked');
});

test('a POST body is echoed byte-identical: 1 MB read at once and in pieces', {
  timeout: 40_000,
}, async (t) => {
  const server = await serve(['--wsgi-file', `${DIR}/echo.py`]);
  t.after(() => server.close());
  const body = randomBytes(1024 * 1024);
  const whole = await send(server.port, 'POST', '/', body);
  assert.equal(whole.status, 200);
  assert.ok(whole.body.equals(body), 'read() at once');
  const pieces = await send(server.port, 'POST', '/?7777', body);
  assert.ok(pieces.body.equals(body), 'read(7777) in a loop');
});

test('25 MB chunked with wsgi-manage-chunked-input (seed 004) arrives byte-identical', {
  timeout: 60_000,
}, async (t) => {
  const server = await serve(['--wsgi-manage-chunked-input', '--wsgi-file', `${DIR}/echo.py`]);
  t.after(() => server.close());
  const body = randomBytes(25 * 1024 * 1024);
  const reply = await send(server.port, 'POST', '/sha', body, { chunked: true, timeoutMs: 50_000 });
  assert.equal(reply.status, 200);
  assert.equal(reply.body.toString(), createHash('sha256').update(body).digest('hex'));
});

test('virtualenv, pyargv, pythonpath and import set up the interpreter as uWSGI does', {
  timeout: 60_000,
}, async (t) => {
  const tmp = tempFiles({});
  t.after(tmp.cleanup);
  const venv = join(tmp.dir, 'venv');
  execFileSync('/usr/bin/python3', ['-m', 'venv', '--without-pip', venv], { stdio: 'ignore' });
  const server = await serve([
    '--virtualenv',
    venv,
    '--pyargv',
    'one two',
    '--pythonpath',
    resolve(DIR),
    '--import',
    'startup_mod',
    '--wsgi-file',
    `${DIR}/opts.py`,
  ]);
  t.after(() => server.close());
  const report = JSON.parse((await get(server.port, '/')).body) as {
    argv: string[];
    prefix: string;
    imported: boolean;
    path: string[];
  };
  assert.deepEqual(report.argv.slice(1), ['one', 'two']);
  assert.equal(realpathSync(report.prefix), realpathSync(venv));
  assert.equal(report.imported, true);
  assert.equal(report.path[0], resolve(DIR));
});

test('py-autoreload: a changed module file reloads the instance gracefully', {
  timeout: 60_000,
}, async (t) => {
  const source = (v: number) =>
    `def application(environ, start_response):\n    start_response('200 OK', [])\n    return [b'v${v}']\n`;
  const tmp = tempFiles({ 'app.py': source(0) });
  t.after(tmp.cleanup);
  const server = await serve(['--master', '--py-autoreload', '1', '--wsgi-file', join(tmp.dir, 'app.py')]);
  t.after(() => server.close());
  assert.equal((await get(server.port, '/')).body, 'v0');
  await new Promise((r) => setTimeout(r, 1100));
  writeFileSync(join(tmp.dir, 'app.py'), source(1));
  await server.waitFor(/\[uwsgi-python-reloader\] module\/file .*app\.py has been modified/, 20_000);
  const deadline = Date.now() + 30_000;
  let body = '';
  while (Date.now() < deadline && body !== 'v1') {
    body = (await get(server.port, '/')).body;
    if (body !== 'v1') await new Promise((r) => setTimeout(r, 200));
  }
  assert.equal(body, 'v1');
});

test('threads = 2 serves two slow requests at once; a 20 MB streamed response arrives intact', {
  timeout: 60_000,
}, async (t) => {
  const server = await serve(['--threads', '2', '--wsgi-file', `${DIR}/boom.py`]);
  t.after(() => server.close());
  const started = Date.now();
  const [a, b] = await Promise.all([get(server.port, '/sleep?3'), get(server.port, '/sleep?3')]);
  assert.equal(a.status, 200);
  assert.equal(b.status, 200);
  assert.notEqual(a.body, b.body, 'two Python processes');
  assert.ok(Date.now() - started < 5500, `both in about 3 s, not 6 s: ${Date.now() - started} ms`);
  const size = 20 * 1024 * 1024;
  const big = await send(server.port, 'GET', `/big?${size}`, undefined, { timeoutMs: 50_000 });
  assert.equal(big.status, 200);
  assert.equal(big.body.length, size);
  for (let i = 0; i < size / 65536; i++) {
    assert.equal(big.body[i * 65536], i % 251);
    assert.equal(big.body[i * 65536 + 65535], i % 251);
  }
});
