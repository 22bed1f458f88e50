// Issue 17, byte 22 from a vassal that is not on demand (`idle` + `die-on-idle`), against the real
// CLI. uWSGI 2.0.21 stops it and its next scan starts it again, every `emperor-freq` seconds
// (test/fixtures/emperor/uwsgi-2.0.21-die-on-idle.txt); ours keeps it stopped until its config
// changes (README "Deliberate differences from uWSGI"): the instance asked to stop.
import assert from 'node:assert/strict';
import { utimesSync } from 'node:fs';
import { test } from 'node:test';
import { alive, emperorDir, emperorStats, freePort, startEmperor, until } from '../helpers/emperor.js';
import { httpGet } from '../helpers/http.js';

const spawnedLines = (log: string) => log.match(/\[emperor\] vassal a\.ini has been spawned/g)?.length ?? 0;

test('die-on-idle in a vassal that is not on demand: stopped, not started again by the scans; a touch starts it', {
  timeout: 60_000,
}, async (t) => {
  const dir = emperorDir();
  const statsPort = await freePort();
  const emperor = await startEmperor(dir, ['--emperor-stats', `127.0.0.1:${statsPort}`]);
  t.after(async () => {
    await emperor.close();
    dir.cleanup();
  });
  dir.app('a', 'A serving');
  const ini = dir.vassal('a', 'idle = 2\ndie-on-idle = true');
  await emperor.waitFor(/\[emperor\] vassal a\.ini is ready to accept requests/, 15_000);
  assert.equal((await httpGet({ socketPath: dir.socket('a') }, '/')).body, 'A serving');
  const first = (await emperorStats(statsPort)).vassals.find((v) => v.id === 'a.ini');
  assert.ok(first && first.pid > 0);

  await emperor.waitFor(
    /\[emperor\] vassal a\.ini asked to shut down: stopped until its config changes/,
    15_000,
  );
  await until(() => !alive(first.pid), 10_000, 'the idle vassal to stop');
  // three scans (emperor-freq 1) later it is still stopped: uWSGI would have started it again
  await new Promise((r) => setTimeout(r, 3500));
  assert.equal(spawnedLines(emperor.log()), 1, emperor.log());
  const stopped = (await emperorStats(statsPort)).vassals.find((v) => v.id === 'a.ini');
  assert.equal(stopped?.pid, 0);
  assert.equal(stopped?.status, 'idle');

  // a new mtime is a new config: started again, and it serves
  const later = new Date(Date.now() + 2000);
  utimesSync(ini, later, later);
  await until(() => spawnedLines(emperor.log()) === 2, 15_000, 'the touched vassal to start');
  await until(
    async () =>
      (await httpGet({ socketPath: dir.socket('a') }, '/').catch(() => undefined))?.body === 'A serving',
    15_000,
    'the restarted vassal to serve',
  );
});
