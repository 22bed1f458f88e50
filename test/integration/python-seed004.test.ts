// Seed 004 (a user's review of uWSGI) with its Python code unchanged: the basic app, chunked
// input of 25 MB with wsgi-manage-chunked-input written to disk byte-identical, chunked output
// through `route-run = chunked:`, honour-range with check-static beside a werkzeug range app,
// uwsgi-socket behind nginx, and the cache example. The inis are the seed's; only the ports are
// 127.0.0.1:0, and `http = :8000` (the HTTP router, another issue) is `http-socket`.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempFiles } from '../helpers/cli.js';
import { httpGet as get } from '../helpers/http.js';
import { startNginx } from '../helpers/nginx.js';
import { PYTHON_PATH, pythonHas, send } from '../helpers/python.js';
import { startServer } from '../helpers/server.js';

const ENV = { PATH: PYTHON_PATH };

const WSGI_TEST = `def application(env, start_response):
    data = b'Hello World'
    status = '200 OK'
    response_headers = [
        ('Content-Type', 'text/plain'),
        ('Content-Length', str(len(data))),
    ]
    start_response(status, response_headers)
    return [data]
`;

const CHUNKED_INPUT = `def application(environ, start_response):
    input = environ['wsgi.input']
    with open('test.json', 'wb') as stream_fp:
        stream_fp.write(input.read())
    status = '200 OK'
    body = b'Hello World\\n'
    response_headers = [
        ('Content-Type', 'text/plain'),
        ('Content-Length', str(len(body))),
    ]
    start_response(status, response_headers)
    return [body]
`;

const CHUNKED_OUTPUT = `class TestIter(object):
    def __iter__(self):
        lines = [b'line 1\\n', b'line 2\\n']
        for line in lines:
            yield line

def application(environ, start_response):
    status = '200 OK'
    response_headers = [
        ('Content-type', 'text/plain')
    ]
    start_response(status, response_headers)
    return TestIter()
`;

const RANGE_APP = `from werkzeug.http import parse_range_header

def application(environ, start_response):
    range = parse_range_header(environ['HTTP_RANGE'])
    start, end = range.ranges[0]
    with open('large-file.json', 'rb') as stream_fp:
        stream_fp.seek(start)
        data = stream_fp.read(end - start)
    status = '200 OK'
    response_headers = [
        ('Content-type', 'application/json')
    ]
    start_response(status, response_headers)
    return [data]
`;

const CACHE_APP = `from uwsgi import cache_get, cache_set, cache_clear

def application(env, start_response):
    data = b'Hello World'
    cache_set('return_data', data)
    status = '200 OK'
    response_headers = [
        ('Content-Type', 'text/plain'),
        ('Content-Length', str(len(data))),
    ]
    start_response(status, response_headers)
    return [cache_get('return_data')]
`;

async function run(files: Record<string, string>, ini: string, prepare?: (dir: string) => void) {
  const tmp = tempFiles({ ...files, 'uwsgi-config.ini': ini });
  prepare?.(tmp.dir);
  const server = await startServer([join(tmp.dir, 'uwsgi-config.ini')], {
    cwd: tmp.dir,
    env: ENV,
    timeoutMs: 30_000,
  });
  return {
    server,
    dir: tmp.dir,
    close: async () => {
      await server.close();
      tmp.cleanup();
    },
  };
}

test('the basic app: processes 2, threads 2, Hello World with its Content-Length', {
  timeout: 40_000,
}, async (t) => {
  const s = await run(
    { 'wsgi_test.py': WSGI_TEST },
    '[uwsgi]\nhttp-socket = 127.0.0.1:0\nwsgi-file = wsgi_test.py\nprocesses = 2\nthreads = 2\nmaster = true\n',
  );
  t.after(s.close);
  const replies = await Promise.all(Array.from({ length: 8 }, () => get(s.server.port, '/')));
  for (const reply of replies) {
    assert.equal(reply.status, 200);
    assert.equal(reply.body, 'Hello World');
    assert.equal(reply.headers['content-length'], '11');
  }
});

test('chunked input: 25 MB sent chunked is written to test.json byte-identical', {
  timeout: 60_000,
}, async (t) => {
  const s = await run(
    { 'wsgi_chunked_input.py': CHUNKED_INPUT },
    '[uwsgi]\nhttp11-socket = 127.0.0.1:0\nwsgi-manage-chunked-input = true\nwsgi-file = wsgi_chunked_input.py\nprocesses = 2\nthreads = 2\nmaster = true\n',
  );
  t.after(s.close);
  const body = randomBytes(25 * 1024 * 1024);
  const reply = await send(s.server.port, 'POST', '/', body, { chunked: true, timeoutMs: 50_000 });
  assert.equal(reply.status, 200);
  assert.equal(reply.body.toString(), 'Hello World\n');
  assert.ok(readFileSync(join(s.dir, 'test.json')).equals(body), 'test.json holds the body as sent');
});

test('chunked output through route-run = chunked:', { timeout: 40_000 }, async (t) => {
  const s = await run(
    { 'wsgi_chunked_output.py': CHUNKED_OUTPUT },
    '[uwsgi]\nhttp-socket = 127.0.0.1:0\nwsgi-file = wsgi_chunked_output.py\nprocesses = 2\nthreads = 2\nmaster = true\nroute-run = chunked:\nroute-run = last:\n',
  );
  t.after(s.close);
  const reply = await get(s.server.port, '/');
  assert.equal(reply.status, 200);
  assert.equal(reply.headers['transfer-encoding'], 'chunked');
  assert.equal(reply.body, 'line 1\nline 2\n');
});

test('honour-range: a static file answers 206; the werkzeug range app reads the same bytes', {
  timeout: 40_000,
  skip: pythonHas('werkzeug') ? false : 'Debian python3-werkzeug (with python3-flask) is not installed',
}, async (t) => {
  const data = randomBytes(64 * 1024).toString('base64');
  const s = await run(
    { 'wsgi_range.py': RANGE_APP, 'large-file.json': data },
    '[uwsgi]\nhttp-socket = 127.0.0.1:0\nhonour-range = true\ncheck-static = %d/static/\nwsgi-file = wsgi_range.py\nprocesses = 2\nthreads = 2\nmaster = true\n',
    (dir) => {
      mkdirSync(join(dir, 'static'));
      writeFileSync(join(dir, 'static', 'large-file.json'), data);
    },
  );
  t.after(s.close);
  const file = await send(s.server.port, 'GET', '/large-file.json', undefined, {
    headers: { range: 'bytes=1200-1299' },
  });
  assert.equal(file.status, 206);
  assert.equal(file.headers['content-range'], `bytes 1200-1299/${data.length}`);
  assert.equal(file.body.toString(), data.slice(1200, 1300));
  const ranged = await send(s.server.port, 'GET', '/dynamic', undefined, {
    headers: { range: 'bytes=1200-1299' },
  });
  assert.equal(ranged.status, 200);
  assert.equal(ranged.body.toString(), data.slice(1200, 1300));
});

test('uwsgi-socket behind nginx, and the cache example', { timeout: 60_000 }, async (t) => {
  const basic = await run(
    { 'wsgi_test.py': WSGI_TEST },
    '[uwsgi]\nuwsgi-socket = 127.0.0.1:0\nwsgi-file = wsgi_test.py\nprocesses = 2\nthreads = 2\nmaster = true\n',
  );
  t.after(basic.close);
  const cache = await run(
    { 'uwsgi_module.py': CACHE_APP },
    '[uwsgi]\nuwsgi-socket = 127.0.0.1:0\nwsgi-file = uwsgi_module.py\nprocesses = 2\nthreads = 2\nmaster = true\ncache2 = name=mycache,items=100\n',
  );
  t.after(cache.close);
  const nginx = await startNginx({
    locations: [
      { path: '/', pass: 'uwsgi', upstream: `127.0.0.1:${basic.server.port}` },
      { path: '/cache', pass: 'uwsgi', upstream: `127.0.0.1:${cache.server.port}` },
    ],
  });
  if (!nginx) {
    t.skip('nginx is not installed');
    return;
  }
  t.after(() => nginx.close());
  const reply = await get(nginx.port, '/');
  assert.equal(reply.status, 200);
  assert.equal(reply.body, 'Hello World');
  assert.equal(reply.headers['content-length'], '11');
  for (let i = 0; i < 3; i++) {
    const cached = await get(nginx.port, '/cache');
    assert.equal(cached.status, 200);
    assert.equal(cached.body, 'Hello World');
  }
});
