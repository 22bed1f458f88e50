// uwsgi signals against the real CLI (issue "Shared services" acceptance): a timer signal fires
// every second in the right target (worker2 only; every worker), handlers registered at import
// time, the modifier1 110 packet, a signal nobody handles, file monitors (API and fs-signal),
// signalWait, a remote signal, and the counters in the stats document. The app
// (test/fixtures/signal/signals-app.mjs) notes each handler run in a file per worker and signal.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli, tempFiles } from '../helpers/cli.js';
import { httpGet } from '../helpers/http.js';
import { startServer } from '../helpers/server.js';

const APP = 'test/fixtures/signal/signals-app.mjs';

/** How many times worker `w` ran the handler of `num`. */
function runs(dir: string, w: number, num: number): number {
  const file = join(dir, `w${w}-sig${num}`);
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).length : 0;
}

async function until(what: string, check: () => boolean, timeoutMs = 6000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function exchange(port: number, bytes: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(bytes));
    const chunks: Buffer[] = [];
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('close', () => resolve(Buffer.concat(chunks)));
    socket.on('error', reject);
    socket.setTimeout(5000, () => socket.destroy(new Error('no answer')));
  });
}

function stats(
  port: number,
): Promise<{ workers: Array<{ id: number; signals: number; signal_queue: number }> }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    socket.on('data', (d: Buffer) => {
      text += d.toString();
    });
    socket.on('end', () => resolve(JSON.parse(text)));
    socket.on('error', reject);
  });
}

test('timer to worker2 only, API timer, 110 packet, file monitors, wait, remote, stats', {
  timeout: 60_000,
}, async (t) => {
  const tmp = tempFiles({ watched: '', watched2: '' });
  const dir = tmp.dir;
  const server = await startServer(
    [
      '--master',
      '--processes',
      '2',
      '--http-socket',
      '127.0.0.1:0',
      '--socket',
      '127.0.0.1:0',
      '--app',
      APP,
      '--timer',
      '17 1',
      '--fs-signal',
      `${join(dir, 'watched2')} 18`,
      '--stats',
      '127.0.0.1:0',
      '--disable-logging',
    ],
    { env: { SIGNAL_DIR: dir, SIGNAL_TARGET: 'worker2', API_TIMER: '1', API_FILEMON: join(dir, 'watched') } },
  );
  // the workers write into the temp dir until they are gone: remove it after the stop
  t.after(async () => {
    await server.close();
    tmp.cleanup();
  });
  const [http = 0, uwsgi = 0] = server.ports;
  // registered at import time in each worker, with uWSGI's line
  for (const wid of [1, 2]) {
    assert.match(
      server.log(),
      new RegExp(`\\[uwsgi-signal\\] signum 17 registered \\(wid: ${wid} modifier1: 0 target: worker2\\)`),
    );
  }
  // the config timer reaches worker 2 only, the API timer (18, worker1) worker 1 only
  await until('two ticks in worker 2', () => runs(dir, 2, 17) >= 2 && runs(dir, 1, 18) >= 2);
  assert.equal(runs(dir, 1, 17), 0);
  assert.equal(runs(dir, 2, 18), 0);
  const ticks = runs(dir, 2, 17);
  await new Promise((r) => setTimeout(r, 1100));
  assert.ok(runs(dir, 2, 17) > ticks, 'still ticking');

  // addFileMonitor(19): a touch raises 19 in every worker; fs-signal logs uWSGI's lines
  await server.waitFor(/\[uwsgi-fsmon\] registered monitor for ".*watched"/);
  writeFileSync(join(dir, 'watched'), 'x');
  await until('the monitor signal in both workers', () => runs(dir, 1, 19) === 1 && runs(dir, 2, 19) === 1);
  await server.waitFor(/ - \[uwsgi-fsmon\] detected event on ".*watched"/);
  writeFileSync(join(dir, 'watched2'), 'x');
  await server.waitFor(/ - \[uwsgi-fsmon\] detected event on ".*watched2"/);

  // modifier1 110: queued, `ff 0000 01`; 19 goes to both workers
  assert.equal((await exchange(uwsgi, Buffer.from('6e000013', 'hex'))).toString('hex'), 'ff000001');
  await until('the packet signal in both workers', () => runs(dir, 1, 19) === 2 && runs(dir, 2, 19) === 2);
  // nobody handles 30: one worker says so, as uWSGI does
  assert.equal((await exchange(uwsgi, Buffer.from('6e00001e', 'hex'))).toString('hex'), 'ff000001');
  await server.waitFor(/ - error managing signal 30 on worker [12]/);

  assert.equal((await httpGet(http, '/registered/17')).body, 'true');
  assert.equal((await httpGet(http, '/registered/40')).body, 'false');
  assert.equal((await httpGet(http, '/raise/256')).body, 'ERR_API_BAD_ARGUMENT');

  // signalWait(21) resolves when 21 reaches that worker (21 goes to every worker)
  const waiting = httpGet(http, '/wait/21');
  let answered = false;
  void waiting.then(() => {
    answered = true;
  });
  while (!answered) {
    await exchange(uwsgi, Buffer.from('6e000015', 'hex'));
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.match((await waiting).body, /^w[12] got 21$/);
  assert.equal((await httpGet(http, '/received')).body.length > 0, true);

  // a remote signal through the API: to this instance's uwsgi socket, and to nobody
  const before = runs(dir, 1, 19);
  assert.equal((await httpGet(http, `/remote/19?node=127.0.0.1:${uwsgi}`)).body, 'delivered');
  await until('the remote signal', () => runs(dir, 1, 19) > before);
  assert.equal((await httpGet(http, '/remote/19?node=127.0.0.1:1')).body, 'ERR_SIGNAL_NOT_DELIVERED');

  const statsPort = Number(/Stats server enabled on [^:]*:(\d+) fd/.exec(server.log())?.[1]);
  const doc = await stats(statsPort);
  const byId = new Map(doc.workers.map((w) => [w.id, w]));
  assert.ok((byId.get(2)?.signals ?? 0) >= ticks, `worker 2 counted ${byId.get(2)?.signals}`);
  assert.ok((byId.get(1)?.signals ?? 0) >= 2);
  assert.equal(typeof byId.get(1)?.signal_queue, 'number');
});

test('a timer to `workers` ticks in every worker; a bad timer line stops the start', {
  timeout: 30_000,
}, async (t) => {
  const tmp = tempFiles({});
  t.after(tmp.cleanup);
  const server = await startServer(
    [
      '--processes',
      '2',
      '--http-socket',
      '127.0.0.1:0',
      '--app',
      APP,
      '--timer',
      '17 1',
      '--disable-logging',
    ],
    { env: { SIGNAL_DIR: tmp.dir, SIGNAL_TARGET: 'workers' } },
  );
  t.after(() => server.close());
  await until('two ticks in each worker', () => runs(tmp.dir, 1, 17) >= 2 && runs(tmp.dir, 2, 17) >= 2);

  const bad = await runCli(['--http-socket', '127.0.0.1:0', '--app', APP, '--timer', '17 soon'], {
    timeoutMs: 10_000,
  });
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /invalid timer "17 soon"/);
});
