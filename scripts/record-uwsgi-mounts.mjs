#!/usr/bin/env node
// Records how the real uWSGI 2.0.21 answers mountpoints written with a trailing slash
// (`mount = /foobis/=app`) and mixed with plain ones, into test/fixtures/mounts-uwsgi.json (the
// recordings `mountpointsTrailingSlash` and `mountpointsMixed`; the older recordings there are
// kept as they are). Needs `uwsgi` with the python3 plugin (Debian: uwsgi-core,
// uwsgi-plugin-python3). Run from the repository root: `node scripts/record-uwsgi-mounts.mjs`.
// Each app answers as the file's `wsgiApp` says; each path is one GET over HTTP/1.0.

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const OUT = `${root}test/fixtures/mounts-uwsgi.json`;
const fixture = JSON.parse(readFileSync(OUT, 'utf8'));

const PATHS = [
  '/',
  '/foo',
  '/foo/',
  '/foo/resource',
  '/foo?x=1',
  '/foobis',
  '/foobis/',
  '/foobis/resource',
  '/foobis/x/y',
  '/foobis?x=1',
  '/footris',
  '/footris/',
  '/footris/x',
  '/fooanything',
  '/foobisx',
  '/bar',
];

const VARIANTS = {
  mountpointsTrailingSlash: ['/foo/=app1.py', '/foobis/=app2.py', '/footris/=app3.py'],
  mountpointsMixed: ['/foo=app1.py', '/foobis/=app2.py', '/footris=app3.py'],
};

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function get(port, path) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const parts = [];
    socket.on('data', (d) => parts.push(d));
    socket.on('error', reject);
    socket.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    socket.write(`GET ${path} HTTP/1.0\r\nHost: localhost\r\n\r\n`);
  });
}

function parse(text, path) {
  const sep = text.indexOf('\r\n\r\n');
  const status = Number(text.slice(0, sep).split(' ')[1]);
  const body = text.slice(sep + 4);
  if (status !== 200) return { status, body };
  const [greeting = '', json = '{}'] = body.split('\n');
  const vars = JSON.parse(json);
  if (typeof vars.PATH_INFO === 'string' && vars.PATH_INFO.length > path.length) {
    // uWSGI 2.0.21 computes PATH_INFO's length as path minus mountpoint: below zero when the path
    // is the mountpoint without its slash, and it hands the app 65535 bytes of its own memory.
    // Those bytes are not recorded (they are not an answer, and may hold anything).
    return {
      status,
      app: greeting.replace('Hello World! i am ', ''),
      SCRIPT_NAME: vars.SCRIPT_NAME,
      PATH_INFO: '<overread>',
      overreadBytes: vars.PATH_INFO.length,
    };
  }
  return {
    status,
    app: greeting.replace('Hello World! i am ', ''),
    SCRIPT_NAME: vars.SCRIPT_NAME,
    PATH_INFO: vars.PATH_INFO,
  };
}

async function record(mounts) {
  const dir = mkdtempSync(join(tmpdir(), 'uwrec-mounts-'));
  for (const n of [1, 2, 3])
    writeFileSync(join(dir, `app${n}.py`), fixture.wsgiApp.replace('app1', `app${n}`));
  const port = await freePort();
  const args = ['--plugin', 'python3', '--http-socket', `127.0.0.1:${port}`, '--manage-script-name'];
  for (const m of mounts) args.push('--mount', m);
  const proc = spawn('uwsgi', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  proc.stderr.on('data', (d) => {
    log += d;
  });
  for (let i = 0; i < 100 && !/spawned uWSGI worker/.test(log); i++)
    await new Promise((r) => setTimeout(r, 100));
  await new Promise((r) => setTimeout(r, 500));
  const answers = {};
  for (const path of PATHS) answers[path] = parse(await get(port, path), path);
  proc.kill('SIGINT');
  await new Promise((r) => proc.on('exit', r));
  rmSync(dir, { recursive: true, force: true });
  const command = `uwsgi ${args.join(' ').replace(String(port), 'PORT')}`;
  return { command, answers };
}

for (const [name, mounts] of Object.entries(VARIANTS)) {
  fixture[name] = await record(mounts);
  console.log(name, fixture[name].command);
}
fixture.recordedTrailingSlash = `uWSGI ${(await version()).trim()} (uwsgi-core + uwsgi-plugin-python3), ${new Date().toISOString().slice(0, 10)}: mountpointsTrailingSlash, mountpointsMixed (scripts/record-uwsgi-mounts.mjs)`;
writeFileSync(OUT, `${JSON.stringify(fixture, null, 2)}\n`);

function version() {
  return new Promise((resolve) => {
    const p = spawn('uwsgi', ['--version']);
    let out = '';
    p.stdout.on('data', (d) => {
      out += d;
    });
    p.on('exit', () => resolve(out));
  });
}
