// Cron against the real CLI (issue "Shared services" acceptance: one real-minute test): a
// `-1 -1 -1 -1 -1` command runs in the minute the instance starts (as uWSGI does) and again at
// the next minute boundary, with uWSGI 2.0.21's lines; a cron2 harakiri kills a command running
// too long; the stats document lists the command crons.
import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { startServer } from '../helpers/server.js';

function stats(port: number): Promise<{ crons: Array<Record<string, unknown>> }> {
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

test('a cron command runs at start and at the next minute boundary; cron2 harakiri', {
  timeout: 90_000,
}, async (t) => {
  const command = 'echo CRON-RAN-$(date +%S)';
  const server = await startServer([
    '--http-socket',
    '127.0.0.1:0',
    '--app',
    'test/fixtures/apps/probe.mjs',
    '--cron',
    `-1 -1 -1 -1 -1 ${command}`,
    '--cron2',
    'minute=-1,harakiri=1 sleep 30',
    '--stats',
    '127.0.0.1:0',
  ]);
  t.after(() => server.close());
  const log = server.log();
  assert.match(log, /\[uwsgi-cron\] command "echo CRON-RAN-\$\(date \+%S\)" registered as cron task/);
  assert.match(log, /\[uwsgi-cron\] command "sleep 30" registered as cron task/);
  // the start minute matches: both run now
  await server.waitFor(/ - \[uwsgi-cron\] running "echo CRON-RAN-\$\(date \+%S\)" \(pid \d+\)/);
  await server.waitFor(
    /\[uwsgi-cron\] command "echo CRON-RAN-\$\(date \+%S\)" running with pid \d+ exited after \d+ second\(s\)/,
  );
  await server.waitFor(/\*\*\* HARAKIRI ON CRON "sleep 30" \(pid: \d+\) \*\*\*/, 5000);
  await server.waitFor(
    /\[uwsgi-cron\] command "sleep 30" running with pid \d+ exited after [12] second\(s\)/,
    5000,
  );

  const statsPort = Number(/Stats server enabled on [^:]*:(\d+) fd/.exec(server.log())?.[1]);
  const { crons } = await stats(statsPort);
  assert.deepEqual(
    crons.map((c) => [c['command'], c['minute'], c['unique'], typeof c['pid'], typeof c['started_at']]),
    [
      [command, -1, 0, 'number', 'number'],
      ['sleep 30', -1, 0, 'number', 'number'],
    ],
  );
  assert.deepEqual(Object.keys(crons[0] ?? {}), [
    'minute',
    'hour',
    'day',
    'month',
    'week',
    'command',
    'unique',
    'legion',
    'pid',
    'started_at',
  ]);

  // the next run comes at the minute boundary (within 61 s), its output in the log
  await server.waitFor(/CRON-RAN-\d\d[\s\S]*CRON-RAN-(\d\d)/, 65_000);
  const second = [...server.log().matchAll(/CRON-RAN-(\d\d)/g)].at(-1)?.[1];
  assert.ok(second === '00' || second === '01', `second run at second ${second} of its minute`);
});
