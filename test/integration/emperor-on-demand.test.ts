// Issue 17, on-demand vassals (emperor-on-demand-extension / -directory / -exec), against the real
// CLI: the Emperor binds the vassal's socket and starts nothing; the first client's connection
// starts the vassal, which inherits the socket as fd 0 and serves that same client (not refused);
// die-on-idle sends it back to on-demand mode; removing its config closes and removes the socket.
// uWSGI 2.0.21's lines: test/fixtures/emperor-on-demand/uwsgi-2.0.21.txt. With uWSGI installed,
// both cross-runs too (skipped cleanly without it).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { CLI, REPO } from '../helpers/cli.js';
import { alive, emperorDir, emperorStats, freePort, startEmperor, until } from '../helpers/emperor.js';
import { httpGet } from '../helpers/http.js';

const FIXTURE = readFileSync(join(REPO, 'test', 'fixtures', 'emperor-on-demand', 'uwsgi-2.0.21.txt'), 'utf8');

const uwsgiPython = (() => {
  const probe = spawnSync('uwsgi', ['--plugin', 'python3', '--version'], { encoding: 'utf8' });
  return probe.status === 0 ? undefined : 'uWSGI 2.0 with the python3 plugin is not installed';
})();

async function body(socketPath: string, timeoutMs = 3000): Promise<string | undefined> {
  try {
    return (await httpGet({ socketPath }, '/', timeoutMs)).body;
  } catch {
    return undefined;
  }
}

/** The waiting line, shaped as uWSGI's (fixture) for this vassal and socket. */
function waiting(name: string, socket: string, again: boolean): string {
  const line = FIXTURE.split('\n').find((l) =>
    again ? l.includes('back to "on demand" mode') : l.includes('"on demand" instance detected'),
  );
  assert.ok(line, 'the fixture has the line');
  return line.replace(/\] \S+ ->/, `] ${name} ->`).replace(/socket "[^"]*"/, `socket "${socket}"`);
}

test('emperor-on-demand-extension: the first connection starts the vassal and is served; die-on-idle puts it back; delete closes the socket', {
  timeout: 90_000,
}, async (t) => {
  const dir = emperorDir();
  const statsPort = await freePort();
  const emperor = await startEmperor(dir, [
    '--emperor-on-demand-extension',
    '.socket',
    '--emperor-stats',
    `127.0.0.1:${statsPort}`,
  ]);
  t.after(async () => {
    await emperor.close();
    dir.cleanup();
  });
  dir.app('a', 'A on demand');
  dir.app('n', 'N as usual');
  // the vassal names the same socket: it takes the inherited one instead of binding it
  writeFileSync(join(dir.vassals, 'a.ini.socket'), `${dir.socket('a')}\n`);
  const ini = dir.vassal('a', 'idle = 2\ndie-on-idle = true');
  // no NAME.ini.socket: a normal vassal
  dir.vassal('n');
  await emperor.waitFor(/"on demand" instance detected/, 10_000);
  assert.ok(emperor.log().includes(waiting('a.ini', dir.socket('a'), false)));
  await until(async () => (await body(dir.socket('n'))) === 'N as usual', 15_000, 'the normal vassal');
  const vassalA = async () => (await emperorStats(statsPort)).vassals.find((v) => v.id === 'a.ini');
  const idle = await vassalA();
  assert.equal(idle?.pid, 0, 'nothing runs before the first connection');
  assert.equal(idle?.status, 'on-demand');
  assert.equal(idle?.['on_demand'], dir.socket('a'));
  assert.ok(!/starting vassal a\.ini/.test(emperor.log()));

  // the first client waits in the queue while the vassal starts, then is served by it
  assert.equal(await body(dir.socket('a'), 20_000), 'A on demand');
  assert.match(emperor.log(), /uwsgi socket 0 inherited UNIX address \S+a\.sock fd 0/);
  const first = await vassalA();
  assert.ok(first && first.pid > 0 && alive(first.pid));

  // idle 2 s + die-on-idle: byte 22, the Emperor stops it and waits on the socket again
  await emperor.waitFor(/\[emperor\] bringing back instance a\.ini to on-demand mode/, 15_000);
  await until(
    () => emperor.log().includes(waiting('a.ini', dir.socket('a'), true)),
    10_000,
    'back to on demand',
  );
  await until(() => !alive(first.pid), 10_000, 'the idle vassal to stop');
  assert.ok(existsSync(dir.socket('a')), 'the Emperor keeps the socket');
  assert.equal((await vassalA())?.status, 'on-demand');

  // the next connection starts it again
  assert.equal(await body(dir.socket('a'), 20_000), 'A on demand');
  const second = await vassalA();
  assert.ok(second && second.pid > 0 && second.pid !== first.pid);

  // deleted: stopped, socket closed and its file removed
  rmSync(ini);
  await until(() => !alive(second.pid), 10_000, 'the vassal to stop');
  await until(() => !existsSync(dir.socket('a')), 5000, 'the socket file to go');
  assert.equal(await body(dir.socket('n')), 'N as usual');
});

test('an Emperor reload (SIGHUP) leaves a waiting on-demand vassal waiting; started, it reloads and serves; the socket stays', {
  timeout: 90_000,
}, async (t) => {
  const dir = emperorDir();
  const statsPort = await freePort();
  const emperor = await startEmperor(dir, [
    '--emperor-on-demand-extension',
    '.socket',
    '--emperor-stats',
    `127.0.0.1:${statsPort}`,
  ]);
  t.after(async () => {
    await emperor.close();
    dir.cleanup();
  });
  dir.app('a', 'A on demand');
  writeFileSync(join(dir.vassals, 'a.ini.socket'), `${dir.socket('a')}\n`);
  dir.vassal('a');
  await emperor.waitFor(/"on demand" instance detected/, 10_000);
  const vassalA = async () => (await emperorStats(statsPort)).vassals.find((v) => v.id === 'a.ini');

  // waiting: the reload reaches the running vassals only, nothing starts it
  process.kill(emperor.pid, 'SIGHUP');
  await new Promise((r) => setTimeout(r, 1500));
  const waitingNow = await vassalA();
  assert.equal(waitingNow?.pid, 0);
  assert.equal(waitingNow?.status, 'on-demand');
  assert.ok(!/starting vassal a\.ini|reload the uwsgi instance a\.ini/.test(emperor.log()), emperor.log());

  // the first connection after it starts the vassal, as before
  assert.equal(await body(dir.socket('a'), 20_000), 'A on demand');
  const started = await vassalA();
  assert.ok(started && started.pid > 0 && alive(started.pid));

  // running: the Emperor's reload reloads it (byte 1), and it serves on the same socket after
  process.kill(emperor.pid, 'SIGHUP');
  await emperor.waitFor(/reload the uwsgi instance a\.ini/, 10_000);
  await until(async () => (await body(dir.socket('a'))) === 'A on demand', 20_000, 'served after the reload');
  assert.ok(existsSync(dir.socket('a')), 'the Emperor keeps the socket');
  assert.equal((await vassalA())?.pid, started.pid, 'a graceful reload keeps the vassal master');
});

test('emperor-on-demand-directory and emperor-on-demand-exec name the socket; a vassal with no socket of its own serves on it', {
  timeout: 90_000,
}, async (t) => {
  const dir = emperorDir();
  const sockets = join(dir.root, 'sockets');
  mkdirSync(sockets);
  const script = join(dir.root, 'socket-of.sh');
  // uWSGI runs `COMMAND NAME` through the shell in the vassals dir (fixture)
  writeFileSync(
    script,
    `#!/bin/sh\necho "$1 $2 $(pwd)" >> ${join(dir.root, 'exec.args')}\necho ${dir.root}/by-exec-$2.sock\n`,
  );
  chmodSync(script, 0o755);
  dir.app('d', 'D');
  // no socket option: the inherited one is socket 0, with `protocol`
  writeFileSync(
    join(dir.vassals, 'd.ini'),
    `[uwsgi]\nprotocol = http\napp = ${join(dir.root, 'd.mjs')}\nmaster = true\nprocesses = 1\n`,
  );
  const emperor = await startEmperor(dir, ['--emperor-on-demand-directory', sockets]);
  t.after(async () => {
    await emperor.close();
    dir.cleanup();
  });
  const dSocket = join(sockets, 'd.socket');
  await emperor.waitFor(/"on demand" instance detected/, 10_000);
  assert.ok(emperor.log().includes(waiting('d.ini', dSocket, false)));
  assert.equal(await body(dSocket, 20_000), 'D');
  await emperor.close();

  const byExec = await startEmperor(dir, ['--emperor-on-demand-exec', `${script} extra`]);
  t.after(() => byExec.close());
  const eSocket = join(dir.root, 'by-exec-d.ini.sock');
  await byExec.waitFor(/"on demand" instance detected/, 10_000);
  assert.ok(byExec.log().includes(waiting('d.ini', eSocket, false)));
  assert.equal(readFileSync(join(dir.root, 'exec.args'), 'utf8').trim(), `extra d.ini ${dir.vassals}`);
  assert.equal(await body(eSocket, 20_000), 'D');
});

test('a TCP on-demand socket: the vassal inherits it as socket 0 (TCP address)', {
  timeout: 60_000,
}, async (t) => {
  const dir = emperorDir();
  const port = await freePort();
  dir.app('t', 'T over TCP');
  writeFileSync(
    join(dir.vassals, 't.ini'),
    `[uwsgi]\nprotocol = http\napp = ${join(dir.root, 't.mjs')}\nmaster = true\nprocesses = 1\n`,
  );
  writeFileSync(join(dir.vassals, 't.ini.socket'), `127.0.0.1:${port}\n`);
  const emperor = await startEmperor(dir, ['--emperor-on-demand-extension', '.socket']);
  t.after(async () => {
    await emperor.close();
    dir.cleanup();
  });
  await emperor.waitFor(/"on demand" instance detected/, 10_000);
  assert.ok(emperor.log().includes(waiting('t.ini', `127.0.0.1:${port}`, false)));
  assert.ok(!/starting vassal t\.ini/.test(emperor.log()));
  const got = await httpGet(port, '/', 20_000);
  assert.equal(got.body, 'T over TCP');
  assert.match(
    emperor.log(),
    new RegExp(`uwsgi socket 0 inherited TCP address 127\\.0\\.0\\.1:${port} fd 0`),
  );
});

test('the uwsgi-ts Emperor starts a uWSGI 2.0.21 vassal on demand', {
  skip: uwsgiPython,
  timeout: 60_000,
}, async (t) => {
  const dir = emperorDir();
  writeFileSync(
    join(dir.root, 'app.py'),
    'def application(env, sr):\n    sr("200 OK", [("Content-Type", "text/plain")])\n    return [b"py on demand"]\n',
  );
  writeFileSync(
    join(dir.vassals, 'p.ini'),
    `[uwsgi]\nplugin = python3\nprotocol = http\nwsgi-file = ${join(dir.root, 'app.py')}\nmaster = true\nprocesses = 1\nidle = 2\ndie-on-idle = true\n`,
  );
  writeFileSync(join(dir.vassals, 'p.ini.socket'), dir.socket('p'));
  const emperor = await startEmperor(dir, [
    '--emperor-on-demand-extension',
    '.socket',
    '--emperor-wrapper',
    'uwsgi',
  ]);
  t.after(async () => {
    await emperor.close();
    dir.cleanup();
  });
  await emperor.waitFor(/"on demand" instance detected/, 10_000);
  assert.equal(await body(dir.socket('p'), 20_000), 'py on demand');
  await emperor.waitFor(/uwsgi socket 0 inherited UNIX address \S+p\.sock fd 0/, 5000);
  await emperor.waitFor(/back to "on demand" mode/, 20_000);
  assert.equal(await body(dir.socket('p'), 20_000), 'py on demand');
});

test('uWSGI 2.0.21 Emperor starts a uwsgi-ts vassal on demand', {
  skip: uwsgiPython,
  timeout: 60_000,
}, async (t) => {
  const dir = emperorDir();
  dir.app('u', 'ts on demand');
  writeFileSync(
    join(dir.vassals, 'u.ini'),
    `[uwsgi]\nprotocol = http\napp = ${join(dir.root, 'u.mjs')}\nmaster = true\nprocesses = 1\nidle = 2\ndie-on-idle = true\n`,
  );
  writeFileSync(join(dir.vassals, 'u.ini.socket'), dir.socket('u'));
  const real = spawn(
    'uwsgi',
    ['--emperor', dir.vassals, '--emperor-wrapper', CLI, '--emperor-on-demand-extension', '.socket'],
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
  await until(() => /"on demand" instance detected/.test(log), 10_000, 'uWSGI to wait on the socket');
  assert.equal(await body(dir.socket('u'), 20_000), 'ts on demand');
  assert.match(log, /uwsgi socket 0 inherited UNIX address \S+u\.sock fd 0/);
  // our die-on-idle speaks byte 22 to uWSGI's Emperor, which brings it back to on-demand mode
  await until(() => /back to "on demand" mode/.test(log), 20_000, 'back to on demand');
  assert.equal(await body(dir.socket('u'), 20_000), 'ts on demand');
  process.kill(real.pid ?? 0, 'SIGINT');
  await once(real, 'exit');
});
