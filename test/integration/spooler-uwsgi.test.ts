// Spool files and modifier1 17 packets between uwsgi-ts and the real uWSGI 2.0.21 (issue 16
// acceptance), both ways: a task enqueued by uwsgi-ts is run by uWSGI's spooler (its Python task
// found by `ud_spool_func`, test/fixtures/spooler/uwsgi_tasks.py), a task uWSGI's uwsgi.spool()
// writes is run by ours, and our modifier1 17 packet enqueues into uWSGI over its socket. Skipped
// where uWSGI is not installed; the recorded files (spooler.test.ts) cover the format there.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { encodeSpoolVars } from '../../src/protocol/spool-file.js';
import { REPO } from '../helpers/cli.js';
import { httpGet } from '../helpers/http.js';
import { startServer } from '../helpers/server.js';
import { noUwsgiPython } from '../helpers/uwsgi.js';
import { fileLines, waitFor } from '../helpers/wait.js';

const APP = join(REPO, 'test/fixtures/spooler/app.mjs');
const PY_TASKS = join(REPO, 'test/fixtures/spooler/uwsgi_tasks.py');
const PY_ENQUEUE = join(REPO, 'test/fixtures/spooler/uwsgi-2.0.21/enqueue.py');

const skip = noUwsgiPython;

const lines = fileLines;
const until = <T>(what: string, probe: () => T | undefined, timeoutMs = 20_000) =>
  waitFor(what, probe, timeoutMs);

/** Starts uWSGI (Debian ships modifier1 17 as the separate `spooler` plugin); stopped with SIGINT (SIGTERM would make 2.0.21 reload). */
function startUwsgi(
  args: string[],
  env: Record<string, string>,
  cwd: string,
): { proc: ChildProcess; log(): string; stop(): Promise<void> } {
  const proc = spawn('uwsgi', ['--plugin', 'python3,spooler', '--master', ...args], {
    cwd,
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  proc.stdout?.on('data', (d: Buffer) => {
    text += d.toString();
  });
  proc.stderr?.on('data', (d: Buffer) => {
    text += d.toString();
  });
  const exited = once(proc, 'exit');
  return {
    proc,
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

test('a task written by uwsgi-ts is run by uWSGI 2.0.21; one written by uWSGI is run by uwsgi-ts', {
  skip,
  timeout: 90_000,
}, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'uwsgi-ts-spool-interop-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, 'out.txt');
  const toUwsgi = join(dir, 'to-uwsgi');
  const toUs = join(dir, 'to-us');
  mkdirSync(toUwsgi);
  // uwsgi-ts enqueues into a directory that uWSGI runs (spooler-external), and runs its own
  const ours = await startServer(
    [
      '--master',
      '--http-socket',
      '127.0.0.1:0',
      '--app',
      APP,
      '--spooler',
      toUs,
      '--spooler-external',
      toUwsgi,
      '--disable-logging',
    ],
    { cwd: dir, env: { SPOOL_OUT: out } },
  );
  t.after(() => ours.close());
  const uw = startUwsgi(
    [
      '--socket',
      join(dir, 'uw.sock'),
      '--wsgi-file',
      PY_ENQUEUE,
      '--spooler',
      toUwsgi,
      '--spooler-external',
      toUs,
      '--spooler-import',
      PY_TASKS,
      '--spooler-frequency',
      '1',
      '--http-socket',
      '127.0.0.1:0',
    ],
    { SPOOL_OUT: out },
    dir,
  );
  t.after(() => uw.stop());
  await until('uWSGI spooler', () => (/spawned the uWSGI spooler/.test(uw.log()) ? true : undefined));
  // ours -> uWSGI: the app's spoolTask('send_email') enqueue names the spooler directory
  const written = await httpGet(ours.port, `/to?spooler=${encodeURIComponent(toUwsgi)}`);
  assert.equal(written.status, 200);
  await until('uWSGI to run our task', () =>
    lines(out).some((l) => l.startsWith('uwsgi ')) ? true : undefined,
  );
  assert.match(uw.log(), /\[spooler \S+to-uwsgi pid: \d+\] done with task uwsgi_spoolfile_on_/);
  assert.deepEqual(
    lines(out).filter((l) => l.startsWith('uwsgi ')),
    ['uwsgi send_email interop@no.spam body=BODYDATA'],
  );
  // uWSGI -> ours over modifier1 17... of uWSGI's own socket: our encoder's packet, uWSGI's spooler
  const vars = encodeSpoolVars([
    ['ud_spool_func', 'send_email'],
    ['email_address', 'packet@no.spam'],
  ]);
  const reply = await new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = net.connect(join(dir, 'uw.sock'), () =>
      socket.write(Buffer.concat([Buffer.from([17, vars.length & 0xff, vars.length >> 8, 0]), vars])),
    );
    socket
      .on('data', (d) => chunks.push(d))
      .on('end', () => resolve(Buffer.concat(chunks)))
      .on('error', reject);
  });
  assert.equal(reply.toString('hex'), 'ff000001');
  await until('uWSGI to run the networked task', () =>
    lines(out).some((l) => l.startsWith('uwsgi send_email packet@no.spam')) ? true : undefined,
  );
  // uWSGI -> ours: uwsgi.spool() into our spooler's directory (its spooler-external)
  const py = await new Promise<string>((resolve, reject) => {
    let text = '';
    const socket = net.connect(join(dir, 'uw.sock'), () => {
      const pairs: Array<[string, string]> = [
        ['REQUEST_METHOD', 'GET'],
        ['PATH_INFO', '/to'],
        ['QUERY_STRING', toUs],
        ['SERVER_PROTOCOL', 'HTTP/1.0'],
      ];
      const block = encodeSpoolVars(pairs);
      socket.write(Buffer.concat([Buffer.from([0, block.length & 0xff, block.length >> 8, 0]), block]));
    });
    socket.on('data', (d) => {
      text += d.toString();
    });
    socket.on('end', () => resolve(text)).on('error', reject);
  });
  assert.match(py, /uwsgi_spoolfile_on_/);
  await until('uwsgi-ts to run the uWSGI task', () =>
    lines(out).some((l) => l.startsWith('send_email live@no.spam')) ? true : undefined,
  );
  await uw.stop();
});
