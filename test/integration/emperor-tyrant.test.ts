// Tyrant mode (issue 17 point 3, seed 003 "Pitfalls of the Tyrant mode"): run as root, the test
// creates two unprivileged users (and a group the first one is a supplementary member of); each
// vassal's processes run as its config's owner, with the owner's supplementary groups under
// emperor-tyrant-initgroups (and without them otherwise, as uWSGI 2.0); a root-owned config is
// refused. Skipped when not root or without useradd.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  type EmperorDir,
  emperorDir,
  emperorStats,
  freePort,
  startEmperor,
  until,
} from '../helpers/emperor.js';
import { httpGet } from '../helpers/http.js';

const USERS = ['uwts-tyrant-a', 'uwts-tyrant-b'] as const;
const GROUP = 'uwts-tyrant-extra';

const skip =
  process.getuid?.() !== 0
    ? 'tyrant mode needs root'
    : spawnSync('useradd', ['--help'], { stdio: 'ignore' }).status !== 0
      ? 'useradd is not installed'
      : undefined;

const created: string[] = [];
const ids = (name: string) => ({
  uid: Number(execFileSync('id', ['-u', name], { encoding: 'utf8' })),
  gid: Number(execFileSync('id', ['-g', name], { encoding: 'utf8' })),
});
const exists = (kind: 'passwd' | 'group', name: string) =>
  spawnSync('getent', [kind, name], { stdio: 'ignore' }).status === 0;

before(() => {
  if (skip) return;
  if (!exists('group', GROUP)) {
    execFileSync('groupadd', ['--system', GROUP]);
    created.push(`group:${GROUP}`);
  }
  for (const user of USERS) {
    if (exists('passwd', user)) continue;
    execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', user]);
    created.push(`user:${user}`);
  }
  execFileSync('usermod', ['-a', '-G', GROUP, USERS[0]]);
});

after(() => {
  for (const what of created.reverse()) {
    const [kind, name] = what.split(':') as [string, string];
    spawnSync(kind === 'user' ? 'userdel' : 'groupdel', [name], { stdio: 'ignore' });
  }
});

/** A vassals dir the owners can use: apps readable, sockets in a sticky world-writable dir. */
function tyrantDir(): EmperorDir & { sockets: string } {
  const dir = emperorDir();
  chmodSync(dir.root, 0o755);
  chmodSync(dir.vassals, 0o755);
  const sockets = join(dir.root, 'run');
  mkdirSync(sockets);
  chmodSync(sockets, 0o1777);
  return { ...dir, sockets, socket: (name: string) => join(sockets, `${name}.sock`) };
}

function ownedVassal(
  dir: ReturnType<typeof tyrantDir>,
  name: string,
  owner: { uid: number; gid: number },
): string {
  dir.app(name, `hello from ${name}`);
  const ini = dir.vassal(name);
  // the vassal writes its socket where dir.socket() says
  const text = readFileSync(ini, 'utf8').replace(/http-socket = .*/, `http-socket = ${dir.socket(name)}`);
  execFileSync('sh', ['-c', `cat > ${ini}.tmp && mv ${ini}.tmp ${ini}`], { input: text });
  chownSync(ini, owner.uid, owner.gid);
  return ini;
}

/** Uid, gid and supplementary groups of `pid`, from /proc. */
function credentials(pid: number): { uid: number; gid: number; groups: number[] } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => status.match(new RegExp(`^${name}:\\s*(.*)$`, 'm'))?.[1]?.trim() ?? '';
  return {
    uid: Number(field('Uid').split(/\s+/)[0]),
    gid: Number(field('Gid').split(/\s+/)[0]),
    groups: field('Groups').split(/\s+/).filter(Boolean).map(Number),
  };
}

function childrenOf(pid: number): number[] {
  const out = spawnSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).stdout;
  return out.split('\n').filter(Boolean).map(Number);
}

for (const initgroups of [false, true]) {
  test(`tyrant mode${initgroups ? ' with emperor-tyrant-initgroups' : ''}: each vassal runs as its config's owner; root-owned configs are refused`, {
    skip,
    timeout: 60_000,
  }, async (t) => {
    const dir = tyrantDir();
    const statsPort = await freePort();
    const emperor = await startEmperor(dir, [
      '--emperor-tyrant',
      ...(initgroups ? ['--emperor-tyrant-initgroups'] : []),
      '--emperor-stats',
      `127.0.0.1:${statsPort}`,
    ]);
    t.after(async () => {
      await emperor.close();
      dir.cleanup();
    });
    const a = ids(USERS[0]);
    const b = ids(USERS[1]);
    const extra = Number(execFileSync('getent', ['group', GROUP], { encoding: 'utf8' }).split(':')[2]);
    ownedVassal(dir, 'a', a);
    ownedVassal(dir, 'b', b);
    ownedVassal(dir, 'root', { uid: 0, gid: 0 });
    for (const name of ['a', 'b']) {
      await until(
        async () =>
          (await httpGet({ socketPath: dir.socket(name) }, '/').catch(() => undefined))?.body ===
          `hello from ${name}`,
        20_000,
        `vassal ${name} to serve`,
      );
    }
    await emperor.waitFor(/\[emperor-tyrant\] refusing vassal root\.ini: its config is owned by root/, 5000);
    const vassals = (await emperorStats(statsPort)).vassals;
    assert.deepEqual(vassals.map((v) => v.id).sort(), ['a.ini', 'b.ini']);
    for (const [name, owner] of [
      ['a.ini', a],
      ['b.ini', b],
    ] as const) {
      const master = vassals.find((v) => v.id === name)?.pid ?? 0;
      // under setpriv the vassal's pid is the exec'd uwsgi-ts itself
      const pids = [master, ...childrenOf(master)];
      assert.ok(pids.length >= 2, `${name}: master and worker`);
      for (const pid of pids) {
        const c = credentials(pid);
        assert.equal(c.uid, owner.uid, `${name} pid ${pid} uid`);
        assert.equal(c.gid, owner.gid, `${name} pid ${pid} gid`);
        if (name === 'a.ini')
          assert.equal(c.groups.includes(extra), initgroups, `${name} pid ${pid} groups ${c.groups}`);
        assert.ok(!c.groups.includes(0), 'no root group');
      }
    }
  });
}
