// Mules finished (issue 16 point 2) against the real CLI: 10,000 messages from 2 workers reach a
// mule with none lost or duplicated; a farm spreads its messages over its mules, each message once;
// mule-msg-size refuses a bigger message (uWSGI 2.0.21 cuts it to the size: recorded 70,000 bytes
// read as 65,536); muleFunction() runs in mule 1; the stats `mules` rows; a mule stuck in a signal
// handler past mule-harakiri is killed with uWSGI's line and respawned, and the workers serve on.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO } from '../helpers/cli.js';
import { httpGet } from '../helpers/http.js';
import { startServer } from '../helpers/server.js';

const FIXTURES = join(REPO, 'test/fixtures/mule');

function lines(file: string): string[] {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}

async function until(what: string, probe: () => boolean, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function readStats(path: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    let text = '';
    net
      .connect(path)
      .on('data', (d) => {
        text += d.toString();
      })
      .on('end', () => resolve(JSON.parse(text) as Record<string, unknown>))
      .on('error', reject);
  });
}

test('10,000 messages from 2 workers, a farm of 2, mule-msg-size, muleFunction, stats rows, mule-harakiri', {
  timeout: 120_000,
}, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'uwsgi-ts-mule-msg-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, 'out.txt');
  const stats = join(dir, 'stats.sock');
  const server = await startServer(
    [
      '--master',
      '--processes',
      '2',
      '--http-socket',
      '127.0.0.1:0',
      '--app',
      join(FIXTURES, 'farm-app.mjs'),
      // an optional argument goes after `=` (a bare next word is a config file, as in uWSGI)
      '--mule',
      `--mule=${join(FIXTURES, 'collector.mjs')}`,
      `--mule=${join(FIXTURES, 'farmer.mjs')}`,
      `--mule=${join(FIXTURES, 'farmer.mjs')}`,
      '--farm',
      'f:3,4',
      '--mule-harakiri',
      '2',
      '--stats',
      stats,
      '--disable-logging',
    ],
    { cwd: dir, env: { MULE_OUT: out } },
  );
  t.after(() => server.close());

  // 10,000 messages: 2 x 10 requests of 500, spread over both workers by the kernel
  const replies = await Promise.all(
    Array.from({ length: 20 }, (_, i) => httpGet(server.port, `/burst?count=500&tag=${i}`, 30_000)),
  );
  assert.deepEqual(
    replies.map((r) => r.body),
    Array.from({ length: 20 }, () => '500'),
  );
  await until(
    '10,000 messages in mule 2',
    () => lines(out).filter((l) => l.startsWith('msg w')).length >= 10_000,
  );
  const got = lines(out).filter((l) => l.startsWith('msg w'));
  assert.equal(got.length, 10_000, 'none duplicated');
  assert.equal(new Set(got).size, 10_000, 'none lost');
  const byWorker = new Set(got.map((l) => l.split('-')[0]));
  assert.ok(byWorker.size >= 1, 'sent from the workers');

  // a farm: every message once, spread over both of its mules
  assert.equal((await httpGet(server.port, '/farm?count=400')).body, 'queued');
  await until('400 farm messages', () => lines(out).filter((l) => l.startsWith('farm ')).length >= 400);
  const farm = lines(out).filter((l) => l.startsWith('farm '));
  assert.equal(farm.length, 400);
  assert.equal(new Set(farm.map((l) => l.split(' ')[2])).size, 400, 'each farm message once');
  const perMule = new Map<string, number>();
  for (const l of farm)
    perMule.set(l.split(' ')[1] as string, (perMule.get(l.split(' ')[1] as string) ?? 0) + 1);
  assert.deepEqual(
    [...perMule.keys()].sort(),
    ['mule3', 'mule4'],
    `both farm mules took some: ${[...perMule]}`,
  );

  // mule-msg-size (65,536 by default): the size itself passes whole, one byte more is refused
  assert.equal((await httpGet(server.port, '/big?bytes=65536')).body, 'sent');
  await until('the 65,536-byte message', () => lines(out).includes('msg 65536 bytes'));
  assert.equal((await httpGet(server.port, '/big?bytes=65537')).body, 'ERR_API_BAD_ARGUMENT');

  // muleFunction(): the call in a worker runs the function in mule 1
  assert.equal((await httpGet(server.port, '/record?n=7')).body, 'true');
  await until('the mule function', () => lines(out).includes('record 7 in mule 1'));

  // the stats document's mules rows (ours: uWSGI 2.0.21 has none)
  const doc = await readStats(stats);
  const mules = doc['mules'] as Array<{ id: number; pid: number; farms: string[]; respawns: number }>;
  assert.deepEqual(
    mules.map((m) => [m.id, m.farms, m.respawns]),
    [
      [1, [], 0],
      [2, [], 0],
      [3, ['f'], 0],
      [4, ['f'], 0],
    ],
  );
  assert.ok(mules.every((m) => m.pid > 0));

  // mule-harakiri: mule 1's handler of signal 17 is stuck; killed after 2 s and respawned
  const mule1 = mules[0]?.pid ?? 0;
  assert.equal((await httpGet(server.port, '/slow')).body, 'raised');
  await server.waitFor(
    new RegExp(`\\*\\*\\* HARAKIRI ON MULE 1 HANDLING SIGNAL 17 \\(pid: ${mule1}\\) \\*\\*\\*`),
    15_000,
  );
  await server.waitFor(
    new RegExp(`OOOPS mule 1 \\(pid: ${mule1}\\) crippled\\.\\.\\.trying respawn\\.\\.\\.`),
    15_000,
  );
  await until(
    'mule 1 respawned',
    () => /spawned uWSGI mule 1 \(pid: \d+\)[\s\S]*spawned uWSGI mule 1/.test(server.log()),
    15_000,
  );
  assert.equal((await httpGet(server.port, '/farm?count=1')).body, 'queued', 'the workers serve on');
});
