// A throwaway PostgreSQL for a test (Debian's postgresql, installed by .ci/run): initdb in a temp
// dir, the server on a free loopback port with trust auth, psql for the test's statements, and an
// immediate stop. As root the server runs as the `postgres` user (it refuses root).
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { freePort } from './emperor.js';

function binDir(): string | undefined {
  const which = spawnSync('sh', ['-c', 'command -v pg_ctl'], { encoding: 'utf8' }).stdout.trim();
  if (!which) return undefined;
  return dirname(realpathSync(which));
}

const BIN = binDir();
const asRoot = process.getuid?.() === 0;

export const noPostgres = !BIN
  ? 'PostgreSQL (pg_ctl, initdb) is not installed'
  : asRoot && spawnSync('id', ['postgres'], { stdio: 'ignore' }).status !== 0
    ? 'running as root needs the postgres user'
    : undefined;

export interface Postgres {
  readonly port: number;
  /** Runs SQL through psql; returns its output. */
  sql(statement: string): string;
  /** Stops the server and removes its files (again: nothing). */
  stop(): void;
}

export async function startPostgres(): Promise<Postgres> {
  const bin = BIN ?? '';
  const root = mkdtempSync(join(tmpdir(), 'uwsgi-ts-pg-'));
  const data = join(root, 'data');
  const as = (cmd: string, args: string[]) =>
    asRoot
      ? execFileSync('runuser', ['-u', 'postgres', '--', join(bin, cmd), ...args], { stdio: 'pipe' })
      : execFileSync(join(bin, cmd), args, { stdio: 'pipe' });
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }));
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }));
    chownSync(root, uid, gid);
  }
  const port = await freePort();
  let stopped = false;
  as('initdb', ['-D', data, '--auth=trust', '-U', 'postgres', '--no-sync']);
  as('pg_ctl', [
    '-D',
    data,
    '-w',
    '-l',
    join(root, 'log'),
    '-o',
    `-p ${port} -k ${root} -c listen_addresses=127.0.0.1 -c fsync=off`,
    'start',
  ]);
  return {
    port,
    sql: (statement) =>
      execFileSync(
        'psql',
        [
          '-h',
          '127.0.0.1',
          '-p',
          String(port),
          '-U',
          'postgres',
          '-d',
          'postgres',
          '-v',
          'ON_ERROR_STOP=1',
          '-qAtc',
          statement,
        ],
        {
          encoding: 'utf8',
        },
      ),
    stop() {
      if (stopped) return;
      stopped = true;
      try {
        as('pg_ctl', ['-D', data, '-m', 'immediate', 'stop']);
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    },
  };
}
