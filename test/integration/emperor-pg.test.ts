// The PostgreSQL monitor (issue 17 point 4): `emperor = pg://CONNINFO;QUERY` against a real
// PostgreSQL on loopback; insert a row -> the vassal serves; update it -> it reloads with the new
// config (pushed over UWSGI_EMPEROR_FD_CONFIG, asked again with byte 2 on the reload); delete it ->
// it stops. Also: the database going away stops no vassal.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { alive, emperorDir, emperorStats, freePort, startEmperor, until } from '../helpers/emperor.js';
import { httpGet } from '../helpers/http.js';
import { noPostgres, startPostgres } from '../helpers/postgres.js';

const body = async (path: string) =>
  (await httpGet({ socketPath: path }, '/', 3000).catch(() => undefined))?.body;
const quote = (text: string) => `'${text.replaceAll("'", "''")}'`;

test('vassals from PostgreSQL rows: insert serves, update reloads with the new config, delete stops', {
  skip: noPostgres,
  timeout: 90_000,
}, async (t) => {
  const pg = await startPostgres();
  const dir = emperorDir();
  pg.sql(
    'CREATE TABLE vassals (name text PRIMARY KEY, config text NOT NULL, ts timestamptz NOT NULL DEFAULT now())',
  );
  const statsPort = await freePort();
  const emperor = await startEmperor(dir, [
    '--emperor',
    `pg://host=127.0.0.1 port=${pg.port} user=postgres dbname=postgres;SELECT name, config, ts FROM vassals`,
    '--emperor-stats',
    `127.0.0.1:${statsPort}`,
  ]).catch((err: unknown) => {
    pg.stop();
    dir.cleanup();
    throw err;
  });
  // one hook, in order: the Emperor and its vassals first, then the database, then the files
  t.after(async () => {
    try {
      await emperor.close();
    } finally {
      pg.stop();
      dir.cleanup();
    }
  });
  const config = (app: string) =>
    `[uwsgi]\nhttp-socket = ${dir.socket('db')}\napp = ${join(dir.root, `${app}.mjs`)}\nmaster = true\nprocesses = 1\nvacuum = true\n`;
  dir.app('one', 'from the database');
  dir.app('two', 'updated in the database');

  pg.sql(`INSERT INTO vassals (name, config) VALUES ('db.ini', ${quote(config('one'))})`);
  await until(async () => (await body(dir.socket('db'))) === 'from the database', 15_000, 'the row to serve');
  const v = (await emperorStats(statsPort)).vassals.find((x) => x.id === 'db.ini');
  assert.match(String(v?.['monitor']), /^pg:\/\/host=127\.0\.0\.1/);
  // the row's config reaches the vassal over UWSGI_EMPEROR_FD_CONFIG, as uWSGI's emperor_pg does
  assert.match(emperor.log(), /getting INI configuration from emperor:\/\/db\.ini/);

  pg.sql(
    `UPDATE vassals SET config = ${quote(config('two'))}, ts = now() + interval '1 second' WHERE name = 'db.ini'`,
  );
  await until(
    async () => (await body(dir.socket('db'))) === 'updated in the database',
    15_000,
    'the new config to serve',
  );
  assert.match(emperor.log(), /\[emperor\] reload the uwsgi instance db\.ini/);
  // the reloading vassal asked for its config again (byte 2): no "reads its own file" line
  assert.doesNotMatch(emperor.log(), /asked for its config/);
  assert.equal(
    (await emperorStats(statsPort)).vassals.find((x) => x.id === 'db.ini')?.pid,
    v?.pid,
    'reloaded, not restarted',
  );

  pg.sql(`DELETE FROM vassals WHERE name = 'db.ini'`);
  await emperor.waitFor(/\[emperor\] removed uwsgi instance db\.ini/, 15_000);
  assert.ok(v && !alive(v.pid));
  assert.ok(!existsSync(dir.socket('db')));

  // the database gone: logged once, and the vassals stay as they are
  pg.sql(`INSERT INTO vassals (name, config) VALUES ('db.ini', ${quote(config('one'))})`);
  await until(
    async () => (await body(dir.socket('db'))) === 'from the database',
    15_000,
    'the row to serve again',
  );
  pg.stop();
  await emperor.waitFor(/\[emperor-pg\] .*: vassals kept as they are/, 10_000);
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(await body(dir.socket('db')), 'from the database');
});
