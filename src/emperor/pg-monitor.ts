// `emperor = pg://CONNINFO;QUERY` (issue 17 point 4; the seed manual's emperor_pg): the vassals are
// the rows of a PostgreSQL query, polled every emperor-freq: name, config, ts, and optionally uid
// and gid (tyrant mode). Each row is written to a file in the Emperor's own directory (its mtime
// is the row's ts), so a row appearing, changing or going is a vassal starting, reloading or
// stopping through the same path as a directory's files; the vassal itself gets the config over
// UWSGI_EMPEROR_FD_CONFIG (`--ini emperor://NAME`), as uWSGI's emperor_pg vassals do. A failed query keeps the vassals as they
// are: a database blip must not stop every app.

import { chownSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { UwsgiError } from '../errors.js';
import type { Monitor } from './monitors.js';
import { type ScanRules, type VassalFile, vassalFile } from './vassal-file.js';

/** libpq keywords (the form uWSGI's plugin passes to PQconnectdb) -> the `pg` client's config. */
const KEYWORDS: Readonly<Record<string, keyof pg.ClientConfig>> = {
  host: 'host',
  hostaddr: 'host',
  port: 'port',
  user: 'user',
  password: 'password',
  dbname: 'database',
  connect_timeout: 'connectionTimeoutMillis',
};

/** `host=127.0.0.1 user=foo dbname=emperor` (or a postgres:// URL) as the client's config. */
export function pgClientConfig(conninfo: string): pg.ClientConfig {
  if (/^postgres(ql)?:\/\//.test(conninfo)) return { connectionString: conninfo };
  const config: Record<string, string | number> = {};
  for (const [, key = '', raw = ''] of conninfo.matchAll(/(\w+)\s*=\s*('(?:[^'\\]|\\.)*'|\S+)/g)) {
    const field = KEYWORDS[key];
    if (!field) continue;
    const value = raw.startsWith("'") ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw;
    config[field] =
      field === 'port' ? Number(value) : field === 'connectionTimeoutMillis' ? Number(value) * 1000 : value;
  }
  return config as pg.ClientConfig;
}

/** A row's ts as ms since the epoch: a timestamp column, or a number of seconds. */
function rowTime(ts: unknown): number {
  if (ts instanceof Date) return ts.getTime();
  const n = Number(ts);
  return Number.isFinite(n) ? n * 1000 : 0;
}

export function pgMonitor(arg: string, rules: ScanRules, log: (line: string) => void): Monitor {
  const semi = arg.indexOf(';');
  if (semi < 0)
    throw new UwsgiError('ERR_EMPEROR_MONITOR', `emperor = pg://${arg}: expected pg://CONNINFO;QUERY`);
  const config = pgClientConfig(arg.slice(0, semi));
  const query = arg.slice(semi + 1);
  const source = `pg://${arg.slice(0, semi)}`;
  const dir = mkdtempSync(join(tmpdir(), 'uwsgi-ts-emperor-pg-'));
  let client: pg.Client | undefined;
  let last: VassalFile[] = [];
  let failing = false;

  const connect = async (): Promise<pg.Client> => {
    if (client) return client;
    // loaded by an Emperor that has a pg:// monitor only
    const { default: driver } = await import('pg');
    const c = new driver.Client(config);
    c.on('error', () => {
      // the next scan reconnects
      if (client === c) client = undefined;
    });
    await c.connect();
    client = c;
    return c;
  };

  const materialize = (row: unknown[]): VassalFile | undefined => {
    const [name, text, ts, uid, gid] = row;
    if (typeof name !== 'string' || name.includes('/') || typeof text !== 'string') return undefined;
    const path = join(dir, name);
    let current: string | undefined;
    try {
      current = readFileSync(path, 'utf8');
    } catch {
      current = undefined;
    }
    if (current !== text) writeFileSync(path, text);
    const time = new Date(rowTime(ts));
    utimesSync(path, time, time);
    if (uid !== undefined && uid !== null && gid !== undefined && gid !== null)
      chownSync(path, Number(uid), Number(gid));
    const found = vassalFile(path, source, rules);
    // the vassal gets the row's config through the config pipe (src/emperor/config-pipe.ts); the
    // file keeps the row's ts as its mtime and the row's owner for tyrant mode
    return found ? { ...found, config: text } : undefined;
  };

  return {
    source,
    async scan() {
      let rows: unknown[][];
      try {
        const c = await connect();
        rows = (await c.query({ text: query, rowMode: 'array' })).rows as unknown[][];
      } catch (err) {
        if (!failing)
          log(
            `[emperor-pg] ${source}: ${err instanceof Error ? err.message : String(err)}: vassals kept as they are`,
          );
        failing = true;
        client?.end().catch(() => {});
        client = undefined;
        return last;
      }
      if (failing) log(`[emperor-pg] ${source}: the query works again`);
      failing = false;
      const found = rows.map(materialize).filter((f): f is VassalFile => f !== undefined);
      const keep = new Set(found.map((f) => f.name));
      for (const old of last) if (!keep.has(old.name)) rmSync(old.path, { force: true });
      last = found;
      return found;
    },
    close() {
      client?.end().catch(() => {});
      client = undefined;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
