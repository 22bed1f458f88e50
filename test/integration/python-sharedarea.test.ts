// sharedarea_* from Python (issue 14 point 2; README "Python: signals, mules, sharedarea") on the
// area the JS apps see: writes cross both ways at once, a 64-bit counter bumped from both sides
// under concurrency loses nothing. uWSGI 2.0.21's answers to each call are compared in
// python-signals.test.ts (fixture uwsgi-2.0.21-pysig.json).
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { REPO } from '../helpers/cli.js';
import { httpGet as get } from '../helpers/http.js';
import { PYTHON_PATH } from '../helpers/python.js';
import { startServer } from '../helpers/server.js';

const DIR = resolve(REPO, 'test/fixtures/python/sharedarea');

test('Python and JS apps share a sharedarea: bytes both ways, a 64-bit counter from both sides', {
  timeout: 60_000,
}, async (t) => {
  const server = await startServer(
    [
      '--master',
      '--http-socket',
      '127.0.0.1:0',
      '--processes',
      '2',
      '--threads',
      '2',
      '--sharedarea',
      '1',
      '--manage-script-name',
      '--mount',
      `/=${DIR}/area.py`,
      '--mount',
      `/js=${DIR}/area.mjs`,
    ],
    { env: { PATH: PYTHON_PATH } },
  );
  t.after(() => server.close());
  assert.equal((await get(server.port, '/write?from-python')).body, 'written');
  assert.equal((await get(server.port, '/js/read?q=11')).body, 'from-python');
  assert.equal((await get(server.port, '/js/write?q=from-js!!!!!')).body, 'written');
  assert.equal((await get(server.port, '/read?11')).body, 'from-js!!!!');
  // Python writes -1 as 32 bits: JS reads the unsigned view, as uWSGI stores it
  await get(server.port, '/write32?-1');
  assert.equal((await get(server.port, '/js/u32')).body, '4294967295');
  // sharedarea_memoryview(): the area's bytes mapped into the Python process, both ways
  assert.equal((await get(server.port, '/mv-write?mapped-bytes')).body, '4096');
  assert.equal((await get(server.port, '/js/read-at?q=12')).body, 'mapped-bytes');
  await get(server.port, '/js/write-at?q=seen-from-js');
  assert.equal((await get(server.port, '/mv-read?12')).body, 'seen-from-js');
  const bumps: Promise<unknown>[] = [];
  for (let i = 0; i < 40; i++) bumps.push(get(server.port, i % 2 === 0 ? '/inc' : '/js/inc'));
  await Promise.all(bumps);
  assert.equal((await get(server.port, '/count')).body, '40');
});
