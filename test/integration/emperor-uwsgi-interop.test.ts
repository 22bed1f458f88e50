// Cross-runs with uWSGI 2.0.21's Emperor protocol, both ways. Without uWSGI (CI), the recorded
// conventions in test/fixtures/emperor/uwsgi-2.0.21-protocol.json are replayed: a uwsgi-ts vassal
// under an "Emperor" that behaves as uWSGI's did (fd 6, `--ini NAME` in the vassals dir), and a
// stand-in vassal sending what uWSGI's vassal sent under the uwsgi-ts Emperor. With uWSGI
// installed, the real thing runs too; those tests skip cleanly when it is missing.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import type net from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { CLI, REPO } from '../helpers/cli.js';
import { alive, emperorDir, emperorStats, freePort, startEmperor, until } from '../helpers/emperor.js';
import { httpGet } from '../helpers/http.js';

const FIXTURES = join(REPO, 'test', 'fixtures', 'emperor');
const RECORDED = JSON.parse(readFileSync(join(FIXTURES, 'uwsgi-2.0.21-protocol.json'), 'utf8')) as {
  emperorGivesVassal: { argv: string[]; UWSGI_EMPEROR_FD: string; vassalSent: number[] };
  vassalSendsEmperor: { events: Array<{ phase: string; bytes?: number[] }> };
};

const uwsgiPython = (() => {
  const probe = spawnSync('uwsgi', ['--plugin', 'python3', '--version'], { encoding: 'utf8' });
  return probe.status === 0 ? undefined : 'uWSGI 2.0 with the python3 plugin is not installed';
})();

function touch(path: string): void {
  const t = new Date(Date.now() + 1000);
  utimesSync(path, t, t);
}

async function body(socketPath: string): Promise<string | undefined> {
  try {
    return (await httpGet({ socketPath }, '/', 3000)).body;
  } catch {
    return undefined;
  }
}

test('a uwsgi-ts vassal under an Emperor speaking as uWSGI 2.0.21 did (fd 6, --ini NAME)', {
  timeout: 60_000,
}, async (t) => {
  const dir = emperorDir();
  dir.app('t', 'ts vassal');
  dir.vassal('t');
  const fd = Number(RECORDED.emperorGivesVassal.UWSGI_EMPEROR_FD);
  // stdio slots up to the emperor fd: the pair's end lands on fd 6, as uWSGI gives it
  const stdio: Array<'ignore' | 'pipe'> = ['ignore', 'pipe', 'pipe'];
  while (stdio.length < fd) stdio.push('ignore');
  stdio.push('pipe');
  const vassal = spawn(process.execPath, [CLI, ...RECORDED.emperorGivesVassal.argv.slice(0, 1), 't.ini'], {
    cwd: dir.vassals,
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', UWSGI_EMPEROR_FD: String(fd) },
    stdio,
  });
  let log = '';
  vassal.stdout?.on('data', (d: Buffer) => {
    log += d.toString();
  });
  vassal.stderr?.on('data', (d: Buffer) => {
    log += d.toString();
  });
  const exited = once(vassal, 'exit');
  t.after(async () => {
    if (vassal.exitCode === null) vassal.kill('SIGKILL');
    dir.cleanup();
  });
  const link = vassal.stdio[fd] as net.Socket;
  const got: number[] = [];
  link.on('data', (d: Buffer) => got.push(...d));
  await until(() => got.length >= 2, 15_000, 'spawned and accepting');
  assert.deepEqual(got, RECORDED.emperorGivesVassal.vassalSent.slice(0, 2));
  assert.match(log, new RegExp(`has_emperor mode detected \\(fd: ${fd}\\)`));
  assert.equal(await body(dir.socket('t')), 'ts vassal');
  await until(() => got.includes(17), 5000, 'loyal after the first request');
  const afterLoyal = got.length;
  link.write(Buffer.of(1));
  await until(() => got.slice(afterLoyal).includes(5), 15_000, 'accepting again after the reload');
  assert.match(log, /received message 1 from emperor/);
  link.write(Buffer.of(0));
  await exited;
  assert.match(log, /received message 0 from emperor/);
  assert.ok(!existsSync(dir.socket('t')), 'vacuum removed the socket');
});

test('a vassal sending what uWSGI 2.0.21 vassals send, under the uwsgi-ts Emperor (emperor-wrapper)', {
  timeout: 60_000,
}, async (t) => {
  const dir = emperorDir();
  const statsPort = await freePort();
  const emperor = await startEmperor(dir, [
    '--emperor-stats',
    `127.0.0.1:${statsPort}`,
    '--emperor-wrapper',
    join(FIXTURES, 'uwsgi-like-vassal.mjs'),
  ]);
  t.after(async () => {
    await emperor.close();
    dir.cleanup();
  });
  const ini = dir.vassal('n');
  await until(
    async () => (await body(dir.socket('n'))) === 'non-uWSGI vassal\n',
    10_000,
    'the vassal to serve',
  );
  await emperor.waitFor(/\[emperor\] vassal n\.ini is now loyal/, 5000);
  assert.match(emperor.log(), /\[emperor\] vassal n\.ini has been spawned/);
  assert.match(emperor.log(), /\[emperor\] vassal n\.ini is ready to accept requests/);
  const v = (await emperorStats(statsPort)).vassals[0];
  assert.equal(v?.status, 'loyal');
  touch(ini);
  await emperor.waitFor(/\[emperor\] reload the uwsgi instance n\.ini/, 5000);
  rmSync(ini);
  await emperor.waitFor(/\[emperor\] removed uwsgi instance n\.ini/, 10_000);
  assert.ok(v && !alive(v.pid));
});

test('uWSGI 2.0.21 Emperor runs a uwsgi-ts vassal', { skip: uwsgiPython, timeout: 60_000 }, async (t) => {
  const dir = emperorDir();
  const statsPort = await freePort();
  dir.app('u', 'ts under uWSGI');
  const real = spawn(
    'uwsgi',
    ['--emperor', dir.vassals, '--emperor-wrapper', CLI, '--emperor-stats', `127.0.0.1:${statsPort}`],
    {
      cwd: dir.root,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    },
  );
  let log = '';
  real.stderr?.on('data', (d: Buffer) => {
    log += d.toString();
  });
  t.after(() => {
    try {
      process.kill(-(real.pid ?? 0), 'SIGKILL');
    } catch {
      // gone
    }
    dir.cleanup();
  });
  const ini = dir.vassal('u');
  await until(
    async () => (await body(dir.socket('u'))) === 'ts under uWSGI',
    20_000,
    'the uwsgi-ts vassal to serve',
  );
  await until(() => /\[emperor\] vassal u\.ini is now loyal/.test(log), 5000, 'loyal');
  const stats = (await emperorStats(statsPort)).vassals[0];
  assert.equal(stats?.['loyal'], 1);
  assert.equal(stats?.['accepting'], 1);
  touch(ini);
  await until(() => /uwsgi-ts: reload done/.test(log), 20_000, 'the reload');
  assert.equal(await body(dir.socket('u')), 'ts under uWSGI');
  rmSync(ini);
  await until(() => /\[emperor\] removed uwsgi instance u\.ini/.test(log), 15_000, 'removed');
  assert.ok(stats && !alive(stats.pid));
  assert.ok(!existsSync(dir.socket('u')));
  process.kill(real.pid ?? 0, 'SIGINT');
  await once(real, 'exit');
});

test('the uwsgi-ts Emperor runs a uWSGI 2.0.21 vassal (python3)', {
  skip: uwsgiPython,
  timeout: 60_000,
}, async (t) => {
  const dir = emperorDir();
  const statsPort = await freePort();
  writeFileSync(
    join(dir.root, 'app.py'),
    'def application(env, sr):\n    sr("200 OK", [("Content-Type", "text/plain")])\n    return [b"py vassal"]\n',
  );
  const emperor = await startEmperor(dir, [
    '--emperor-stats',
    `127.0.0.1:${statsPort}`,
    '--emperor-wrapper',
    'uwsgi',
  ]);
  t.after(async () => {
    await emperor.close();
    dir.cleanup();
  });
  const ini = join(dir.vassals, 'p.ini');
  writeFileSync(
    ini,
    `[uwsgi]\nplugin = python3\nhttp-socket = ${dir.socket('p')}\nwsgi-file = ${join(dir.root, 'app.py')}\nmaster = true\nprocesses = 1\n`,
  );
  await until(async () => (await body(dir.socket('p'))) === 'py vassal', 20_000, 'the uWSGI vassal to serve');
  await emperor.waitFor(/\[emperor\] vassal p\.ini is now loyal/, 5000);
  const v = (await emperorStats(statsPort)).vassals[0];
  assert.equal(v?.status, 'loyal');
  const accepting = emperor.log().match(/vassal p\.ini is ready to accept requests/g)?.length ?? 0;
  touch(ini);
  await until(
    () => (emperor.log().match(/vassal p\.ini is ready to accept requests/g)?.length ?? 0) > accepting,
    20_000,
    'the uWSGI vassal to reload (it says accepting again)',
  );
  assert.equal(await body(dir.socket('p')), 'py vassal');
  rmSync(ini);
  await emperor.waitFor(/\[emperor\] removed uwsgi instance p\.ini/, 15_000);
  assert.ok(v && !alive(v.pid));
});
