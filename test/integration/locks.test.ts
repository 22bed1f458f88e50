// User locks across workers (issue "Shared services" acceptance): 4 workers each increment a
// number kept in a file 2,500 times under lock 0: the final value is exactly 10,000. The stats
// document shows who holds a lock; a lock id that does not exist is a coded error.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempFiles } from '../helpers/cli.js';
import { httpGet } from '../helpers/http.js';
import { startServer } from '../helpers/server.js';

const APP = 'test/fixtures/apps/locks.mjs';

function stats(port: number): Promise<{ locks: Array<Record<string, number>> }> {
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

test('locks serialise 10,000 increments from 4 workers; stats show the holder', {
  timeout: 60_000,
}, async (t) => {
  const tmp = tempFiles({ counter: '0' });
  t.after(tmp.cleanup);
  const counter = join(tmp.dir, 'counter');
  const server = await startServer([
    '--master',
    '--processes',
    '4',
    '--http-socket',
    '127.0.0.1:0',
    '--app',
    APP,
    '--locks',
    '2',
    '--stats',
    '127.0.0.1:0',
    '--disable-logging',
  ]);
  t.after(() => server.close());
  // 40 requests of 250 increments each, 8 at a time: every worker takes part
  const pids = new Set<string>();
  for (let round = 0; round < 5; round++) {
    const replies = await Promise.all(
      Array.from({ length: 8 }, () =>
        httpGet(server.port, `/inc?n=250&file=${encodeURIComponent(counter)}`, 30_000),
      ),
    );
    for (const r of replies) {
      assert.equal(r.status, 200);
      pids.add(r.body);
    }
  }
  assert.equal(readFileSync(counter, 'utf8'), '10000');
  assert.ok(pids.size >= 2, `served by ${pids.size} workers`);

  const statsPort = Number(/Stats server enabled on [^:]*:(\d+) fd/.exec(server.log())?.[1]);
  const held = httpGet(server.port, '/hold?ms=1500');
  let holder = 0;
  for (let i = 0; i < 20 && holder === 0; i++) {
    await new Promise((r) => setTimeout(r, 50));
    holder = (await stats(statsPort)).locks.find((l) => 'user 1' in l)?.['user 1'] ?? 0;
  }
  const doc = await stats(statsPort);
  assert.deepEqual(Object.keys(doc.locks[0] ?? {}), ['user 0']);
  assert.equal(String(holder), (await held).body, 'stats named the worker holding lock 1');
  assert.equal((await stats(statsPort)).locks.find((l) => 'user 1' in l)?.['user 1'], 0, 'free again');
  assert.equal((await httpGet(server.port, '/bad')).body, 'ERR_API_BAD_ARGUMENT');
});
