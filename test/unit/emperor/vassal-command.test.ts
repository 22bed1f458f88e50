// How a vassal is run (reference §6.3 "Spawn"): argv with the templates in uWSGI's order, the
// environment (UWSGI_VASSAL_ renamed, the Emperor's plumbing dropped), the emperor fd after any
// activated sockets, setpriv for emperor-tyrant-initgroups; and the monitors' discovery rules.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { processHost } from '../../../src/cli/main.js';
import { loadConfig } from '../../../src/config/load.js';
import { openMonitor } from '../../../src/emperor/monitors.js';
import { pgClientConfig } from '../../../src/emperor/pg-monitor.js';
import { activatedSockets, vassalCommand, vassalEnv } from '../../../src/emperor/vassal-command.js';
import { vassalFile } from '../../../src/emperor/vassal-file.js';
import { isUwsgiError } from '../../../src/errors.js';

const config = (args: readonly string[]) =>
  loadConfig(['--emperor', '/nonexistent', ...args], { ...processHost(), log: () => {} }).config;

const dir = mkdtempSync(join(tmpdir(), 'uwsgi-ts-vassal-command-'));
after(() => rmSync(dir, { recursive: true, force: true }));
for (const name of ['a.ini', 'b.yaml', 'c.json', 'd.skel', 'e.conf', 'f.yml', 'g.js'])
  writeFileSync(join(dir, name), '');
mkdirSync(join(dir, 'sub.ini'));
symlinkSync(join(dir, 'd.skel'), join(dir, 'h.ini'));
const rules = { extra: [] as string[], nofollow: false };

describe('vassal command', () => {
  const file = vassalFile(join(dir, 'a.ini'), 'dir://x', rules);
  assert.ok(file);

  it('puts the templates where uWSGI does: inherit-before, include-before and set, the config, then inherit and include', () => {
    const c = config([
      '--vassals-inherit',
      'T1.ini',
      '--vassals-include-before',
      'B.ini',
      '--vassal-set',
      'k=v',
      '--vassals-include',
      'I.ini',
      '--vassals-inherit-before',
      'TB.ini',
    ]);
    const cmd = vassalCommand(c, file, undefined, []);
    assert.equal(cmd.file, process.execPath);
    assert.deepEqual(cmd.args.slice(1), [
      '--inherit',
      'TB.ini',
      '--include',
      'B.ini',
      '--set',
      'k=v',
      '--ini',
      join(dir, 'a.ini'),
      '--inherit',
      'T1.ini',
      '--include',
      'I.ini',
    ]);
    assert.equal(cmd.cwd, dir);
    assert.equal(cmd.emperorFd, 3);
  });

  it('runs emperor-wrapper instead of uwsgi-ts, and setpriv first under emperor-tyrant-initgroups', () => {
    const c = config(['--emperor-wrapper', '/usr/bin/uwsgi']);
    assert.deepEqual(
      [vassalCommand(c, file, undefined, []).file, ...vassalCommand(c, file, undefined, []).args],
      ['/usr/bin/uwsgi', '--ini', join(dir, 'a.ini')],
    );
    const tyrant = vassalCommand(c, file, { uid: 1000, gid: 1001, initgroups: true }, []);
    assert.deepEqual(
      [tyrant.file, ...tyrant.args],
      [
        'setpriv',
        '--reuid=1000',
        '--regid=1001',
        '--init-groups',
        '--',
        '/usr/bin/uwsgi',
        '--ini',
        join(dir, 'a.ini'),
      ],
    );
  });

  it('gives the vassal UWSGI_EMPEROR_FD, renames UWSGI_VASSAL_*, drops the Emperor plumbing', () => {
    const env = vassalEnv(
      {
        PATH: '/bin',
        UWSGI_VASSAL_PROCESSES: '4',
        UWSGI_RELOADS: '3',
        NOTIFY_SOCKET: '/run/x',
        UWSGI_EMPEROR_FD: '9',
      },
      5,
      2,
    );
    assert.deepEqual(env, { PATH: '/bin', UWSGI_PROCESSES: '4', UWSGI_EMPEROR_FD: '5', LISTEN_FDS: '2' });
  });

  it('takes systemd sockets meant for this process only', () => {
    const env: NodeJS.ProcessEnv = { LISTEN_FDS: '2', LISTEN_PID: String(process.pid) };
    assert.deepEqual(activatedSockets(env), [3, 4]);
    assert.equal(env['LISTEN_FDS'], undefined);
    assert.deepEqual(activatedSockets({ LISTEN_FDS: '2', LISTEN_PID: '1' }), []);
    assert.deepEqual(activatedSockets({}), []);
  });
});

describe('monitors', () => {
  it('a directory finds the vassal extensions only (ini, yaml/yml, json/js; a link counts)', async () => {
    const names = (await openMonitor(dir, rules, '/').scan()).map((f) => [f.name, f.flag]);
    assert.deepEqual(names, [
      ['a.ini', '--ini'],
      ['b.yaml', '--yaml'],
      ['c.json', '--json'],
      ['f.yml', '--yaml'],
      ['g.js', '--json'],
      ['h.ini', '--ini'],
    ]);
  });

  it('emperor-extra-extension adds a suffix loaded with --config', async () => {
    const found = await openMonitor(`dir://${dir}`, { extra: ['.conf'], nofollow: false }, '/').scan();
    assert.deepEqual(
      found.filter((f) => f.flag === '--config').map((f) => f.name),
      ['e.conf'],
    );
  });

  it('a glob matches files; a relative one resolves against the cwd', async () => {
    const m = openMonitor('*.y*ml', rules, dir);
    assert.equal(m.source, 'glob://*.y*ml');
    assert.deepEqual(
      (await m.scan()).map((f) => f.name),
      ['b.yaml', 'f.yml'],
    );
  });

  it('reads libpq conninfo for pg://, and refuses one without its query', () => {
    assert.deepEqual(pgClientConfig("host=127.0.0.1 port=5433 user=foobar dbname=emperor password='a b'"), {
      host: '127.0.0.1',
      port: 5433,
      user: 'foobar',
      database: 'emperor',
      password: 'a b',
    });
    assert.throws(
      () => openMonitor('pg://host=x', rules, '/'),
      (err: unknown) => isUwsgiError(err) && err.code === 'ERR_EMPEROR_MONITOR',
    );
  });

  it('refuses a scheme it has no monitor for, by code', () => {
    assert.throws(
      () => openMonitor('mongodb://127.0.0.1:27107,emperor.vassals', rules, '/'),
      (err: unknown) => isUwsgiError(err) && err.code === 'ERR_EMPEROR_MONITOR',
    );
  });
});
