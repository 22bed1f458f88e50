// Adaptive workers (issue "Operations" point 4): spare raises the worker count under a burst of
// slow requests and lowers it when idle, visible in stats; backlog reacts to the listen queue;
// the master FIFO's + and -; cheaper-rss-limit-soft; idle / die-on-idle / cheap; bad values.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli, tempFiles } from '../helpers/cli.js';
import { httpGet } from '../helpers/http.js';
import { type RunningServer, startServer } from '../helpers/server.js';

const APP = 'test/fixtures/apps/probe.mjs';

interface StatsWorker {
  id: number;
  pid: number;
  accepting: number;
  status: string;
  requests: number;
}

function statsOf(port: number): Promise<StatsWorker[]> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      text += d;
    });
    socket.on('end', () => resolve((JSON.parse(text) as { workers: StatsWorker[] }).workers));
    socket.on('error', reject);
  });
}

const statsPort = (server: RunningServer) =>
  Number(/Stats server enabled on [^:]*:(\d+) fd/.exec(server.log())?.[1]);

/** Workers that serve (spawned and ready). */
const running = (workers: readonly StatsWorker[]) =>
  workers.filter((w) => w.pid !== 0 && w.accepting === 1).length;

/** Polls the stats until `predicate` holds; returns the workers then. */
async function statsUntil(
  server: RunningServer,
  predicate: (workers: StatsWorker[]) => boolean,
  timeoutMs: number,
): Promise<StatsWorker[]> {
  const end = Date.now() + timeoutMs;
  let last: StatsWorker[] = [];
  while (Date.now() < end) {
    last = await statsOf(statsPort(server));
    if (predicate(last)) return last;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.fail(`stats never matched; last: ${JSON.stringify(last)}\n${server.log()}`);
}

const base = ['--master', '--http-socket', '127.0.0.1:0', '--app', APP, '--stats', '127.0.0.1:0'];

test('spare: a burst of slow requests raises the worker count, idleness lowers it (stats)', {
  timeout: 60_000,
}, async (t) => {
  const server = await startServer([
    ...base,
    '--processes',
    '4',
    '--cheaper',
    '1',
    '--cheaper-algo',
    'spare',
    '--cheaper-overload',
    '1',
  ]);
  t.after(() => server.close());
  // uWSGI's view of a cheaper instance: one worker, three slots never spawned (id 0, pid 0)
  const start = await statsOf(statsPort(server));
  assert.equal(start.length, 4);
  assert.equal(running(start), 1);
  assert.deepEqual(
    start.slice(1).map((w) => [w.id, w.pid, w.status]),
    [
      [0, 0, 'cheap'],
      [0, 0, 'cheap'],
      [0, 0, 'cheap'],
    ],
  );
  // a steady burst: 6 clients each asking for 1.5 s requests, one after another, for ~7 s
  const until = Date.now() + 7000;
  const clients = Array.from({ length: 6 }, async () => {
    let ok = 0;
    while (Date.now() < until) {
      const reply = await httpGet(server.port, '/slow?ms=1500', 20_000);
      assert.equal(reply.status, 200);
      ok++;
    }
    return ok;
  });
  const peak = await statsUntil(server, (w) => running(w) >= 3, 15_000);
  assert.ok(running(peak) >= 3, 'more workers under load');
  assert.match(server.log(), /spawned uWSGI worker 2 \(pid: \d+, cores: 1\)/);
  const served = (await Promise.all(clients)).reduce((a, b) => a + b, 0);
  assert.ok(served >= 6, 'every slow request was answered');
  // idle: one worker stopped per cycle until `cheaper` remain; stopped ones show as cheap
  const after = await statsUntil(server, (w) => running(w) === 1, 20_000);
  const cheaped = after.filter((w) => w.status === 'cheap' && w.id !== 0);
  assert.ok(cheaped.length >= 2, `stopped workers keep their id: ${JSON.stringify(after)}`);
  assert.ok(
    cheaped.every((w) => w.pid === 0),
    'a cheap worker has pid 0',
  );
  // a stopped worker's row keeps the counters of its last life (its final stats message may come
  // just after its exit is seen: the master keeps it then too); a slot spawned again shows its new
  // life's, so the rows need not add up to every request served
  await statsUntil(
    server,
    (w) => w.some((x) => x.status === 'cheap' && x.id !== 0 && x.requests > 0),
    10_000,
  );
  assert.match(server.log(), /worker \d killed successfully \(pid: \d+\)\n.*uWSGI worker \d cheaped\./);
  // the instance still serves
  assert.equal((await httpGet(server.port, '/')).body, 'ok');
});

test('backlog: connections waiting in the listen queue bring more workers', {
  timeout: 40_000,
}, async (t) => {
  const server = await startServer([
    ...base,
    '--processes',
    '3',
    '--cheaper',
    '1',
    '--cheaper-algo',
    'backlog',
    '--cheaper-overload',
    '2',
  ]);
  t.after(() => server.close());
  // the only worker blocks its event loop for 4 s: new connections queue in the kernel
  const blocked = httpGet(server.port, '/block?ms=4000', 20_000);
  await server.waitFor(/GET \/block|probe/, 500).catch(() => undefined);
  await new Promise((r) => setTimeout(r, 300));
  const waiting = Array.from({ length: 5 }, () => httpGet(server.port, '/pid', 20_000));
  // read from the log and the answers, not by polling the stats: a stats document waits for the
  // blocked worker's counters, and under load the second worker can come and be cheaped again
  // between two polls
  await server.waitFor(/spawned uWSGI worker [23] \(pid: \d+/, 15_000);
  const replies = await Promise.all([blocked, ...waiting]);
  assert.ok(replies.every((r) => r.status === 200));
  // the request line is logged after the answer: wait for it
  const blockedPid = (await server.waitFor(/\[pid: (\d+)\|[^\]]*\] [^\n]*GET \/block/, 10_000))[1];
  const helpers = new Set(replies.slice(1).map((r) => r.body));
  assert.ok(
    [...helpers].some((pid) => pid !== blockedPid),
    `a new worker served the waiting connections (pids ${[...helpers]}, blocked ${blockedPid})`,
  );
  await statsUntil(server, (w) => running(w) === 1, 20_000);
});

test('master FIFO + and - add and remove a worker (cheaper-algo manual)', {
  timeout: 30_000,
}, async (t) => {
  const tmp = tempFiles({});
  t.after(() => tmp.cleanup());
  const fifo = join(tmp.dir, 'master.fifo');
  const server = await startServer([
    ...base,
    '--processes',
    '3',
    '--cheaper',
    '1',
    '--cheaper-algo',
    'manual',
    '--master-fifo',
    fifo,
  ]);
  t.after(() => server.close());
  const write = (bytes: string) => writeFileSync(fifo, bytes);
  assert.equal(running(await statsOf(statsPort(server))), 1);
  write('+');
  await statsUntil(server, (w) => running(w) === 2, 10_000);
  write('+');
  await statsUntil(server, (w) => running(w) === 3, 10_000);
  write('+');
  await server.waitFor(/already running the most workers \(3\)/);
  write('-');
  await statsUntil(server, (w) => running(w) === 2, 10_000);
  await server.waitFor(/uWSGI worker 1 cheaped\./);
  write('-');
  await statsUntil(server, (w) => running(w) === 1, 10_000);
  write('-');
  await server.waitFor(/already running the fewest workers \(1\)/);
  assert.equal((await httpGet(server.port, '/')).body, 'ok');
});

test('cheaper-rss-limit-soft: no worker is added above the limit', { timeout: 30_000 }, async (t) => {
  const server = await startServer([
    ...base,
    '--processes',
    '3',
    '--cheaper',
    '1',
    '--cheaper-overload',
    '1',
    '--cheaper-rss-limit-soft',
    '1048576',
  ]);
  t.after(() => server.close());
  const slow = Array.from({ length: 3 }, () => httpGet(server.port, '/slow?ms=3500', 20_000));
  await server.waitFor(/above cheaper-rss-limit-soft 1048576: no new worker/, 10_000);
  await Promise.all(slow);
  assert.equal(running(await statsOf(statsPort(server))), 1);
});

test('idle: the workers go after S seconds without requests; the next connection brings them back', {
  timeout: 30_000,
}, async (t) => {
  const server = await startServer([...base, '--processes', '2', '--idle', '2']);
  t.after(() => server.close());
  const first = (await httpGet(server.port, '/pid')).body;
  await server.waitFor(/workers have been inactive for more than 2 seconds/, 10_000);
  await server.waitFor(/cheap mode enabled: waiting for socket connection\.\.\./);
  await statsUntil(server, (w) => running(w) === 0, 10_000);
  // the connection waits in the listen queue while the workers start again
  const reply = await httpGet(server.port, '/pid', 10_000);
  assert.equal(reply.status, 200);
  assert.notEqual(reply.body, first, 'a new worker answered');
});

test('cheap: no worker serves before the first connection, which is answered', {
  timeout: 30_000,
}, async (t) => {
  const server = await startServer([...base, '--processes', '2', '--cheap']);
  t.after(() => server.close());
  await server.waitFor(/cheap mode enabled: waiting for socket connection\.\.\./);
  await statsUntil(server, (w) => running(w) === 0, 10_000);
  assert.equal((await httpGet(server.port, '/', 10_000)).body, 'ok');
  await statsUntil(server, (w) => running(w) === 2, 10_000);
});

test('die-on-idle: the instance stops (exit 0) after S seconds without requests', {
  timeout: 30_000,
}, async (t) => {
  const server = await startServer([...base, '--processes', '1', '--idle', '1', '--die-on-idle']);
  t.after(() => server.close());
  const code = await new Promise<number | null>((resolve) => server.proc.once('exit', (c) => resolve(c)));
  assert.equal(code, 0);
  assert.match(server.log(), /workers have been inactive for more than 1 seconds/);
  assert.match(server.log(), /goodbye to uWSGI\./);
});

test('bad cheaper values are refused with their origin', { timeout: 20_000 }, async () => {
  const tooMany = await runCli(['--http-socket', '127.0.0.1:0', '--app', APP, '-p', '2', '--cheaper', '2']);
  assert.equal(tooMany.code, 1);
  assert.match(
    tooMany.stderr,
    /invalid cheaper value 2 \(command line --cheaper\): must be lower than processes.*ERR_CONFIG_BAD_VALUE/,
  );
  const algo = await runCli([
    '--http-socket',
    '127.0.0.1:0',
    '--app',
    APP,
    '-p',
    '2',
    '--cheaper',
    '1',
    '--cheaper-algo',
    'sparse',
  ]);
  assert.equal(algo.code, 1);
  // refused when the config is resolved, from the option row's choices (issue 11)
  assert.match(
    algo.stderr,
    /"sparse" is not one of spare, .*\(command line --cheaper-algo\) \[ERR_CONFIG_BAD_CHOICE\]/,
  );
});

test('--cheaper-algo-list prints uWSGI’s block with our algorithms', async () => {
  const list = await runCli(['--cheaper-algo-list']);
  assert.equal(list.code, 0);
  assert.match(
    list.stdout,
    /\*\*\* uWSGI loaded cheaper algorithms \*\*\*\nspare\nspare2\nbacklog\nmanual\nbusyness\n--- end/,
  );
});
