// reload-on-exception-type / -value / -repr against the real CLI: a thrown or rejected value that
// matches a list recycles the worker gracefully (its replacement serves, no request fails) with a
// line naming the option; one that matches nothing leaves the worker alone. Each list repeats.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { httpGet as get } from '../helpers/http.js';
import { startServer } from '../helpers/server.js';

const APP = 'test/fixtures/apps/throw-kinds.mjs';

/** Requests /pid until a pid other than `first` answers; every answer must be a 200. */
async function untilReplaced(port: number, first: number, timeoutMs = 10_000): Promise<number> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const reply = await get(port, '/pid');
    assert.equal(reply.status, 200, reply.body);
    if (Number(reply.body) !== first) return Number(reply.body);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`worker ${first} was never replaced`);
}

/** Waits until process `pid` has exited (a draining worker may still take a request until then). */
async function untilGone(pid: number, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`worker ${pid} never exited`);
}

test('each list recycles on its own match and names the option', { timeout: 60_000 }, async (t) => {
  const server = await startServer([
    '--master',
    '--processes',
    '1',
    '--http-socket',
    '127.0.0.1:0',
    '--app',
    APP,
    '--min-worker-lifetime',
    '0',
    '--reload-on-exception-type',
    'SyntaxError',
    '--reload-on-exception-type',
    'TypeError',
    '--reload-on-exception-value',
    'over quota',
    '--reload-on-exception-repr',
    'Error: boom x',
  ]);
  t.after(() => server.close());
  let pid = Number((await get(server.port, '/pid')).body);

  // matches nothing: a RangeError (thrown and rejected), a thrown string
  for (const path of ['/throw?kind=range', '/reject?kind=string', '/throw?kind=range']) {
    assert.equal((await get(server.port, path)).status, 500, path);
  }
  assert.equal(Number((await get(server.port, '/pid')).body), pid, 'no match, no recycling');
  assert.doesNotMatch(server.log(), /got an exception in its app/);

  const cases = [
    ['/throw?kind=type', /worker 1 got an exception in its app: reload-on-exception-type = TypeError/],
    ['/reject?kind=quota', /worker 1 got an exception in its app: reload-on-exception-value = over quota/],
    ['/throw?kind=boom', /worker 1 got an exception in its app: reload-on-exception-repr = Error: boom x/],
  ] as const;
  for (const [path, line] of cases) {
    assert.equal((await get(server.port, path)).status, 500, path);
    const next = await untilReplaced(server.port, pid);
    assert.match(server.log(), line);
    assert.match(server.log(), new RegExp(`Respawned uWSGI worker 1 \\(new pid: ${next}\\)`));
    // the recycled worker drains: the next trigger must reach the new one
    await untilGone(pid);
    pid = next;
  }
  assert.doesNotMatch(server.log(), /DAMN/);
});

test('an exception no list matches is a 500 and nothing more; no "not supported" warning', {
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
    '--min-worker-lifetime',
    '0',
    '--reload-on-exception-value',
    'never thrown',
  ]);
  t.after(() => server.close());
  const pid = Number((await get(server.port, '/pid')).body);
  assert.equal((await get(server.port, '/throw?kind=type')).status, 500);
  assert.equal(Number((await get(server.port, '/pid')).body), pid);
  assert.doesNotMatch(server.log(), /not supported yet/);
});
