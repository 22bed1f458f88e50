// harakiri (issue "Operations" point 2): a request that runs past the limit is ended alone (504)
// while the worker's other requests go on; a worker whose event loop is blocked is killed by the
// master with uWSGI's HARAKIRI lines and replaced.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { httpGet as get } from '../helpers/http.js';
import { startServer } from '../helpers/server.js';

const APP = 'test/fixtures/apps/probe.mjs';

test('a slow async request past harakiri gets 504; the same worker keeps serving', {
  timeout: 20_000,
}, async (t) => {
  const server = await startServer([
    '--master',
    '--processes',
    '1',
    '--http-socket',
    '127.0.0.1:0',
    '--app',
    APP,
    '--harakiri',
    '1',
  ]);
  t.after(() => server.close());
  const pid = (await get(server.port, '/pid')).body;
  const slow = get(server.port, '/slow?ms=4000');
  const quick = await get(server.port, '/pid');
  assert.equal(quick.body, pid, 'other requests are served meanwhile');
  const reply = await slow;
  assert.equal(reply.status, 504);
  assert.match(
    server.log(),
    /HARAKIRI: GET \/slow\?ms=4000 from 127\.0\.0\.1 ran past 1 seconds: answered 504/,
  );
  assert.equal((await get(server.port, '/pid')).body, pid, 'no worker was killed');
  assert.doesNotMatch(server.log(), /DAMN/);
});

test('a blocked event loop: the master kills the worker with the HARAKIRI lines, a new one serves', {
  timeout: 30_000,
}, async (t) => {
  const server = await startServer([
    '--master',
    '--processes',
    '1',
    '--http-socket',
    '127.0.0.1:0',
    '--app',
    APP,
    '--harakiri',
    '2',
  ]);
  t.after(() => server.close());
  const pid = Number((await get(server.port, '/pid')).body);
  const blocked = get(server.port, '/block?ms=20000').then(
    (r) => r.status,
    () => 'closed',
  );
  await server.waitFor(
    new RegExp(`\\*\\*\\* HARAKIRI ON WORKER 1 \\(pid: ${pid}, try: 1\\) \\*\\*\\*`),
    10_000,
  );
  // the four lines may arrive in more than one chunk
  await server.waitFor(/HARAKIRI !!! end of worker 1 status !!!/);
  assert.match(server.log(), /HARAKIRI \[core 0\] 127\.0\.0\.1 - GET \/block\?ms=20000 since \d+/);
  await server.waitFor(
    new RegExp(`DAMN ! worker 1 \\(pid: ${pid}\\) died, killed by signal 9 :\\( trying respawn \\.\\.\\.`),
  );
  assert.equal(await blocked, 'closed', 'the client gets an empty reply, as with uWSGI');
  const next = Number((await get(server.port, '/pid')).body);
  assert.notEqual(next, pid);
});
