// Socket activation for the Emperor (issue 17 point 5): systemd binds the apps' sockets in the
// Emperor's .socket unit and passes them as LISTEN_FDS; every vassal inherits them (fds 3...) and
// serves on the one bound to its own address, its emperor fd after them.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { test } from 'node:test';
import { CLI } from '../helpers/cli.js';
import { alive, emperorDir, until } from '../helpers/emperor.js';
import { httpGet } from '../helpers/http.js';

test('vassals serve on the sockets systemd gave the Emperor (LISTEN_FDS)', { timeout: 60_000 }, async (t) => {
  const dir = emperorDir();
  // the test plays systemd: it binds two sockets and hands them down as fds 3 and 4
  const holders = [net.createServer(), net.createServer()];
  for (const h of holders) await new Promise<void>((resolve) => h.listen(0, '127.0.0.1', resolve));
  const ports = holders.map((h) => (h.address() as net.AddressInfo).port);
  const fds = holders.map((h) => (h as unknown as { _handle: { fd: number } })._handle.fd);
  const emperor = spawn(process.execPath, [CLI, '--emperor', dir.vassals, '--emperor-freq', '1'], {
    cwd: dir.root,
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', LISTEN_FDS: '2' },
    stdio: ['ignore', 'pipe', 'pipe', ...fds],
    detached: true,
  });
  // systemd does not accept on the sockets it hands down: neither may the test (its listening
  // copies would take the connections meant for the vassals); the Emperor holds its own
  for (const h of holders) h.close();
  let log = '';
  emperor.stderr?.on('data', (d: Buffer) => {
    log += d.toString();
  });
  t.after(async () => {
    try {
      process.kill(-(emperor.pid ?? 0), 'SIGKILL');
    } catch {
      // gone
    }
    dir.cleanup();
  });
  for (const [i, name] of ['one', 'two'].entries()) {
    dir.app(name, `activated ${name}`);
    dir.vassal(name, `http-socket = 127.0.0.1:${ports[i]}`);
  }
  // the ini has a unix http-socket too; the TCP one is the inherited socket
  for (const [i, name] of ['one', 'two'].entries()) {
    await until(
      async () =>
        (await httpGet(ports[i] ?? 0, '/', 3000).catch(() => undefined))?.body === `activated ${name}`,
      20_000,
      `vassal ${name} on the activated socket`,
    );
  }
  assert.match(log, /has_emperor mode detected \(fd: 5\)/);
  assert.doesNotMatch(log, /Address already in use/);
  process.kill(emperor.pid ?? 0, 'SIGTERM');
  await once(emperor, 'exit');
  assert.match(log, /The Emperor is buried\./);
  assert.ok(emperor.pid && !alive(emperor.pid));
});
