// Mules against the real CLI (seed manual "uWSGI Mules"; issue "Shared services" acceptance: two
// workers and a mule see each other's cache writes immediately). A programmed mule
// (test/fixtures/mule/brain.mjs) and a signal-only mule that loads the app
// (test/fixtures/mule/app.mjs): cache writes in both directions, mule messages, signals to
// mule1 / mules, a killed mule respawned with uWSGI's lines, a script that ends respawned, the
// mules stopped with the instance, and a bad farm refused.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { httpGet } from '../helpers/http.js';
import { startServer } from '../helpers/server.js';

const APP = 'test/fixtures/mule/app.mjs';

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 8000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 30));
  }
}

/** GET /get?k=KEY: the value and the worker that read it. */
async function read(port: number, key: string): Promise<{ value: string; worker: string }> {
  const r = await httpGet(port, `/get?k=${encodeURIComponent(key)}`);
  assert.equal(r.status, 200);
  return { value: r.body, worker: String(r.headers['x-worker']) };
}

/** Reads `key` until both workers have answered; every answer must be `expected`. */
async function bothWorkersRead(port: number, key: string, expected: string): Promise<void> {
  const seen = new Set<string>();
  for (let i = 0; i < 200 && seen.size < 2; i++) {
    const r = await read(port, key);
    assert.equal(r.value, expected, `worker ${r.worker} read ${key}`);
    seen.add(r.worker);
  }
  assert.deepEqual([...seen].sort(), ['1', '2']);
}

test('two workers and two mules share the cache, messages and signals; mules respawn and stop with the instance', {
  timeout: 90_000,
}, async (t) => {
  const server = await startServer([
    '--master',
    '--processes',
    '2',
    '--http-socket',
    '127.0.0.1:0',
    '--app',
    APP,
    // an optional value takes `=`, as in uWSGI (`--mule somaro.py` would read a config file)
    '--mule=test/fixtures/mule/brain.mjs',
    '--mule',
    '--cache2',
    'name=default,items=100',
    '--disable-logging',
  ]);
  t.after(() => server.close());
  const port = server.port;
  const first = await server.waitFor(/spawned uWSGI mule 1 \(pid: (\d+)\)/);
  await server.waitFor(/spawned uWSGI mule 2 \(pid: \d+\)/);
  const pid1 = Number(first[1]);

  // what the mule wrote, both workers read: the mule's id, and worker id 0 in a mule (as uWSGI)
  const wrote = await until('the mule to write', async () => {
    const r = await read(port, 'mule-wrote');
    return r.value === '-' ? undefined : r.value;
  });
  assert.equal(wrote, `mule 1 worker 0 pid ${pid1}`);
  await bothWorkersRead(port, 'mule-wrote', wrote);

  // what a worker writes, the other worker reads at once and the mule sees without being told
  const set = await httpGet(port, '/set?k=to-mule&v=from-a-worker');
  assert.equal(set.body, 'true');
  await bothWorkersRead(port, 'to-mule', 'from-a-worker');
  await until('the mule to see the worker write', async () =>
    (await read(port, 'from-mule')).value === 'mule saw from-a-worker' ? true : undefined,
  );

  // mule messages: to mule 1 by id, and to "the next programmed mule" (mule 1, the only one)
  assert.equal((await httpGet(port, '/msg?to=1&m=hello')).body, 'true');
  await until('mule 1 to get the message', async () =>
    (await read(port, 'mule-msg')).value === 'mule 1 got hello' ? true : undefined,
  );
  await httpGet(port, '/msg?m=anyone');
  await until('a programmed mule to get the message', async () =>
    (await read(port, 'mule-msg')).value === 'mule 1 got anyone' ? true : undefined,
  );
  // a message for a mule that does not exist is dropped with a line
  await httpGet(port, '/msg?to=9&m=lost');
  await server.waitFor(/mule_msg\(\): mule 9 is not running: message dropped/);

  // signals: 17 registered by the programmed mule for mule1, 18 by the app for every mule
  await httpGet(port, '/signal?n=17');
  await until('signal 17 in mule 1', async () =>
    (await read(port, 'sig17')).value === 'handled by mule 1' ? true : undefined,
  );
  // the signal-only mule registers 18 once it has loaded the app: both workers and it, before 18
  // is raised (a signal that reaches a mule still loading finds no handler, as in a worker)
  await until('every process to register signal 18', async () =>
    (server.log().match(/signum 18 registered/g) ?? []).length >= 3 ? true : undefined,
  );
  await httpGet(port, '/signal?n=18');
  await until('signal 18 in the signal-only mule', async () =>
    (await read(port, 'sig18-mule2')).value === 'handled' ? true : undefined,
  );
  // the workers registered 18 too, but its target is the mules: no worker ran it
  assert.equal((await read(port, 'sig18-mule0')).value, '-');

  // a killed mule is respawned with uWSGI's lines, and its script runs again
  process.kill(pid1, 'SIGKILL');
  await server.waitFor(
    new RegExp(`OOOPS mule 1 \\(pid: ${pid1}\\) crippled\\.\\.\\.trying respawn\\.\\.\\.`),
  );
  const again = await server.waitFor(new RegExp(`spawned uWSGI mule 1 \\(pid: (?!${pid1}\\))(\\d+)\\)`));
  const pid2 = Number(again[1]);
  assert.notEqual(pid2, pid1);
  await until('the respawned mule to write', async () =>
    (await read(port, 'mule-wrote')).value === `mule 1 worker 0 pid ${pid2}` ? true : undefined,
  );
  assert.equal((await httpGet(port, '/num?k=brain-starts')).body, '2');

  // the workers are workers, not mules
  assert.match((await httpGet(port, '/id')).body, /^worker [12] mule 0$/);

  // a graceful reload restarts the mules too: their script runs again
  process.kill(server.pid, 'SIGHUP');
  await server.waitFor(new RegExp(`mule 1 \\(pid: ${pid2}\\) annihilated`), 20_000);
  const third = await server.waitFor(
    new RegExp(`spawned uWSGI mule 1 \\(pid: (?!${pid1}\\))(?!${pid2}\\))(\\d+)\\)`),
    20_000,
  );
  await until('the reloaded mule to write', async () =>
    (await read(port, 'mule-wrote')).value === `mule 1 worker 0 pid ${third[1]}` ? true : undefined,
  );

  // a graceful stop stops the mules with uWSGI's line
  process.kill(server.pid, 'SIGTERM');
  await server.waitFor(new RegExp(`mule 1 \\(pid: ${third[1]}\\) annihilated`));
  await server.waitFor(/mule 2 \(pid: \d+\) annihilated[\s\S]*mule 2 \(pid: \d+\) annihilated/);
  await server.waitFor(/goodbye to uWSGI/);
});

test('a programmed mule whose script ends is respawned, as uWSGI does', { timeout: 30_000 }, async (t) => {
  const server = await startServer([
    '--master',
    '--http-socket',
    '127.0.0.1:0',
    '--app',
    APP,
    '--mule=test/fixtures/mule/once.mjs',
    '--cache2',
    'name=default,items=10',
    '--disable-logging',
  ]);
  t.after(() => server.close());
  await server.waitFor(/OOOPS mule 1 \(pid: \d+\) crippled\.\.\.trying respawn\.\.\./);
  await until('the script to run twice', async () => {
    const runs = (await httpGet(server.port, '/num?k=once-runs')).body;
    return Number(runs) >= 2 ? true : undefined;
  });
});

test('a farm naming a mule that does not exist stops the start with its origin', async () => {
  const r = await runCli(['--http-socket', '127.0.0.1:0', '--app', APP, '--mule', '--farm', 'f:1,2']);
  assert.notEqual(r.code, 0);
  assert.match(
    r.stderr,
    /invalid farm "f:1,2": give NAME:ID\[,ID\.\.\.\] with mule ids 1\.\.1 \(command line --farm\)/,
  );
  assert.match(r.stderr, /ERR_CONFIG_BAD_VALUE/);
});
