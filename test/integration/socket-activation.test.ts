// systemd socket activation: a listening socket handed down as fd 3 with LISTEN_FDS=1 is used
// for the configured address instead of binding it again (uWSGI matches inherited fds by address).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { test } from 'node:test';
import { CLI, REPO } from '../helpers/cli.js';

test('an inherited listening socket (LISTEN_FDS) serves the matching --http-socket', {
  timeout: 20_000,
}, async (t) => {
  const holder = net.createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  const port = (holder.address() as net.AddressInfo).port;
  // the test plays systemd: it owns the socket and passes its descriptor as fd 3
  const fd = (holder as unknown as { _handle: { fd: number } })._handle.fd;
  const child = spawn(
    process.execPath,
    [CLI, '--master', '--http-socket', `127.0.0.1:${port}`, '--app', 'test/fixtures/apps/hello.mjs'],
    {
      cwd: REPO,
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', LISTEN_FDS: '1' },
      stdio: ['ignore', 'pipe', 'pipe', fd],
      detached: true,
    },
  );
  let log = '';
  child.stderr?.on('data', (d: Buffer) => {
    log += d.toString();
  });
  t.after(async () => {
    if (child.exitCode === null) {
      process.kill(-(child.pid ?? 0), 'SIGINT');
      await once(child, 'exit');
    }
    holder.close();
  });
  for (let i = 0; i < 100 && !/all workers ready/.test(log); i++)
    await new Promise((r) => setTimeout(r, 100));
  assert.match(log, new RegExp(`uwsgi socket 0 inherited TCP address 127\\.0\\.0\\.1:${port} fd`), log);
  // the test's own server never accepts (it has no listener); answers come from the workers
  holder.on('connection', (s) => s.destroy());
  holder.close();
  const body = await new Promise<string>((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, agent: false, signal: AbortSignal.timeout(5000) }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          text += d;
        });
        res.on('end', () => resolve(text));
      })
      .on('error', reject);
  });
  assert.equal(body, 'Hello World');
});
