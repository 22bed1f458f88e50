// SharedArea (issue "Shared services" point 4): 4 workers add to one 64-bit counter 10,000 times
// (exact), a write in one worker is read in another and wakes a waiter, sizes in pages, uWSGI's
// startup lines and the `sharedareaN` locks in stats.
import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { httpGet } from '../helpers/http.js';
import { startServer } from '../helpers/server.js';

function statsLocks(port: number): Promise<Array<Record<string, number>>> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    socket.on('data', (d: Buffer) => {
      text += d.toString();
    });
    socket.on('end', () => resolve((JSON.parse(text) as { locks: Array<Record<string, number>> }).locks));
    socket.on('error', reject);
  });
}

test('sharedareas are shared by every worker', { timeout: 60_000 }, async (t) => {
  const server = await startServer([
    '--master',
    '--processes',
    '4',
    '--http-socket',
    '127.0.0.1:0',
    '--app',
    'test/fixtures/apps/sharedarea.mjs',
    '--sharedarea',
    '2',
    '--sharedarea',
    'size=100',
    '--stats',
    '127.0.0.1:0',
    '--disable-logging',
  ]);
  t.after(() => server.close());
  assert.match(server.log(), /sharedarea 0 created at 0x[0-9a-f]+ \(2 pages, area at 0x[0-9a-f]+\)/);
  assert.match(server.log(), /sharedarea 1 created at 0x[0-9a-f]+ \(1 pages, area at 0x[0-9a-f]+\)/);
  assert.equal((await httpGet(server.port, '/size')).body, '8192 100');

  const pids = new Set<string>();
  for (let round = 0; round < 5; round++) {
    const replies = await Promise.all(
      Array.from({ length: 8 }, () => httpGet(server.port, '/inc?n=250', 30_000)),
    );
    for (const r of replies) pids.add(r.body);
  }
  assert.equal((await httpGet(server.port, '/get')).body, '10000');
  assert.ok(pids.size >= 2, `served by ${pids.size} workers`);

  const waiting = httpGet(server.port, '/wait', 10_000);
  await new Promise((r) => setTimeout(r, 300));
  await httpGet(server.port, '/write?text=hello');
  assert.equal((await waiting).body, 'true', 'the write woke the waiter');
  const reads = await Promise.all(Array.from({ length: 8 }, () => httpGet(server.port, '/read?len=5')));
  assert.ok(reads.every((r) => r.body === 'hello'));
  assert.equal((await httpGet(server.port, '/missing')).body, 'ERR_API_BAD_ARGUMENT');

  const statsPort = Number(/Stats server enabled on [^:]*:(\d+) fd/.exec(server.log())?.[1]);
  const names = (await statsLocks(statsPort)).map((l) => Object.keys(l)[0]);
  // uWSGI 2.0.21's order with two sharedareas
  assert.deepEqual(names, [
    'user 0',
    'signal',
    'filemon',
    'timer',
    'rbtimer',
    'cron',
    'rpc',
    'sharedarea0',
    'sharedarea1',
    'snmp',
  ]);
});

test('a sharedarea option uwsgi-ts cannot serve names itself', { timeout: 20_000 }, async (t) => {
  const server = await startServer(
    [
      '--http-socket',
      '127.0.0.1:0',
      '--app',
      'test/fixtures/apps/sharedarea.mjs',
      '--sharedarea',
      'file=/tmp/x',
    ],
    { noWait: true },
  );
  t.after(() => server.close());
  await server.waitFor(/sharedarea "file=\/tmp\/x" \(command line --sharedarea\): "file" is not supported/);
});
