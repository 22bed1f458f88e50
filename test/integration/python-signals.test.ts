// uwsgi signals from Python (issue 14 point 2; README "Python: signals, mules, sharedarea"):
// register_signal and the uwsgidecorators signal/timer/filemon on the signal table the JS workers
// use, so a JS app raises a signal a Python handler runs and back; a slow handler does not hold a
// request up; signal_wait; and the module's answers compared with uWSGI 2.0.21's (recorded in
// test/fixtures/python/uwsgi-2.0.21-pysig.json by running pysig_probe.py under uWSGI).
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { REPO, tempFiles } from '../helpers/cli.js';
import { httpGet as get, untilBody } from '../helpers/http.js';
import { PYTHON_PATH } from '../helpers/python.js';
import { startServer } from '../helpers/server.js';

const DIR = resolve(REPO, 'test/fixtures/python');
const APP = `${DIR}/signals/sigapp.py`;
const JS_APP = `${DIR}/signals/jsapp.mjs`;

const until = untilBody;

test('a Python handler runs a signal raised by Python and by a JS app; a JS handler runs one raised by Python; `workers` reaches each worker', {
  timeout: 60_000,
}, async (t) => {
  const tmp = tempFiles({});
  t.after(tmp.cleanup);
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
      `/=${APP}`,
      '--mount',
      `/js=${JS_APP}`,
    ],
    { env: { PATH: PYTHON_PATH, SIG_MONITORED: tmp.dir } },
  );
  t.after(() => server.close());
  await server.waitFor(
    /\[uwsgi-signal\] signum 17 registered \(wid: 2 modifier1: 0 target: default, any worker\)/,
  );
  await server.waitFor(/\[uwsgi-signal\] signum 18 registered \(wid: 1 modifier1: 0 target: workers\)/);

  // Python raises, a Python handler runs (in some worker's Python process)
  assert.equal((await get(server.port, '/raise?17')).body, 'raised');
  await until(server.port, '/num?py17', (b) => b === '1', 'Python -> Python');
  // a JS app raises, the Python handler runs
  assert.equal((await get(server.port, '/js/?n=17')).body, 'js raised 17');
  await until(server.port, '/num?py17', (b) => b === '2', 'JS -> Python');
  const pid = (await get(server.port, '/get?py17-pid')).body;
  assert.match(pid, /^\d+$/, 'the handler ran in a Python process');
  // Python raises 40, the JS app's handler runs
  await get(server.port, '/raise?40');
  await until(server.port, '/js/?n=250', () => true, 'JS app answers');
  await until(server.port, '/num?js40', (b) => b === '1', 'Python -> JS');
  // target `workers`: every worker runs it
  await get(server.port, '/raise?18');
  await until(server.port, '/num?py18', (b) => b === '2', '`workers` target');
  // @timer(1) on a free signal number (the lowest: 0), every process picked the same
  await until(server.port, '/num?ticks', (b) => Number(b) >= 2, '@timer(1)');
  assert.equal((await get(server.port, '/get?tick-num')).body, '0');
  // a handler that raises: its traceback in the log, and the process goes on handling signals
  await get(server.port, '/raise?22');
  await server.waitFor(/the handler of signal 22 raised:[\s\S]*RuntimeError: handler 22 fails/);
  await get(server.port, '/raise?17');
  await until(server.port, '/num?py17', (b) => b === '3', 'signals after a handler raised');
  // @filemon on the temp dir
  writeFileSync(join(tmp.dir, 'touched'), 'x');
  await until(server.port, '/num?filemon', (b) => Number(b) >= 1, '@filemon');
  // add_cron was accepted and reached the master's table (its minute matches: -1)
  await server.waitFor(/\[uwsgi-cron\] routing signal 30/, 20_000);
  // signal_registered: the process's own handlers and the JS table, None for the others
  assert.equal(
    (await get(server.port, '/registered')).body,
    '[True, True, True, True, True, None, None, None]',
  );
});

test('a slow Python signal handler does not hold up the request its process is serving or the next', {
  timeout: 40_000,
}, async (t) => {
  const server = await startServer(
    ['--master', '--http-socket', '127.0.0.1:0', '--cache2', 'name=default,items=100', '--wsgi-file', APP],
    { env: { PATH: PYTHON_PATH, SIG_MONITORED: REPO } },
  );
  t.after(() => server.close());
  // one worker, one Python process: the handler of 19 sleeps 4 s in its signal thread
  await get(server.port, '/raise?19');
  const started = Date.now();
  for (let i = 0; i < 5; i++) assert.equal((await get(server.port, '/pid')).status, 200);
  const took = Date.now() - started;
  assert.ok(took < 3000, `five requests took ${took} ms while the handler slept 4 s`);
  assert.equal((await get(server.port, '/num?py19')).body, '0', 'the handler is still sleeping');
  await until(server.port, '/num?py19', (b) => b === '1', 'the slow handler finished');
});

test('a graceful reload while a Python signal handler runs: the handler finishes, the new worker serves, nothing is logged as failed', {
  timeout: 60_000,
}, async (t) => {
  const server = await startServer(
    ['--master', '--http-socket', '127.0.0.1:0', '--cache2', 'name=default,items=100', '--wsgi-file', APP],
    { env: { PATH: PYTHON_PATH, SIG_MONITORED: REPO } },
  );
  t.after(() => server.close());
  const before = (await get(server.port, '/pid')).body;
  // the handler of 19 sleeps 4 s in the signal thread of the only worker's Python process
  await get(server.port, '/raise?19');
  process.kill(server.pid, 'SIGHUP');
  await until(server.port, '/pid', (b) => /^\d+$/.test(b) && b !== before, 'a new worker', 30_000);
  // the old worker goes once its handler returned (the cache outlives the reload): it ran to its end
  await server.waitFor(/worker 1 buried after/, 20_000);
  assert.equal((await get(server.port, '/num?py19')).body, '1');
  const log = server.log();
  assert.doesNotMatch(log, /Traceback|signal handler .* (failed|raised)|killed/i, log);
});

test('uwsgi.signal_wait() blocks until the worker gets the signal; signal_received() names it', {
  timeout: 40_000,
}, async (t) => {
  const server = await startServer(
    [
      '--master',
      '--http-socket',
      '127.0.0.1:0',
      '--threads',
      '2',
      '--cache2',
      'name=default,items=100',
      '--wsgi-file',
      APP,
    ],
    { env: { PATH: PYTHON_PATH, SIG_MONITORED: REPO } },
  );
  t.after(() => server.close());
  const waiting = get(server.port, '/wait?21', 20_000);
  let answered = false;
  waiting.then(() => {
    answered = true;
  });
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(answered, false, 'signal_wait blocks');
  await get(server.port, '/raise?21');
  // uWSGI 2.0.21 answers b'' and signal_received() the number
  assert.equal((await waiting).body, "(b'', 21)");
});

test("the uwsgi module's signal, mule and sharedarea answers match uWSGI 2.0.21's", {
  timeout: 40_000,
}, async (t) => {
  const recorded = JSON.parse(readFileSync(`${DIR}/uwsgi-2.0.21-pysig.json`, 'utf8')) as Record<
    string,
    string
  >;
  const server = await startServer(
    [
      '--master',
      '--http-socket',
      '127.0.0.1:0',
      '--wsgi-file',
      `${DIR}/pysig_probe.py`,
      '--sharedarea',
      '1',
      '--mule',
      '--cache2',
      'name=default,items=10',
    ],
    { env: { PATH: PYTHON_PATH } },
  );
  t.after(() => server.close());
  const ours = JSON.parse((await get(server.port, '/')).body) as Record<string, string>;
  // deliberate differences (README "Python: signals, mules, sharedarea"): an unknown target is
  // refused at once (uWSGI logs it at each raise); error texts say why
  const differ: Record<string, RegExp> = {
    register_signal_bad_target: /^raise ValueError: registerSignal\(18\): unknown target "nosuch"/,
  };
  for (const [key, theirs] of Object.entries(recorded)) {
    const mine = ours[key] ?? '';
    const why = differ[key];
    if (why) {
      assert.match(mine, why, key);
      continue;
    }
    if (theirs.startsWith('raise AttributeError')) {
      // not in uWSGI's module: not in ours (NotSupported is an AttributeError)
      assert.match(mine, /^raise NotSupported: /, key);
      continue;
    }
    if (theirs.startsWith('raise ValueError')) {
      assert.ok(mine.startsWith(theirs), `${key}: ${mine} should start with ${theirs}`);
      continue;
    }
    assert.equal(mine, theirs, key);
  }
});
