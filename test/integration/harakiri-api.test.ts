// The app API against the real CLI (issue "Operations": per-request harakiri from the app API):
// an app imports 'uwsgi-ts' by name; setUserHarakiri() works with no global harakiri, a blocked
// loop is killed by the master with uWSGI's lines, a slow async request gets its 504 alone.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { httpGet as get } from '../helpers/http.js';
import { startServer } from '../helpers/server.js';

const APP = 'test/fixtures/apps/app-api.mjs';
const FETCH_APP = 'test/fixtures/apps/app-api-fetch.mjs';

const serve = (app: string, ...extra: string[]) =>
  startServer(['--master', '--processes', '1', '--http-socket', '127.0.0.1:0', '--app', app, ...extra]);

test('workerId, masterPid and requestsServed answer from inside the worker', {
  timeout: 20_000,
}, async (t) => {
  const server = await startServer([
    '--master',
    '--processes',
    '2',
    '--http-socket',
    '127.0.0.1:0',
    '--app',
    APP,
    '--disable-logging',
  ]);
  t.after(() => server.close());
  const seen = new Map<number, number[]>();
  for (let i = 0; i < 12; i++) {
    const info = JSON.parse((await get(server.port, '/info')).body) as {
      workerId: number;
      loadedBy: number;
      masterPid: number;
      requestsServed: number;
      pid: number;
    };
    assert.equal(info.masterPid, server.pid);
    assert.equal(info.loadedBy, info.workerId, 'workerId() works at import time');
    assert.ok(info.workerId === 1 || info.workerId === 2, String(info.workerId));
    seen.set(info.pid, [...(seen.get(info.pid) ?? []), info.requestsServed]);
  }
  for (const counts of seen.values()) {
    // each worker counts its own requests, the current one included
    assert.deepEqual(
      counts,
      counts.map((_, i) => i + 1),
    );
  }
});

test('setUserHarakiri(1) then a blocked loop, no global harakiri: killed with the HARAKIRI lines', {
  timeout: 30_000,
}, async (t) => {
  const server = await serve(APP);
  t.after(() => server.close());
  const pid = Number((await get(server.port, '/pid')).body);
  const started = Date.now();
  const blocked = get(server.port, '/block?limit=1').then(
    (r) => r.status,
    () => 'closed',
  );
  await server.waitFor(
    new RegExp(`\\*\\*\\* HARAKIRI ON WORKER 1 \\(pid: ${pid}, try: 1\\) \\*\\*\\*`),
    10_000,
  );
  const elapsed = Date.now() - started;
  assert.ok(elapsed >= 1000 && elapsed < 3500, `killed after ${elapsed} ms`);
  await server.waitFor(/HARAKIRI !!! end of worker 1 status !!!/);
  assert.match(server.log(), /HARAKIRI \[core 0\] 127\.0\.0\.1 - GET \/block\?limit=1 since \d+/);
  await server.waitFor(new RegExp(`DAMN ! worker 1 \\(pid: ${pid}\\) died, killed by signal 9`));
  assert.equal(await blocked, 'closed');
  const next = Number((await get(server.port, '/pid')).body);
  assert.notEqual(next, pid, 'a fresh worker serves next');
});

test('setUserHarakiri(1, req) then awaiting 5 s: 504 in 1-2 s, the same worker serves meanwhile', {
  timeout: 20_000,
}, async (t) => {
  const server = await serve(APP);
  t.after(() => server.close());
  const pid = (await get(server.port, '/pid')).body;
  const started = Date.now();
  const slow = get(server.port, '/sleep?ms=5000&limit=1&pass=req');
  assert.equal((await get(server.port, '/pid')).body, pid, 'another request on the same worker');
  const reply = await slow;
  const elapsed = Date.now() - started;
  assert.equal(reply.status, 504);
  assert.ok(elapsed >= 900 && elapsed < 3000, `504 after ${elapsed} ms`);
  assert.match(
    server.log(),
    /HARAKIRI: GET \/sleep\?ms=5000&limit=1&pass=req from 127\.0\.0\.1 ran past its user harakiri of 1 seconds: answered 504/,
  );
  assert.equal((await get(server.port, '/pid')).body, pid, 'no worker was killed');
  assert.doesNotMatch(server.log(), /DAMN|HARAKIRI ON WORKER/);
  assert.equal((await get(server.port, '/bad')).body, 'ERR_API_BAD_ARGUMENT');
});

test('a fetch app passes its Request; without a request the latest one is limited', {
  timeout: 20_000,
}, async (t) => {
  const server = await serve(FETCH_APP, '--disable-logging');
  t.after(() => server.close());
  const started = Date.now();
  const reply = await get(server.port, '/sleep?ms=5000&limit=1');
  assert.equal(reply.status, 504);
  assert.ok(Date.now() - started < 3000);
  const node = await serve(APP, '--disable-logging');
  t.after(() => node.close());
  assert.equal((await get(node.port, '/sleep?ms=5000&limit=1')).status, 504);
});

test('a cleared limit lets a blocked request finish; harakiri 1 still cuts a longer user limit', {
  timeout: 30_000,
}, async (t) => {
  const server = await serve(APP);
  t.after(() => server.close());
  const cleared = await get(server.port, '/clear?ms=2500');
  assert.equal(cleared.status, 200);
  assert.equal(cleared.body, 'survived');
  assert.doesNotMatch(server.log(), /HARAKIRI/);
  // uWSGI 2.0.21: the global harakiri and the app's are two timers, the first wins
  // (test/fixtures/uwsgi-2.0.21-app-api.json)
  const both = await serve(APP, '--harakiri', '1');
  t.after(() => both.close());
  const started = Date.now();
  const reply = await get(both.port, '/sleep?ms=4000&limit=10&pass=req');
  assert.equal(reply.status, 504);
  assert.ok(Date.now() - started < 3000);
  assert.match(
    both.log(),
    /HARAKIRI: GET \/sleep\?ms=4000&limit=10&pass=req from 127\.0\.0\.1 ran past 1 seconds/,
  );
});
