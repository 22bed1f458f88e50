// Alarms against the real CLI (issue "Shared services" point 4): a log line matching alarm-log runs
// a cmd alarm with the line on its stdin, behind the anti-flood; not-alarm-log silences; the app
// API raises alarms (unknown names refused); a full listen queue raises alarm-backlog; a readable
// fd raises alarm-fd; refused plugins stop the start with their code.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { CLI, REPO, runCli } from '../helpers/cli.js';
import { httpGet } from '../helpers/http.js';
import { startServer } from '../helpers/server.js';

const APP = 'test/fixtures/metrics/metrics-app.mjs';

async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('alarm-log runs a cmd alarm with the line, once per alarm-freq for the same line', {
  timeout: 60_000,
}, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'uwsgi-ts-alarm-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, 'cmd.out');
  const server = await startServer([
    '--master',
    '--processes',
    '2',
    '--http-socket',
    '127.0.0.1:0',
    '--app',
    APP,
    '--alarm',
    `a1 cmd:cat >> ${out}; echo '<END>' >> ${out}`,
    '--alarm-log',
    'a1 BOOM',
    '--not-alarm-log',
    'a1 QUIET',
    '--alarm-freq',
    '2',
    '--disable-logging',
  ]);
  t.after(() => server.close());
  const read = () => (existsSync(out) ? readFileSync(out, 'utf8') : '');
  await httpGet(server.port, '/log?text=BOOM1');
  await until(() => read().includes('<END>'), 5000, 'the first alarm');
  await server.waitFor(/subprocess \d+ exited with code 0/);
  // the same line again at once: dropped; another line runs; a silenced one does not
  await httpGet(server.port, '/log?text=BOOM1');
  await httpGet(server.port, '/log?text=BOOM_QUIET');
  await httpGet(server.port, '/log?text=BOOM2');
  await until(() => read().includes('BOOM2'), 5000, 'the second alarm');
  // from the app, through the master
  assert.equal((await httpGet(server.port, '/alarm?name=a1&msg=direct')).body, 'undefined');
  assert.equal((await httpGet(server.port, '/alarm?name=nosuch&msg=x')).body, 'ERR_ALARM_UNKNOWN');
  await until(() => read().includes('direct<END>'), 5000, 'the API alarm');
  // after alarm-freq, the same line runs again
  await new Promise((r) => setTimeout(r, 2100));
  await httpGet(server.port, '/log?text=BOOM1');
  // the command writes the line and then its end marker: wait for the whole of its output
  await until(
    () => read().split('BOOM1').length === 3 && read().endsWith('<END>\n'),
    5000,
    'BOOM1 again after alarm-freq',
  );
  assert.equal(read(), 'BOOM1\n<END>\nBOOM2\n<END>\ndirect<END>\nBOOM1\n<END>\n');
});

test('alarm-backlog: a full listen queue raises the alarm', { timeout: 60_000 }, async (t) => {
  const server = await startServer([
    '--master',
    '--processes',
    '1',
    '--http-socket',
    '127.0.0.1:0',
    '--listen',
    '2',
    '--app',
    APP,
    '--alarm',
    'lq log:',
    '--alarm-backlog',
    'lq',
    '--disable-logging',
  ]);
  t.after(() => server.close());
  // the only worker's event loop is busy for 4 s: connections wait in the kernel's queue
  const blocked = httpGet(server.port, '/block?ms=4000', 15_000);
  await new Promise((r) => setTimeout(r, 300));
  const waiting = Array.from({ length: 6 }, () => {
    const s = net.connect(server.port, '127.0.0.1');
    s.on('error', () => {});
    return s;
  });
  t.after(() => {
    for (const s of waiting) s.destroy();
  });
  const line = await server.waitFor(
    /\*\*\* uWSGI listen queue of socket "127\.0\.0\.1:(\d+)" \(fd: \d+\) full !!! \((\d+)\/(\d+)\) \*\*\*/,
    8000,
  );
  assert.equal(Number(line[1]), server.port);
  assert.ok(Number(line[2]) >= Number(line[3]));
  await server.waitFor(
    / - ALARM: listen queue of socket "127\.0\.0\.1:\d+" \(fd: \d+\) full !!! \(\d+\/\d+\)\n/,
    3000,
  );
  await blocked;
});

test('alarm-fd: bytes on an inherited fd raise the alarm', { timeout: 60_000 }, async (t) => {
  const proc = spawn(
    process.execPath,
    [
      CLI,
      '--http-socket',
      '127.0.0.1:0',
      '--app',
      APP,
      '--alarm',
      'ready log:',
      '--alarm-fd',
      'ready 7 fd seven is ready',
    ],
    {
      cwd: REPO,
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' },
      stdio: ['ignore', 'pipe', 'pipe', 'ignore', 'ignore', 'ignore', 'ignore', 'pipe'],
    },
  );
  let text = '';
  proc.stdout?.on('data', (d: Buffer) => {
    text += d.toString();
  });
  proc.stderr?.on('data', (d: Buffer) => {
    text += d.toString();
  });
  t.after(async () => {
    if (proc.exitCode !== null) return;
    const exited = once(proc, 'exit');
    proc.kill('SIGINT');
    await exited;
  });
  await until(() => text.includes('uwsgi-ts: all workers ready'), 15_000, 'the server');
  assert.match(text, /\[uwsgi-alarm\] added fd 7\n/);
  const fd7 = (proc.stdio as unknown[])[7] as net.Socket;
  fd7.write('x');
  await until(() => / - ALARM: fd seven is ready\n/.test(text), 5000, 'the fd alarm');
});

test('refused alarm plugins and alarm-segfault are reported by name', { timeout: 30_000 }, async () => {
  for (const [plugin, code] of [
    ['mule:1', 'ERR_ALARM_PLUGIN'],
    ['curl:http://127.0.0.1/', 'ERR_ALARM_PLUGIN'],
    ['nope:x', 'ERR_CONFIG_BAD_VALUE'],
  ] as const) {
    const r = await runCli(['--http-socket', '127.0.0.1:0', '--app', APP, '--alarm', `x ${plugin}`]);
    assert.notEqual(r.code, 0, plugin);
    assert.match(r.stderr, new RegExp(code), plugin);
  }
  const strict = await runCli([
    '--strict',
    '--http-socket',
    '127.0.0.1:0',
    '--app',
    APP,
    '--alarm-segfault',
    'x',
  ]);
  assert.match(strict.stderr, /ERR_CONFIG_NOT_SUPPORTED/);
  assert.match(strict.stderr, /alarm-segfault.*segmentation fault/);
});

test('a signal alarm raises the uwsgi signal: the workers’ handler runs', { timeout: 30_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'uwsgi-ts-alarm-signal-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const server = await startServer(
    [
      '--master',
      '--http-socket',
      '127.0.0.1:0',
      '--app',
      'test/fixtures/signal/signals-app.mjs',
      '--alarm',
      'sig signal:17',
      '--alarm-log',
      'sig RAISE-SEVENTEEN',
    ],
    { env: { SIGNAL_DIR: dir } },
  );
  t.after(() => server.close());
  // any log line matching the rule: a request for a path that names it is logged
  await httpGet(server.port, '/registered/RAISE-SEVENTEEN');
  await until(() => existsSync(join(dir, 'w1-sig17')), 10_000, 'the signal handler');
});
