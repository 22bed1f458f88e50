// The Emperor's signals and vassal-side policies against the real CLI (reference §6.2, §6.3):
// SIGHUP reloads every vassal, SIGUSR1 logs them, a vassal whose heartbeat stops is SIGKILLed and
// respawned, a vassal exiting with EXILE (26) is not respawned until its file changes.
import assert from 'node:assert/strict';
import { utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { alive, emperorDir, emperorStats, freePort, startEmperor, until } from '../helpers/emperor.js';
import { httpGet } from '../helpers/http.js';

const serves = async (path: string, body: string) =>
  (await httpGet({ socketPath: path }, '/', 3000).catch(() => undefined))?.body === body;

test('SIGHUP reloads every vassal; SIGUSR1 logs each one', { timeout: 60_000 }, async (t) => {
  const dir = emperorDir();
  const emperor = await startEmperor(dir);
  t.after(async () => {
    await emperor.close();
    dir.cleanup();
  });
  for (const name of ['h1', 'h2']) {
    dir.app(name, name);
    dir.vassal(name);
  }
  for (const name of ['h1', 'h2'])
    await until(() => serves(dir.socket(name), name), 15_000, `${name} to serve`);
  process.kill(emperor.pid, 'SIGHUP');
  await until(
    () => (emperor.log().match(/uwsgi-ts: reload done/g)?.length ?? 0) === 2,
    20_000,
    'both vassals to reload',
  );
  assert.match(emperor.log(), /\[emperor\] reload the uwsgi instance h1\.ini/);
  assert.match(emperor.log(), /\[emperor\] reload the uwsgi instance h2\.ini/);
  process.kill(emperor.pid, 'SIGUSR1');
  await emperor.waitFor(/\[emperor\] vassal h2\.ini pid: \d+ status: \w+ respawns: 0/, 5000);
});

test('a vassal whose heartbeat stops is killed and respawned', { timeout: 60_000 }, async (t) => {
  const dir = emperorDir();
  const statsPort = await freePort();
  const emperor = await startEmperor(dir, [
    '--emperor-required-heartbeat',
    '2',
    '--emperor-stats',
    `127.0.0.1:${statsPort}`,
  ]);
  t.after(async () => {
    await emperor.close();
    dir.cleanup();
  });
  dir.app('hb', 'hb');
  dir.vassal('hb', 'heartbeat = 1');
  await until(() => serves(dir.socket('hb'), 'hb'), 15_000, 'hb to serve');
  await until(
    async () => ((await emperorStats(statsPort)).vassals[0]?.['last_heartbeat'] as number) > 0,
    5000,
    'a first heartbeat',
  );
  const first = (await emperorStats(statsPort)).vassals[0]?.pid ?? 0;
  // a hung vassal: stopped, it sends nothing
  process.kill(first, 'SIGSTOP');
  await emperor.waitFor(
    /\[emperor\] vassal hb\.ini sent no heartbeat in last 2 seconds, brutally respawning it\.\.\./,
    10_000,
  );
  await until(() => !alive(first), 5000, 'the hung vassal to die');
  await until(
    async () => {
      const v = (await emperorStats(statsPort)).vassals[0];
      return v !== undefined && v.pid !== first && v.pid > 0 && v.respawns === 1;
    },
    15_000,
    'the respawn',
  );
  await until(() => serves(dir.socket('hb'), 'hb'), 15_000, 'hb to serve again');
});

test('a vassal exiting with EXILE (26) stays down until its file changes', { timeout: 60_000 }, async (t) => {
  const dir = emperorDir();
  const statsPort = await freePort();
  const emperor = await startEmperor(dir, [
    '--emperor-stats',
    `127.0.0.1:${statsPort}`,
    '--emperor-throttle',
    '100',
  ]);
  t.after(async () => {
    await emperor.close();
    dir.cleanup();
  });
  // uWSGI's `exit = N` option ends the program at once with status N
  const ini = join(dir.vassals, 'ex.ini');
  writeFileSync(ini, '[uwsgi]\nexit = 26\n');
  await emperor.waitFor(/\[emperor\] vassal ex\.ini exiled itself \(exit code 26\): not respawned/, 15_000);
  await new Promise((r) => setTimeout(r, 1500));
  const v = (await emperorStats(statsPort)).vassals.find((x) => x.id === 'ex.ini');
  assert.equal(v?.status, 'idle');
  assert.equal(v?.respawns, 0);
  const t2 = new Date(Date.now() + 1000);
  utimesSync(ini, t2, t2);
  await until(
    async () => (await emperorStats(statsPort)).vassals.find((x) => x.id === 'ex.ini')?.respawns === 1,
    10_000,
    'a start after the change',
  );
});
