// Python spooler tasks (issue 14, README "Python spooler tasks"): seed 004's `@spool` example with
// its Python code unchanged; uwsgi.spool()'s rules and what uwsgi.spooler is given, compared with
// uWSGI 2.0.21's recorded answers; Python-enqueued files run by uWSGI's spooler and uWSGI-enqueued
// files run by ours (our uwsgidecorators on uWSGI's pythonpath; skipped without uWSGI); SPOOL_RETRY,
// a raising task, a killed Python spooler process; spooler-import of a .py file and of a module
// beside a JS app (JS tasks first).
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { encodeSpoolVars } from '../../src/protocol/spool-file.js';
import { REPO, tempFiles } from '../helpers/cli.js';
import { httpGet } from '../helpers/http.js';
import { PYTHON_PATH } from '../helpers/python.js';
import { type RunningServer, startServer } from '../helpers/server.js';
import { noUwsgiPython } from '../helpers/uwsgi.js';
import { fileLines, waitFor } from '../helpers/wait.js';

const FIXTURES = join(REPO, 'test/fixtures/python-spooler');
const RECORDED = JSON.parse(readFileSync(join(FIXTURES, 'uwsgi-2.0.21-spool.json'), 'utf8')) as {
  response: string[];
  tasks: string[];
};

const noUwsgi = noUwsgiPython;

const lines = fileLines;
const until = <T>(what: string, probe: () => T | undefined, timeoutMs = 30_000) =>
  waitFor(what, probe, timeoutMs);

const spoolFiles = (dir: string): string[] =>
  readdirSync(dir).filter((n) => n.startsWith('uwsgi_spoolfile_on_') || n.startsWith('.uwsgi_spoolclaim_'));

/** A GET over uWSGI's own protocol (seed 004's app sits on `uwsgi-socket`). */
function uwsgiGet(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const block = encodeSpoolVars([
      ['REQUEST_METHOD', 'GET'],
      ['PATH_INFO', path],
      ['REQUEST_URI', path],
      ['QUERY_STRING', ''],
      ['SERVER_PROTOCOL', 'HTTP/1.0'],
      ['SERVER_NAME', 'localhost'],
      ['SERVER_PORT', String(port)],
      ['REMOTE_ADDR', '127.0.0.1'],
    ]);
    let text = '';
    const socket = net.connect(port, '127.0.0.1', () =>
      socket.write(Buffer.concat([Buffer.from([0, block.length & 0xff, block.length >> 8, 0]), block])),
    );
    socket.setTimeout(20_000, () => socket.destroy(new Error('no answer')));
    socket.on('data', (d: Buffer) => {
      text += d.toString('latin1');
    });
    socket.on('end', () => resolve(text)).on('error', reject);
  });
}

test("seed 004's @spool example, its Python code unchanged: the task runs once, after the response", {
  timeout: 60_000,
}, async (t) => {
  // the seed's three files; only `uwsgi-socket = :8087` is 127.0.0.1:0
  const tmp = tempFiles({
    'app.ini': `[uwsgi]
uwsgi-socket = 127.0.0.1:0
wsgi-file = wsgi_test.py
processes = 2
threads = 2
master = true
spooler = myspool
import = uwsgi_spool_task
`,
    'uwsgi_spool_task.py': `from uwsgidecorators import *
@spool
def send_email(arguments):
    print(f"Send email to {arguments['email_address']}")
`,
    'wsgi_test.py': `from uwsgi_spool_task import send_email
def application(env, start_response):
    data = b'Hello World'
    status = '200 OK'
    response_headers = [
        ('Content-Type', 'text/plain'),
        ('Content-Length', str(len(data))),
    ]
    start_response(status, response_headers)
    send_email.spool(email_address='someone@no.spam')
    return [data]
`,
  });
  t.after(() => tmp.cleanup());
  const server = await startServer(['app.ini'], { cwd: tmp.dir, env: { PATH: PYTHON_PATH } });
  t.after(() => server.close());
  const reply = await uwsgiGet(server.port, '/');
  assert.match(reply, /^HTTP\/1\.[01] 200 OK\r\n/);
  assert.ok(reply.endsWith('\r\n\r\nHello World'), reply);
  await server.waitFor(/done with task uwsgi_spoolfile_on_\S+/, 30_000);
  // the task's print comes down Python's own stdout, a pipe apart from the spooler's lines
  await server.waitFor(/Send email to someone@no\.spam/, 10_000);
  const log = server.log();
  assert.equal(log.match(/Send email to someone@no\.spam/g)?.length, 1, log);
  // written by the worker first, then managed by the spooler, then the task's print
  const written = log.indexOf('[spooler] written');
  const managing = log.indexOf('managing request uwsgi_spoolfile_on_');
  assert.ok(written >= 0 && written < managing, log);
  assert.ok(managing < log.indexOf('Send email to someone@no.spam'), log);
  assert.deepEqual(spoolFiles(join(tmp.dir, 'myspool')), []);
});

test("uwsgi.spool()'s rules, answers and the task uwsgi.spooler is given are uWSGI 2.0.21's", {
  timeout: 60_000,
}, async (t) => {
  const tmp = tempFiles({});
  t.after(() => tmp.cleanup());
  const out = join(tmp.dir, 'out.txt');
  const server = await startServer(
    [
      '--master',
      '--http-socket',
      '127.0.0.1:0',
      '--wsgi-file',
      join(FIXTURES, 'spool_probe.py'),
      '--spooler',
      join(tmp.dir, 'sp'),
      '--spooler-frequency',
      '1',
    ],
    { cwd: tmp.dir, env: { PATH: PYTHON_PATH, SPOOL_PROBE_OUT: out } },
  );
  t.after(() => server.close());
  const reply = await httpGet(server.port, '/');
  assert.equal(reply.status, 200);
  assert.deepEqual(reply.body.split('\n').filter(Boolean), RECORDED.response);
  await until('the three tasks', () => (lines(out).length >= RECORDED.tasks.length ? true : undefined));
  assert.deepEqual(lines(out).sort(), RECORDED.tasks);
});

/** Starts uWSGI 2.0.21 with HTTP on a unix socket; stopped with SIGINT (SIGTERM makes 2.0.21 reload). */
function startUwsgi(args: string[], env: Record<string, string>, cwd: string) {
  const proc: ChildProcess = spawn('uwsgi', ['--plugin', 'python3', '--master', ...args], {
    cwd,
    env: { PATH: PYTHON_PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const add = (d: Buffer) => {
    text += d.toString();
  };
  proc.stdout?.on('data', add);
  proc.stderr?.on('data', add);
  const exited = once(proc, 'exit');
  return {
    log: () => text,
    stop: async () => {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGINT');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

function unixGet(socketPath: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ socketPath, path, agent: false, timeout: 20_000 }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => {
          body += d.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

test('files enqueued by Python on uwsgi-ts run in uWSGI 2.0.21 and the other way round (our uwsgidecorators)', {
  skip: noUwsgi,
  timeout: 90_000,
}, async (t) => {
  const tmp = tempFiles({});
  t.after(() => tmp.cleanup());
  const out = join(tmp.dir, 'out.txt');
  const oursDir = join(tmp.dir, 'ours');
  const theirsDir = join(tmp.dir, 'theirs');
  mkdirSync(oursDir);
  mkdirSync(theirsDir);
  const app = ['--pythonpath', FIXTURES, '--wsgi-file', join(FIXTURES, 'enqueue_app.py')];
  const ours = await startServer(
    [
      '--master',
      '--http-socket',
      '127.0.0.1:0',
      ...app,
      '--spooler',
      oursDir,
      '--spooler-external',
      theirsDir,
      '--spooler-frequency',
      '1',
    ],
    { cwd: tmp.dir, env: { PATH: PYTHON_PATH, SPOOL_OUT: out, RUNNER: 'uwsgi-ts' } },
  );
  t.after(() => ours.close());
  const sock = join(tmp.dir, 'uw.sock');
  // uWSGI's Python finds our uwsgidecorators (Debian ships none) on its pythonpath
  const uw = startUwsgi(
    [
      '--http-socket',
      sock,
      '--pythonpath',
      join(REPO, 'python'),
      ...app,
      '--spooler',
      theirsDir,
      '--spooler-external',
      oursDir,
      '--spooler-frequency',
      '1',
    ],
    { SPOOL_OUT: out, RUNNER: 'uwsgi' },
    tmp.dir,
  );
  t.after(() => uw.stop());
  await until('uWSGI to serve', () => (existsSync(sock) ? true : undefined));
  await until('uWSGI spooler', () => (/spawned the uWSGI spooler/.test(uw.log()) ? true : undefined));
  // ours -> uWSGI: @spool with a body, @spool(pass_arguments=True)
  const q = (who: string, dir: string) => `who=${who}&spooler=${encodeURIComponent(dir)}`;
  const a = await httpGet(ours.port, `/record?${q('from-ours', theirsDir)}`);
  assert.equal(a.status, 200);
  assert.ok(a.body.startsWith(`${theirsDir}/uwsgi_spoolfile_on_`), a.body);
  assert.equal((await httpGet(ours.port, `/add?a=2&b=3&${q('ours', theirsDir)}`)).status, 200);
  // uWSGI -> ours
  const b = await unixGet(sock, `/record?${q('from-uwsgi', oursDir)}`);
  assert.equal(b.status, 200);
  assert.ok(b.body.startsWith(`${oursDir}/uwsgi_spoolfile_on_`), b.body);
  assert.equal((await unixGet(sock, `/add?a=20&b=22&${q('uwsgi', oursDir)}`)).status, 200);
  const expected = [
    "uwsgi record from-ours body=b'B'",
    'uwsgi add ours=5',
    "uwsgi-ts record from-uwsgi body=b'B'",
    'uwsgi-ts add uwsgi=42',
  ].sort();
  await until('the four tasks', () => (lines(out).length >= 4 ? true : undefined));
  assert.deepEqual(lines(out).sort(), expected);
  await until('both directories empty', () =>
    spoolFiles(oursDir).length + spoolFiles(theirsDir).length === 0 ? true : undefined,
  );
  await uw.stop();
});

/** uwsgi-ts with the enqueue app and spooler-frequency 1. */
async function startTasks(dir: string, out: string, extra: string[] = []): Promise<RunningServer> {
  return startServer(
    [
      '--master',
      '--http-socket',
      '127.0.0.1:0',
      '--pythonpath',
      FIXTURES,
      '--wsgi-file',
      join(FIXTURES, 'enqueue_app.py'),
      '--spooler',
      join(dir, 'sp'),
      '--spooler-frequency',
      '1',
      ...extra,
    ],
    { cwd: dir, env: { PATH: PYTHON_PATH, SPOOL_OUT: out } },
  );
}

test('SPOOL_RETRY runs the task again after spooler-frequency; @spoolforever keeps its file', {
  timeout: 60_000,
}, async (t) => {
  const tmp = tempFiles({});
  t.after(() => tmp.cleanup());
  const out = join(tmp.dir, 'out.txt');
  const server = await startTasks(tmp.dir, out);
  t.after(() => server.close());
  assert.equal((await httpGet(server.port, '/retry_once?n=7')).status, 200);
  assert.equal((await httpGet(server.port, '/forever?n=8')).status, 200);
  await until('the second run', () =>
    lines(out).filter((l) => l.includes('retry_once 7')).length >= 2 ? true : undefined,
  );
  const times = lines(out)
    .filter((l) => l.includes('retry_once 7'))
    .map((l) => Number(l.split(' at ')[1]));
  // held for spooler-frequency (1 s) after the retry (generous bounds: the machine is shared)
  assert.ok((times[1] as number) - (times[0] as number) >= 0.9, `runs at ${times.join(', ')}`);
  await server.waitFor(/done with task/, 20_000);
  await until('forever to run twice', () =>
    lines(out).filter((l) => l.includes('forever 8')).length >= 2 ? true : undefined,
  );
  // retry_once is gone, forever stays
  await until('one file left', () => (spoolFiles(join(tmp.dir, 'sp')).length === 1 ? true : undefined));
  assert.equal(lines(out).filter((l) => l.includes('retry_once 7')).length, 2);
});

test('a task that raises is logged with its traceback and retried', { timeout: 60_000 }, async (t) => {
  const tmp = tempFiles({});
  t.after(() => tmp.cleanup());
  const out = join(tmp.dir, 'out.txt');
  const server = await startTasks(tmp.dir, out);
  t.after(() => server.close());
  assert.equal((await httpGet(server.port, '/raise_once?n=3')).status, 200);
  await server.waitFor(/done with task/, 30_000);
  assert.deepEqual(lines(out), ['uwsgi-ts raise_once 3', 'uwsgi-ts raise_once 3']);
  const log = server.log();
  assert.match(log, /Python task raised, retried later:/);
  assert.match(log, /ZeroDivisionError: the first attempt of 3 fails/);
  assert.match(log, /Traceback \(most recent call last\):/);
  assert.deepEqual(spoolFiles(join(tmp.dir, 'sp')), []);
});

test('a task that calls signal_wait() or mule_get_msg() gets an error at once instead of hanging the spooler', {
  timeout: 60_000,
}, async (t) => {
  const tmp = tempFiles({});
  t.after(() => tmp.cleanup());
  const out = join(tmp.dir, 'out.txt');
  const server = await startTasks(tmp.dir, out);
  t.after(() => server.close());
  assert.equal((await httpGet(server.port, '/waits?n=1')).status, 200);
  assert.equal((await httpGet(server.port, '/record?who=after')).status, 200);
  // the next task runs: the spooler was not held by the first one
  await until('both tasks', () => (lines(out).length >= 3 ? lines(out) : undefined));
  assert.deepEqual(lines(out).slice(0, 2), [
    'uwsgi-ts waits 1 signal_wait SystemError: signal_wait() and the other waiting calls are not served in the spooler process',
    'uwsgi-ts waits 1 mule_get_msg ValueError: you can receive mule messages only in a mule !!!',
  ]);
  assert.match(lines(out)[2] ?? '', /^uwsgi-ts record after/);
});

test('a killed Python spooler process is logged and respawned, and its task retried', {
  timeout: 60_000,
}, async (t) => {
  const tmp = tempFiles({});
  t.after(() => tmp.cleanup());
  const out = join(tmp.dir, 'out.txt');
  const server = await startTasks(tmp.dir, out);
  t.after(() => server.close());
  const first = Number((await server.waitFor(/Python tasks run in process (\d+)/, 20_000))[1]);
  assert.equal((await httpGet(server.port, '/slow_once?n=5')).status, 200);
  // the first run sleeps 60 s in the Python process: kill it there
  const line = await until('the first run', () => lines(out)[0]);
  const pid = Number(line.split('pid=')[1]);
  assert.equal(pid, first);
  process.kill(pid, 'SIGKILL');
  await server.waitFor(/killed by signal SIGKILL during a task: the task is retried later/, 10_000);
  await server.waitFor(/respawning the Python spooler process/, 10_000);
  await server.waitFor(/done with task/, 30_000);
  const runs = lines(out);
  assert.equal(runs.length, 2, runs.join('\n'));
  const second = Number((runs[1] as string).split('pid=')[1]);
  assert.notEqual(second, first);
  assert.match(server.log(), new RegExp(`Python tasks run in process ${second}`));
});

test('spooler-import of a .py file and of a module beside a JS app; a JS task of the same name runs first', {
  timeout: 60_000,
}, async (t) => {
  const tmp = tempFiles({
    'app.mjs': `import { spool } from 'uwsgi-ts';
export default {
  fetch(request) {
    const task = new URL(request.url).searchParams.get('task');
    return new Response(spool({ ud_spool_func: task, n: '1' }));
  },
};
`,
    'js_tasks.mjs': `import { appendFileSync } from 'node:fs';
import { spoolTask } from 'uwsgi-ts';
spoolTask('both', () => { appendFileSync(process.env.SPOOL_OUT, 'js both\\n'); });
`,
    'file_tasks.py': `import os
from uwsgidecorators import spool
@spool
def from_file(arguments):
    open(os.environ['SPOOL_OUT'], 'a').write('py from_file n=%s\\n' % arguments['n'])
@spool
def both(arguments):
    open(os.environ['SPOOL_OUT'], 'a').write('py both\\n')
`,
  });
  t.after(() => tmp.cleanup());
  mkdirSync(join(tmp.dir, 'pkg'));
  writeFileSync(join(tmp.dir, 'pkg', '__init__.py'), '');
  writeFileSync(
    join(tmp.dir, 'pkg', 'module_tasks.py'),
    `import os
from uwsgidecorators import spool
@spool
def from_module(arguments):
    open(os.environ['SPOOL_OUT'], 'a').write('py from_module n=%s\\n' % arguments['n'])
`,
  );
  const out = join(tmp.dir, 'out.txt');
  writeFileSync(out, '');
  const server = await startServer(
    [
      '--master',
      '--http-socket',
      '127.0.0.1:0',
      '--app',
      'app.mjs',
      '--spooler',
      join(tmp.dir, 'sp'),
      '--spooler-frequency',
      '1',
      '--spooler-import',
      'js_tasks.mjs',
      '--spooler-import',
      'file_tasks.py',
      '--spooler-import',
      'pkg.module_tasks',
    ],
    { cwd: tmp.dir, env: { PATH: PYTHON_PATH, SPOOL_OUT: out } },
  );
  t.after(() => server.close());
  for (const task of ['from_file', 'from_module', 'both']) {
    assert.equal((await httpGet(server.port, `/?task=${task}`)).status, 200);
  }
  await until('three tasks', () => (lines(out).length >= 3 ? true : undefined));
  await until('the directory empty', () => (spoolFiles(join(tmp.dir, 'sp')).length === 0 ? true : undefined));
  assert.deepEqual(lines(out).sort(), ['js both', 'py from_file n=1', 'py from_module n=1']);
  // a respawned Python process starts in the instance's directory again (its relative imports hold)
  const pid = Number((await server.waitFor(/Python tasks run in process (\d+)/))[1]);
  process.kill(pid, 'SIGKILL');
  await server.waitFor(new RegExp(`process \\(pid: ${pid}\\) killed by signal SIGKILL`), 10_000);
  await server.waitFor(new RegExp(`Python tasks run in process (?!${pid}\\b)\\d+`), 20_000);
  assert.equal((await httpGet(server.port, '/?task=from_file')).status, 200);
  await until('the task after the respawn', () => (lines(out).length >= 4 ? true : undefined));
  assert.deepEqual(
    lines(out).filter((l) => l.startsWith('py from_file')),
    ['py from_file n=1', 'py from_file n=1'],
  );
  assert.doesNotMatch(server.log(), /unable to import spooler-import/);
});
