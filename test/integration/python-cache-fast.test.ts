// Python's uwsgi.cache_get read in the Python process itself (README "Python cache_get fast
// path", python/uwsgi_cache_map.py): a JS write is seen by Python at once, a missing key is None,
// expiry is honoured (the sweeper's removal is seen), a named, a murmur2 and a purge_lru cache
// (round trip) answer the same, and a JS writer rewriting the key with values of two lengths never gives
// Python a torn value. Speed is measured in bench/python-cache.mjs, not here.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO } from '../helpers/cli.js';
import { httpGet } from '../helpers/http.js';
import { PYTHON_PATH } from '../helpers/python.js';
import { type RunningServer, startServer } from '../helpers/server.js';

const DIR = join(REPO, 'test/fixtures/python-cache');

/** The in-process read needs libatomic.so.1 (Debian's libatomic1); CI installs it and requires it. */
function hasLibatomic(): boolean {
  try {
    execFileSync('/usr/bin/python3', ['-c', "import ctypes; ctypes.CDLL('libatomic.so.1')"], {
      stdio: 'ignore',
    });
    return true;
  } catch {
    if (process.env['UWSGI_TS_REQUIRE_LIBATOMIC']) {
      throw new Error('libatomic.so.1 is required (UWSGI_TS_REQUIRE_LIBATOMIC is set)');
    }
    return false;
  }
}
const skip = hasLibatomic()
  ? false
  : 'libatomic.so.1 (libatomic1) is not installed: cache_get takes the round trip';

async function start(extra: string[] = []): Promise<RunningServer> {
  return startServer(
    [
      '--master',
      '--processes',
      '2',
      '--http-socket',
      '127.0.0.1:0',
      '--mount',
      `/js=${DIR}/writer.mjs`,
      '--mount',
      `/py=${DIR}/reader.py`,
      '--manage-script-name',
      '--cache2',
      'name=main,items=100',
      '--cache2',
      'name=lru,items=10,purge_lru=1',
      '--cache2',
      'name=mm,items=10,hash=murmur2',
      '--cache-expire-freq',
      '1',
      ...extra,
    ],
    { env: { PATH: PYTHON_PATH } },
  );
}

const pyGet = async (server: RunningServer, key: string, cache?: string) => {
  const r = await httpGet(server.port, `/py/get?k=${key}${cache ? `&cache=${cache}` : ''}`);
  assert.equal(r.status, 200, r.body);
  return JSON.parse(r.body) as { value: string; fast: boolean };
};

test('a JS write is seen by Python at once; a missing key is None; expiry is honoured', {
  skip,
  timeout: 60_000,
}, async (t) => {
  const server = await start();
  t.after(() => server.close());
  const missing = await pyGet(server, 'nothing');
  assert.deepEqual(missing, { value: 'None', fast: true });
  for (const v of ['one', 'two', 'three']) {
    assert.equal((await httpGet(server.port, `/js/set?k=key&v=${v}`)).body, 'true');
    assert.deepEqual(await pyGet(server, 'key'), { value: `b'${v}'`, fast: true });
  }
  // a UTF-8 key, as str
  assert.equal((await httpGet(server.port, `/js/set?k=${encodeURIComponent('clé')}&v=accent`)).body, 'true');
  assert.equal((await pyGet(server, encodeURIComponent('clé'))).value, "b'accent'");
  // the named default cache is `main`; `lru` (purge_lru: its reads change it) takes the round trip
  assert.equal((await pyGet(server, 'key', 'main')).value, "b'three'");
  assert.equal((await pyGet(server, 'key', 'lru')).value, 'None');
  // a murmur2 cache: Python hashes keys of every length (1-3 trailing bytes) and UTF-8 as JS does
  for (const [i, k] of ['a', 'ab', 'abc', 'abcd', 'abcde', 'clé-ü'].entries()) {
    const key = encodeURIComponent(k);
    assert.equal((await httpGet(server.port, `/js/set?k=${key}&v=mm-${i}&c=mm`)).body, 'true');
    assert.equal((await pyGet(server, key, 'mm')).value, `b'mm-${i}'`);
  }
  // expires in 1 s: there now, gone once the sweeper (cache-expire-freq 1) has run
  assert.equal((await httpGet(server.port, '/js/set?k=short&v=lived&e=1')).body, 'true');
  assert.equal((await pyGet(server, 'short')).value, "b'lived'");
  const end = Date.now() + 15_000;
  let value = '';
  while (Date.now() < end) {
    value = (await pyGet(server, 'short')).value;
    if (value === 'None') break;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.equal(value, 'None');
});

test('a JS writer rewriting the key never gives Python a torn value', {
  skip,
  timeout: 60_000,
}, async (t) => {
  const server = await start();
  t.after(() => server.close());
  assert.equal((await httpGet(server.port, '/js/set?k=hot&v=start')).body, 'true');
  const [churn, watch] = await Promise.all([
    httpGet(server.port, '/js/churn?k=hot&ms=3000'),
    // starts while the writer runs (its first batch is written before this request arrives)
    new Promise((r) => setTimeout(r, 300)).then(() => httpGet(server.port, '/py/watch?k=hot&ms=2000')),
  ]);
  assert.equal(churn.status, 200);
  const writes = Number(churn.body);
  const seen = JSON.parse(watch.body) as { seen: Record<string, number>; reads: number; fast: boolean };
  assert.equal(seen.fast, true);
  assert.ok(writes > 1000, `only ${writes} writes`);
  assert.ok(seen.reads > 1000, `only ${seen.reads} reads`);
  // only whole values that were written
  for (const name of Object.keys(seen.seen)) assert.ok(['A*100', 'B*100', 'C*50'].includes(name), name);
  // both writer and reader ran at once: more than one value was seen
  assert.ok(Object.keys(seen.seen).length >= 2, JSON.stringify(seen.seen));
});
