// Without the shared memory addon (forced with UWSGI_TS_NO_SHM=1) the same API works through
// the master (issue "Shared services" point 1): the startup warning, locks that still serialise
// 4 workers' increments, a sharedarea counter, and a cache every worker sees.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempFiles } from '../helpers/cli.js';
import { httpGet } from '../helpers/http.js';
import { startServer } from '../helpers/server.js';

const env = { UWSGI_TS_NO_SHM: '1' };

test('locks and sharedareas through the master', { timeout: 60_000 }, async (t) => {
  const tmp = tempFiles({ counter: '0' });
  t.after(tmp.cleanup);
  const counter = join(tmp.dir, 'counter');
  const server = await startServer(
    [
      '--master',
      '--processes',
      '4',
      '--http-socket',
      '127.0.0.1:0',
      '--app',
      'test/fixtures/apps/locks.mjs',
      '--mount',
      '/sa=test/fixtures/apps/sharedarea.mjs',
      '--manage-script-name',
      '--locks',
      '2',
      '--sharedarea',
      '1',
      '--sharedarea',
      '1',
      '--disable-logging',
    ],
    { env },
  );
  t.after(() => server.close());
  assert.match(
    server.log(),
    /WARNING: the shared memory addon is turned off .* go through the master \(slower\)/,
  );
  for (let round = 0; round < 4; round++) {
    const replies = await Promise.all(
      Array.from({ length: 8 }, () =>
        httpGet(server.port, `/inc?n=50&file=${encodeURIComponent(counter)}`, 30_000),
      ),
    );
    assert.ok(replies.every((r) => r.status === 200));
  }
  assert.equal(readFileSync(counter, 'utf8'), '1600');
  await Promise.all(Array.from({ length: 8 }, () => httpGet(server.port, '/sa/inc?n=25', 30_000)));
  assert.equal((await httpGet(server.port, '/sa/get')).body, '200');
  await httpGet(server.port, '/sa/write?text=hello');
  assert.equal((await httpGet(server.port, '/sa/read?len=5')).body, 'hello');
});

test('a cache through the master, seen by every worker', { timeout: 60_000 }, async (t) => {
  const server = await startServer(
    [
      '--master',
      '--processes',
      '2',
      '--http-socket',
      '127.0.0.1:0',
      '--app',
      'test/fixtures/apps/cache.mjs',
      '--cache2',
      'name=c,items=20',
      '--disable-logging',
    ],
    { env },
  );
  t.after(() => server.close());
  const first = await httpGet(server.port, '/set?k=a&v=1', 4000).catch((err: Error) => {
    throw new Error(`${err.message}\n${server.log()}`);
  });
  assert.equal(first.body, 'true');
  const reads = await Promise.all(Array.from({ length: 6 }, () => httpGet(server.port, '/get?k=a')));
  assert.ok(reads.every((r) => r.body === '1'));
  assert.equal((await httpGet(server.port, '/inc?k=n&n=100')).body, '100');
  assert.match((await httpGet(server.port, '/get?k=x&c=nope')).body, /^error ERR_CACHE_UNKNOWN/);
});
