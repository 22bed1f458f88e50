// systemd Type=notify against the real CLI (issue 17): a test listening on a unix datagram socket
// as NOTIFY_SOCKET gets READY=1 once the workers accept, RELOADING=1 then READY=1 around a reload,
// STOPPING=1 on stop, WATCHDOG=1 when WATCHDOG_USEC asks for it; an Emperor says READY=1 and how
// many vassals it governs, and its vassals say nothing to systemd.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { emperorDir, startEmperor, until } from '../helpers/emperor.js';
import { httpGet } from '../helpers/http.js';
import { noPython, notifySocket } from '../helpers/notify-socket.js';
import { startServer } from '../helpers/server.js';

test('an instance: READY=1 once accepting, RELOADING=1/READY=1 around a reload, STOPPING=1', {
  skip: noPython,
  timeout: 60_000,
}, async (t) => {
  const dir = emperorDir();
  const sd = await notifySocket(join(dir.root, 'notify.sock'));
  dir.app('n', 'notified');
  const server = await startServer(
    ['--http-socket', dir.socket('n'), '--app', join(dir.root, 'n.mjs'), '--master', '--processes', '1'],
    { cwd: dir.root, env: { NOTIFY_SOCKET: sd.path } },
  );
  t.after(async () => {
    await server.close();
    await sd.close();
    dir.cleanup();
  });
  const ready = await sd.waitFor('READY=1');
  // READY=1 is sent only once the workers accept: a request right now is served
  assert.equal((await httpGet({ socketPath: dir.socket('n') }, '/')).body, 'notified');
  assert.ok(sd.messages[ready]?.includes('STATUS=uWSGI is ready'));
  process.kill(server.pid, 'SIGHUP');
  const reloading = await sd.waitFor('RELOADING=1', ready + 1);
  assert.match(sd.messages[reloading] ?? '', /MONOTONIC_USEC=\d+/);
  await sd.waitFor('READY=1', reloading + 1);
  assert.match(server.log(), /uwsgi-ts: reload done/);
  process.kill(server.pid, 'SIGTERM');
  await sd.waitFor('STOPPING=1', reloading + 1);
  await until(() => server.proc.exitCode !== null, 15_000, 'the instance to stop');
});

test('WATCHDOG=1 every half WATCHDOG_USEC, on an abstract NOTIFY_SOCKET', {
  skip: noPython,
  timeout: 30_000,
}, async (t) => {
  const dir = emperorDir();
  const sd = await notifySocket(`@uwsgi-ts-test-${process.pid}-${Date.now()}`);
  dir.app('w', 'w');
  const server = await startServer(['--http-socket', dir.socket('w'), '--app', join(dir.root, 'w.mjs')], {
    cwd: dir.root,
    env: { NOTIFY_SOCKET: sd.path, WATCHDOG_USEC: '400000' },
  });
  t.after(async () => {
    await server.close();
    await sd.close();
    dir.cleanup();
  });
  const first = await sd.waitFor('WATCHDOG=1', 0, 5000);
  await sd.waitFor('WATCHDOG=1', first + 1, 5000);
});

test('an Emperor: READY=1, the vassals it governs in STATUS, STOPPING=1; vassals stay silent', {
  skip: noPython,
  timeout: 60_000,
}, async (t) => {
  const dir = emperorDir();
  const sd = await notifySocket(join(dir.root, 'notify.sock'));
  const notified = await startEmperor(dir, [], { NOTIFY_SOCKET: sd.path });
  t.after(async () => {
    await notified.close();
    await sd.close();
    dir.cleanup();
  });
  await sd.waitFor('READY=1');
  await sd.waitFor('STATUS=The Emperor is governing 0 vassals');
  dir.app('e', 'e');
  dir.vassal('e');
  await sd.waitFor('STATUS=The Emperor is governing 1 vassals');
  await until(
    async () => (await httpGet({ socketPath: dir.socket('e') }, '/').catch(() => undefined))?.body === 'e',
    10_000,
    'the vassal to serve',
  );
  process.kill(notified.pid, 'SIGTERM');
  await sd.waitFor('STOPPING=1');
  await until(() => notified.proc.exitCode !== null, 30_000, 'the Emperor to stop');
  assert.ok(!sd.messages.some((m) => m.includes('uWSGI is ready')), 'no vassal talked to systemd');
});
