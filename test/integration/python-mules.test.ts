// Mules from Python (issue 14 point 2; README "Python: signals, mules, sharedarea"): `mule =
// script.py` runs a Python script as uWSGI does (as __main__, started again when it returns); a
// Python worker's mule_msg() and a JS app's muleMsg() reach its mule_get_msg(); its
// register_signal handler (target `mule`) runs signals the workers raise; mule_id().
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { REPO } from '../helpers/cli.js';
import { httpGet as get, untilBody } from '../helpers/http.js';
import { PYTHON_PATH } from '../helpers/python.js';
import { startServer } from '../helpers/server.js';

const DIR = resolve(REPO, 'test/fixtures/python/mules');

const until = untilBody;

test('a Python mule script takes messages from Python and JS workers, runs its signal handler, and is started again when it returns', {
  timeout: 60_000,
}, async (t) => {
  const server = await startServer(
    [
      '--master',
      '--http-socket',
      '127.0.0.1:0',
      '--processes',
      '2',
      '--cache2',
      'name=default,items=100',
      '--manage-script-name',
      '--mount',
      `/=${DIR}/app.py`,
      '--mount',
      `/js=${DIR}/send.mjs`,
      `--mule=${DIR}/brain.py`,
    ],
    { env: { PATH: PYTHON_PATH } },
  );
  t.after(() => server.close());
  await server.waitFor(/\[uwsgi-signal\] signum 33 registered \(wid: 0 modifier1: 0 target: mule\)/);
  await until(server.port, '/get?mule-id', (b) => b === '1', 'mule_id() in the mule');
  const firstPid = (await get(server.port, '/get?mule-pid')).body;
  // workers: mule_id() is 0, mule_get_msg() refused as in uWSGI, a mule that does not exist is False
  assert.equal((await get(server.port, '/mule-id')).body, '0');
  assert.equal(
    (await get(server.port, '/get-msg')).body,
    'ValueError: you can receive mule messages only in a mule !!!',
  );
  assert.equal((await get(server.port, '/send-to?5=x')).body, 'False');
  // Python worker -> Python mule
  assert.equal((await get(server.port, '/send?hello')).body, 'True');
  await until(server.port, '/get?last-message', (b) => b === 'hello', 'Python worker -> mule');
  // JS app -> Python mule
  assert.equal((await get(server.port, '/js/?m=from-js')).body, 'true');
  await until(server.port, '/get?last-message', (b) => b === 'from-js', 'JS app -> mule');
  // a worker raises 33, the mule's handler runs it (beside its blocked mule_get_msg)
  await get(server.port, '/signal?33');
  await until(server.port, '/num?mule-signals', (b) => b === '1', 'signal to the mule');
  // mule_get_msg(timeout=1): None when nothing came
  await get(server.port, '/send?timeout');
  await until(server.port, '/get?timeout-answer', (b) => b === 'None', 'mule_get_msg timeout');
  assert.equal((await get(server.port, '/num?messages')).body, '3');
  // the script returns: the mule ends and is started again (uWSGI's line)
  await get(server.port, '/send?stop');
  await server.waitFor(/OOOPS mule 1 \(pid: \d+\) crippled\.\.\.trying respawn\.\.\./, 20_000);
  await until(server.port, '/num?mule-starts', (b) => b === '2', 'the mule started again');
  await until(server.port, '/get?mule-pid', (b) => b !== firstPid, 'a new mule process');
});

test('a Python mule script that raises logs its traceback and is started again', {
  timeout: 40_000,
}, async (t) => {
  const { tempFiles } = await import('../helpers/cli.js');
  const tmp = tempFiles({
    'bad.py':
      'import uwsgi\nuwsgi.cache_inc("starts", 1)\nimport time\ntime.sleep(0.5)\nraise RuntimeError("mule says no")\n',
    'app.py':
      'import uwsgi\ndef application(e, sr):\n    sr("200 OK", [])\n    return [str(uwsgi.cache_num("starts")).encode()]\n',
  });
  t.after(tmp.cleanup);
  const server = await startServer(
    [
      '--master',
      '--http-socket',
      '127.0.0.1:0',
      '--cache2',
      'name=default,items=10',
      '--wsgi-file',
      `${tmp.dir}/app.py`,
      `--mule=${tmp.dir}/bad.py`,
    ],
    { env: { PATH: PYTHON_PATH } },
  );
  t.after(() => server.close());
  await server.waitFor(/RuntimeError: mule says no/, 20_000);
  await until(server.port, '/', (b) => Number(b) >= 2, 'started again after the exception');
});

test('a signal-only mule loads the Python app: @mulefunc calls run there, and its `mule` signal handlers', {
  timeout: 40_000,
}, async (t) => {
  const app = resolve(REPO, 'test/fixtures/python/mulefunc/app.py');
  const server = await startServer(
    [
      '--master',
      '--http-socket',
      '127.0.0.1:0',
      '--processes',
      '2',
      '--cache2',
      'name=default,items=100',
      '--wsgi-file',
      app,
      '--mule',
    ],
    { env: { PATH: PYTHON_PATH } },
  );
  t.after(() => server.close());
  await server.waitFor(/\[uwsgi-signal\] signum 34 registered \(wid: 0 modifier1: 0 target: mule\)/);
  const caller = (await get(server.port, '/call')).body.match(/pid (\d+)/)?.[1];
  const ran = await until(server.port, '/get?mulefunc', (b) => b !== '-', '@mulefunc');
  const match = ran.match(/^hello\*3 in mule 1 \(pid (\d+)\)$/);
  assert.ok(match, ran);
  assert.notEqual(match[1], caller, 'it ran in the mule, not in the worker');
  await get(server.port, '/signal');
  await until(server.port, '/get?mule-signal', (b) => b === 'mule 1', 'the mule ran signal 34');
});
