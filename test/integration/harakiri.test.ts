// harakiri (issue "Operations" point 2): a request that runs past the limit is ended alone (504)
// while the worker's other requests go on; a worker whose event loop is blocked is killed by the
// master with uWSGI's HARAKIRI lines and replaced.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { httpGet as get } from '../helpers/http.js';
import { startServer } from '../helpers/server.js';

const APP = 'test/fixtures/apps/probe.mjs';
const HARAKIRI_FIXTURE = JSON.parse(
  readFileSync(new URL('../fixtures/harakiri-uwsgi-2.0.21.json', import.meta.url), 'utf8'),
) as { endedAfterSeconds: number[] };

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
  const sent = Date.now();
  let endedAfter = 0;
  const blocked = get(server.port, '/block?ms=20000').then(
    (r) => r.status,
    () => {
      endedAfter = (Date.now() - sent) / 1000;
      return 'closed';
    },
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
  // uWSGI's reckoning (a whole-second deadline, checked every second): its recorded times bound ours
  const ended = HARAKIRI_FIXTURE.endedAfterSeconds;
  assert.ok(
    endedAfter >= Math.min(...ended) - 0.6 && endedAfter <= Math.max(...ended) + 0.6,
    `ended after ${endedAfter} s; uWSGI 2.0.21: ${ended.join(', ')} s`,
  );
  const next = Number((await get(server.port, '/pid')).body);
  assert.notEqual(next, pid);
});
