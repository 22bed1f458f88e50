// The master FIFO (issue "Operations" point 5, reference §6.1): one byte, one command.
import assert from 'node:assert/strict';
import { existsSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempFiles } from '../helpers/cli.js';
import { startServer } from '../helpers/server.js';

const APP = 'test/fixtures/apps/probe.mjs';

function pid(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get(
        { host: '127.0.0.1', port, path: '/pid', agent: false, signal: AbortSignal.timeout(5000) },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => {
            body += d;
          });
          res.on('end', () => (res.statusCode === 200 ? resolve(Number(body)) : reject(new Error(body))));
        },
      )
      .on('error', reject);
  });
}

const spawned = (log: string) =>
  [...log.matchAll(/(?:spawned uWSGI worker \d+ \(pid: |new pid: )(\d+)/g)].map((m) => Number(m[1]));

test('FIFO commands: c (chain reload, no failed request), R, P, unknown bytes, slot switch, q', {
  timeout: 60_000,
}, async (t) => {
  const tmp = tempFiles({});
  t.after(tmp.cleanup);
  const fifo0 = join(tmp.dir, 'fifo0');
  const fifo1 = join(tmp.dir, 'fifo1');
  const pidfile = join(tmp.dir, 'master.pid');
  const server = await startServer([
    '--master',
    '--processes',
    '2',
    '--http-socket',
    '127.0.0.1:0',
    '--app',
    APP,
    '--pidfile',
    pidfile,
    '--master-fifo',
    fifo0,
    '--master-fifo',
    fifo1,
  ]);
  t.after(() => server.close());
  assert.ok(statSync(fifo0).isFIFO());

  // c: chain reload under a request loop
  const before = spawned(server.log());
  let running = true;
  const failures: string[] = [];
  const loop = (async () => {
    while (running) await pid(server.port).catch((err: Error) => failures.push(err.message));
  })();
  writeFileSync(fifo0, 'xc');
  await server.waitFor(/chain reload complete/, 20_000);
  running = false;
  await loop;
  assert.deepEqual(failures, []);
  // the old workers are told to stop as their replacements are ready: wait until both are gone
  await server.waitFor(/buried after \d+ seconds[\s\S]*buried after \d+ seconds/);
  const afterChain = spawned(server.log()).filter((p) => !before.includes(p));
  assert.equal(afterChain.length, 2, server.log());
  assert.ok(afterChain.includes(await pid(server.port)));

  // R: brutal reload
  const mark = server.log().length;
  writeFileSync(fifo0, 'R');
  await server.waitFor(/\.\.\.brutally killing workers\.\.\./);
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const afterBrutal = spawned(server.log().slice(mark));
  assert.equal(afterBrutal.length, 2);

  // P: pidfiles rewritten
  rmSync(pidfile);
  writeFileSync(fifo0, 'P');
  await server.waitFor(/pidfiles rewritten/);
  assert.ok(existsSync(pidfile));

  // 1: switch to the second FIFO, then q through it: graceful shutdown
  writeFileSync(fifo0, '1');
  await server.waitFor(new RegExp(`active master fifo is now ${fifo1}`));
  const exited = new Promise<number | null>((resolve) => server.proc.once('exit', (code) => resolve(code)));
  writeFileSync(fifo1, 'q');
  assert.equal(await exited, 0);
  assert.match(server.log(), /graceful shutdown triggered\.\.\.[\s\S]*goodbye to uWSGI\./);
});
