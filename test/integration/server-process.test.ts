// Process options of the server issue: daemonize (with pidfile), env/unenv, chdir, procname
// and auto-procname, as a user sees them from outside.
import assert from 'node:assert/strict';
import { readFileSync, realpathSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO, runCli, tempFiles } from '../helpers/cli.js';
import { startServer } from '../helpers/server.js';

const APP = join(REPO, 'test', 'fixtures', 'apps', 'process-info.mjs');

function get(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, agent: false, signal: AbortSignal.timeout(5000) }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          body += d;
        });
        res.on('end', () => resolve(body));
      })
      .on('error', reject);
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function read(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

test('env, unenv, chdir and the process titles reach the workers', { timeout: 20_000 }, async (t) => {
  const tmp = tempFiles({});
  t.after(tmp.cleanup);
  const server = await startServer(
    [
      '--master',
      '--http-socket',
      '127.0.0.1:0',
      '--app',
      APP,
      '--env',
      'GREETING=hello world',
      '--unenv',
      'DROP_ME',
      '--chdir',
      tmp.dir,
      '--auto-procname',
      '--procname-prefix',
      'myapp-',
    ],
    { env: { DROP_ME: 'x' } },
  );
  t.after(() => server.close());
  assert.equal(await get(server.port, '/env/GREETING'), 'hello world');
  assert.equal(await get(server.port, '/env/DROP_ME'), '<unset>');
  assert.equal(await get(server.port, '/cwd'), realpathSync(tmp.dir));
  assert.equal(await get(server.port, '/title'), 'myapp-uWSGI worker 1');
});

test('daemonize detaches, logs to the file, writes the pidfile; --stop through it ends it', {
  timeout: 30_000,
}, async (t) => {
  const tmp = tempFiles({});
  t.after(tmp.cleanup);
  const log = join(tmp.dir, 'daemon.log');
  const pidfile = join(tmp.dir, 'master.pid');
  const started = await runCli([
    '--master',
    '--http-socket',
    '127.0.0.1:0',
    '--app',
    APP,
    '--daemonize',
    log,
    '--pidfile',
    pidfile,
  ]);
  assert.equal(started.code, 0, started.stderr);
  assert.doesNotMatch(started.stderr, /all workers ready/, 'the foreground process logs nothing');
  for (let i = 0; i < 150 && !/all workers ready/.test(read(log)); i++) await sleep(100);
  const text = read(log);
  const port = Number(/bound to TCP address 127\.0\.0\.1:(\d+) fd/.exec(text)?.[1]);
  const pid = Number(read(pidfile).trim());
  t.after(() => {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  });
  assert.ok(port > 0 && pid > 0, text);
  assert.notEqual(pid, process.pid);
  assert.match(await get(port, '/pid'), /^\d+$/);
  const stopped = await runCli(['--stop', pidfile]);
  assert.equal(stopped.code, 0, stopped.stderr);
  for (let i = 0; i < 100 && !/goodbye to uWSGI/.test(read(log)); i++) await sleep(100);
  assert.match(read(log), /graceful shutdown triggered[\s\S]*goodbye to uWSGI\./);
});

test('uid and gid are dropped after binding (as root)', { timeout: 20_000 }, async (t) => {
  if (process.getuid?.() !== 0) return t.skip('needs root');
  const server = await startServer([
    '--master',
    '--http-socket',
    '127.0.0.1:0',
    '--app',
    APP,
    '--uid',
    'nobody',
    '--gid',
    'nogroup',
  ]);
  t.after(() => server.close());
  const workerPid = Number(await get(server.port, '/pid'));
  const status = readFileSync(`/proc/${workerPid}/status`, 'utf8');
  assert.match(status, /^Uid:\s+65534\s+65534/m);
  assert.match(status, /^Gid:\s+65534\s+65534/m);
  const master = readFileSync(`/proc/${server.pid}/status`, 'utf8');
  assert.match(master, /^Uid:\s+65534\s+65534/m, 'the master runs unprivileged too');
});
