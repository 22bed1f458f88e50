// The master listens on its sockets as soon as they are bound (native/listen.c): a client that
// connects while the first workers still load their apps waits in the kernel's queue and is
// answered once they are ready, as under uWSGI's master; before, it was refused (ECONNREFUSED).
// unbit/uwsgi's t/runner gives a server one second to accept before it fails the case.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO } from '../helpers/cli.js';
import { httpGet } from '../helpers/http.js';
import { startServer } from '../helpers/server.js';

const ADDON = join(REPO, 'build/Release/uwsgi_ts_listen.node');

test('a request sent while the app still loads waits and is answered', {
  skip: existsSync(ADDON) ? false : 'the listen addon was not built',
  timeout: 60_000,
}, async (t) => {
  const server = await startServer(
    ['--master', '--http-socket', '127.0.0.1:0', '--app', join(REPO, 'test/fixtures/apps/slow-load.mjs')],
    { noWait: true },
  );
  t.after(() => server.close());
  const port = Number((await server.waitFor(/bound to TCP address 127\.0\.0\.1:(\d+)/))[1]);
  assert.doesNotMatch(server.log(), /all workers ready/, 'asked before the app was loaded');
  const started = Date.now();
  const reply = await httpGet(port, '/', 30_000);
  assert.equal(reply.status, 200);
  assert.equal(reply.body, 'loaded');
  // the master logs it once the worker's ready message is read: the answer may come first
  await server.waitFor(/all workers ready/, 10_000);
  assert.ok(Date.now() - started > 200, 'the answer waited for the app');
});
