// The README's recipes for seed 003's three layouts, each built in a temp dir and run the way the
// units in contrib/systemd/ run it (ExecStart, ExecReload, KillSignal read from the unit files,
// /etc and /run moved under the temp dir): Arch's uwsgi-ts@.service with /etc/uwsgi/%I.ini,
// Fedora's Emperor on /etc/uwsgi.d in tyrant mode, Debian's apps-available/apps-enabled links.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO } from '../helpers/cli.js';
import { alive, until } from '../helpers/emperor.js';
import { httpGet } from '../helpers/http.js';
import { type NotifySocket, noPython, notifySocket } from '../helpers/notify-socket.js';
import { startServer } from '../helpers/server.js';

const CONTRIB = join(REPO, 'contrib', 'systemd');

/** The [Service] keys of a unit file. */
function serviceKeys(unit: string): Map<string, string> {
  const keys = new Map<string, string>();
  let inService = false;
  for (const line of readFileSync(join(CONTRIB, unit), 'utf8').split('\n')) {
    if (/^\[.*\]$/.test(line.trim())) inService = line.trim() === '[Service]';
    const m = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (inService && m?.[1] && m[2] !== undefined) keys.set(m[1], m[2]);
  }
  return keys;
}

interface Layout {
  readonly root: string;
  /** A path of the real system, moved under the temp root. */
  at(path: string): string;
  /** Rewrites /etc and /run paths in `text` to the temp root. */
  moved(text: string): string;
  cleanup(): void;
}

function layout(): Layout {
  const root = mkdtempSync(join(tmpdir(), 'uwsgi-ts-layout-'));
  chmodSync(root, 0o755);
  mkdirSync(join(root, 'run', 'uwsgi'), { recursive: true });
  chmodSync(join(root, 'run', 'uwsgi'), 0o1777);
  const moved = (text: string) => text.replace(/(^|[\s=])\/(etc|run)\//g, `$1${root}/$2/`);
  return {
    root,
    at: (path) => join(root, path),
    moved,
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

/** A vassal/app ini in the layout: a JS app answering `body` on /run/uwsgi/NAME.sock. */
function appIni(l: Layout, name: string, body: string): string {
  const app = l.at(`srv/${name}/app.mjs`);
  mkdirSync(join(app, '..'), { recursive: true });
  writeFileSync(app, `export default () => new Response(${JSON.stringify(body)});\n`);
  return `[uwsgi]\nhttp-socket = ${l.at(`run/uwsgi/${name}.sock`)}\napp = ${app}\nmaster = true\nprocesses = 1\nvacuum = true\n`;
}

/** Runs a unit's ExecStart as systemd would (NOTIFY_SOCKET when python3 can listen for it). */
async function runUnit(l: Layout, unit: string, instance = '') {
  const keys = serviceKeys(unit);
  assert.equal(keys.get('Type'), 'notify');
  const [binary, ...args] = l.moved((keys.get('ExecStart') ?? '').replaceAll('%I', instance)).split(/\s+/);
  assert.equal(binary, '/usr/bin/uwsgi-ts');
  const sd: NotifySocket | undefined = noPython ? undefined : await notifySocket(l.at('run/notify.sock'));
  const server = await startServer([...args], {
    cwd: l.root,
    env: sd ? { NOTIFY_SOCKET: sd.path } : {},
    noWait: true,
  });
  return {
    server,
    sd,
    keys,
    async ready(from = 0) {
      return sd ? sd.waitFor('READY=1', from) : 0;
    },
    /** ExecReload, with $MAINPID. */
    reload() {
      execFileSync('sh', ['-c', keys.get('ExecReload') ?? ''], {
        env: { ...process.env, MAINPID: String(server.pid) },
      });
    },
    async stop() {
      process.kill(server.pid, (keys.get('KillSignal') ?? 'SIGTERM') as NodeJS.Signals);
      await until(
        () => server.proc.exitCode !== null || server.proc.signalCode !== null,
        40_000,
        `${unit} to stop`,
      );
      if (sd) await sd.waitFor('STOPPING=1');
    },
    async close() {
      await server.close();
      await sd?.close();
    },
  };
}

const body = async (path: string) =>
  (await httpGet({ socketPath: path }, '/', 3000).catch(() => undefined))?.body;

function touch(path: string): void {
  const t = new Date(Date.now() + 1000);
  utimesSync(path, t, t);
}

test('Arch: uwsgi-ts@searxng runs /etc/uwsgi/searxng.ini (a link to apps-available), reloads, stops', {
  timeout: 60_000,
}, async (t) => {
  const l = layout();
  mkdirSync(l.at('etc/uwsgi/apps-available'), { recursive: true });
  writeFileSync(l.at('etc/uwsgi/apps-available/searxng.ini'), appIni(l, 'searxng', 'searxng on arch'));
  symlinkSync(l.at('etc/uwsgi/apps-available/searxng.ini'), l.at('etc/uwsgi/searxng.ini'));
  const unit = await runUnit(l, 'uwsgi-ts@.service', 'searxng');
  t.after(async () => {
    await unit.close();
    l.cleanup();
  });
  await unit.server.waitFor(/uwsgi-ts: all workers ready/, 15_000);
  const ready = await unit.ready();
  assert.equal(await body(l.at('run/uwsgi/searxng.sock')), 'searxng on arch');
  unit.reload();
  await unit.server.waitFor(/uwsgi-ts: reload done/, 15_000);
  if (unit.sd) await unit.sd.waitFor('RELOADING=1', ready + 1);
  await unit.stop();
  assert.equal(unit.server.proc.exitCode, 0);
});

test('Fedora: an Emperor on /etc/uwsgi.d in tyrant mode: create, touch, rm', {
  skip: process.getuid?.() === 0 ? undefined : 'tyrant mode needs root',
  timeout: 60_000,
}, async (t) => {
  const l = layout();
  mkdirSync(l.at('etc/uwsgi-ts'), { recursive: true });
  mkdirSync(l.at('etc/uwsgi.d'), { recursive: true });
  writeFileSync(
    l.at('etc/uwsgi-ts/emperor.ini'),
    l.moved(readFileSync(join(CONTRIB, 'emperor-fedora.ini'), 'utf8')),
  );
  const unit = await runUnit(l, 'uwsgi-ts-emperor.service');
  t.after(async () => {
    await unit.close();
    l.cleanup();
  });
  await unit.server.waitFor(/starting uWSGI-ts Emperor/, 10_000);
  await unit.ready();
  // to install & start: create /etc/uwsgi.d/searxng.ini (owned by the app's user, not root)
  const ini = l.at('etc/uwsgi.d/searxng.ini');
  writeFileSync(ini, appIni(l, 'searxng', 'searxng on fedora'));
  const nobody = {
    uid: Number(execFileSync('id', ['-u', 'nobody'], { encoding: 'utf8' })),
    gid: Number(execFileSync('id', ['-g', 'nobody'], { encoding: 'utf8' })),
  };
  chownSync(ini, nobody.uid, nobody.gid);
  const sock = l.at('run/uwsgi/searxng.sock');
  await until(async () => (await body(sock)) === 'searxng on fedora', 15_000, 'searxng to serve');
  const pid = Number(
    readFileSync(`/proc/${unit.server.pid}/task/${unit.server.pid}/children`, 'utf8').trim().split(/\s+/)[0],
  );
  assert.match(readFileSync(`/proc/${pid}/status`, 'utf8'), new RegExp(`^Uid:\\s+${nobody.uid}\\b`, 'm'));
  // to reload: touch it
  touch(ini);
  await unit.server.waitFor(/\[emperor\] reload the uwsgi instance searxng\.ini/, 10_000);
  await unit.server.waitFor(/uwsgi-ts: reload done/, 15_000);
  // to stop: rm it
  rmSync(ini);
  await unit.server.waitFor(/\[emperor\] removed uwsgi instance searxng\.ini/, 15_000);
  assert.ok(!alive(pid));
  await unit.stop();
});

test('Debian: an Emperor on apps-enabled; ln -s enables an app, touching apps-available reloads it, rm disables it', {
  timeout: 60_000,
}, async (t) => {
  const l = layout();
  mkdirSync(l.at('etc/uwsgi-ts'), { recursive: true });
  mkdirSync(l.at('etc/uwsgi/apps-available'), { recursive: true });
  mkdirSync(l.at('etc/uwsgi/apps-enabled'), { recursive: true });
  writeFileSync(
    l.at('etc/uwsgi-ts/emperor.ini'),
    l.moved(readFileSync(join(CONTRIB, 'emperor-debian.ini'), 'utf8')),
  );
  // a short scan period for the test (the default is 3 s)
  writeFileSync(
    l.at('etc/uwsgi-ts/emperor.ini'),
    `${readFileSync(l.at('etc/uwsgi-ts/emperor.ini'), 'utf8')}emperor-freq = 1\n`,
  );
  const unit = await runUnit(l, 'uwsgi-ts-emperor.service');
  t.after(async () => {
    await unit.close();
    l.cleanup();
  });
  await unit.server.waitFor(/starting uWSGI-ts Emperor/, 10_000);
  await unit.ready();
  const available = l.at('etc/uwsgi/apps-available/hello.ini');
  writeFileSync(available, appIni(l, 'hello', 'hello on debian'));
  symlinkSync(available, l.at('etc/uwsgi/apps-enabled/hello.ini'));
  const sock = l.at('run/uwsgi/hello.sock');
  await until(async () => (await body(sock)) === 'hello on debian', 15_000, 'hello to serve');
  touch(available);
  await unit.server.waitFor(/\[emperor\] reload the uwsgi instance hello\.ini/, 10_000);
  rmSync(l.at('etc/uwsgi/apps-enabled/hello.ini'));
  await unit.server.waitFor(/\[emperor\] removed uwsgi instance hello\.ini/, 15_000);
  await unit.stop();
  assert.match(unit.server.log(), /The Emperor is buried\./);
});
