// The spooler against the real CLI (issue 16 acceptance; seed 004's spooler example; reference §8):
// a task runs exactly once, after the request has been answered; a failing task runs again after
// spooler-frequency; spool files written by uWSGI 2.0.21 (recorded) are run; 1,000 tasks survive a
// SIGKILLed master; modifier1 17 over the network; the stats `spoolers` section.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO } from '../helpers/cli.js';
import { httpGet } from '../helpers/http.js';
import { startServer } from '../helpers/server.js';
import { fileLines, waitFor } from '../helpers/wait.js';

const APP = join(REPO, 'test/fixtures/spooler/app.mjs');
const RECORDED = join(REPO, 'test/fixtures/spooler/uwsgi-2.0.21');

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'uwsgi-ts-spooler-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const lines = fileLines;
const until = <T>(what: string, probe: () => T | undefined, timeoutMs = 15_000) =>
  waitFor(what, probe, timeoutMs);

/** Spool files left on disk (any depth), claims and temporaries included. */
function leftOnDisk(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((n) => n.includes('spool'));
}

/** The stats document from a unix stats socket (written on accept, reference §5). */
function readStats(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    net
      .connect(path)
      .on('data', (d) => {
        text += d.toString();
      })
      .on('end', () => resolve(text))
      .on('error', reject);
  });
}

function serverArgs(spool: string, extra: string[] = []): string[] {
  return [
    '--master',
    '--http-socket',
    '127.0.0.1:0',
    '--app',
    APP,
    '--spooler',
    spool,
    '--disable-logging',
    ...extra,
  ];
}

test('seed 004: send_email is enqueued by the app, runs once in the spooler, after the response', {
  timeout: 60_000,
}, async (t) => {
  const dir = tempDir(t);
  const out = join(dir, 'out.txt');
  const spool = join(dir, 'myspool');
  const stats = join(dir, 'stats.sock');
  const server = await startServer([...serverArgs(spool), '--stats', stats], {
    cwd: dir,
    env: { SPOOL_OUT: out, SEND_DELAY_MS: '3000' },
  });
  t.after(() => server.close());
  const before = Date.now();
  const reply = await httpGet(server.port, '/send?to=someone@no.spam');
  const answeredIn = Date.now() - before;
  assert.equal(reply.body, 'Hello World');
  // the response did not wait for the 3 s "e-mail provider" (a wide margin: CI runs two suites at once)
  assert.ok(answeredIn < 2500, `answered in ${answeredIn} ms`);
  assert.deepEqual(lines(out), []);
  const done = await until('the task', () => (lines(out).length > 0 ? lines(out) : undefined));
  assert.equal(done.length, 1);
  assert.match(done[0] ?? '', /^send_email someone@no\.spam \d+$/);
  await server.waitFor(/done with task uwsgi_spoolfile_on_\S+ after \d+ seconds/);
  assert.match(server.log(), /spawned the uWSGI spooler on dir \S+myspool with pid \d+/);
  assert.match(server.log(), /\[spooler\] written \d+ bytes to file \S+uwsgi_spoolfile_on_/);
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(lines(out).length, 1, 'run exactly once');
  assert.deepEqual(leftOnDisk(spool), []);
  // the stats document: `spooler on DIR` lock and the spoolers rows (reference §5)
  const doc = await readStats(stats);
  const parsed = JSON.parse(doc) as {
    locks: Array<Record<string, number>>;
    spoolers: Array<Record<string, unknown>>;
  };
  assert.ok(parsed.locks.some((l) => Object.keys(l)[0] === `spooler on ${spool}`));
  assert.equal(parsed.spoolers.length, 1);
  const row = parsed.spoolers[0] ?? {};
  assert.deepEqual(Object.keys(row), ['dir', 'pid', 'tasks', 'respawns', 'running']);
  assert.equal(row['dir'], spool);
  assert.equal(row['tasks'], 1);
  assert.equal(row['running'], 0);
});

test('a task that throws is logged and runs again after spooler-frequency; at, priorities, a signal to the spooler', {
  timeout: 60_000,
}, async (t) => {
  const dir = tempDir(t);
  const out = join(dir, 'out.txt');
  const spool = join(dir, 'spool');
  const server = await startServer(serverArgs(spool, ['--spooler-frequency', '2', '--spooler-ordered']), {
    cwd: dir,
    env: { SPOOL_OUT: out },
  });
  t.after(() => server.close());
  await httpGet(server.port, '/flaky?n=7');
  const runs = await until('the retry', () => {
    const l = lines(out).filter((x) => x.startsWith('flaky 7'));
    return l.length >= 2 ? l : undefined;
  });
  const [first, second] = runs.map((l) => Number(l.split(' ')[2]));
  assert.ok((second ?? 0) - (first ?? 0) >= 1900, `retried after ${(second ?? 0) - (first ?? 0)} ms`);
  assert.match(server.log(), /task uwsgi_spoolfile_on_\S+ failed, retried later: Error: flaky task 7/);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(lines(out).filter((x) => x.startsWith('flaky 7')).length, 2);
  // `at`: not run before its time
  const at = Date.now();
  await httpGet(server.port, '/at?in=2&n=late');
  await until('the at task', () => (lines(out).some((l) => l.startsWith('record late')) ? true : undefined));
  assert.ok(Date.now() - at >= 1000, 'the at task waited');
  // a priority subdirectory
  await httpGet(server.port, '/priority?p=5&n=prio');
  await until('the priority task', () =>
    lines(out).some((l) => l.startsWith('record prio')) ? true : undefined,
  );
  assert.ok(existsSync(join(spool, '5')));
  // a uwsgi signal whose target is `spooler` runs its handler in the spooler
  await httpGet(server.port, '/signal?n=30');
  await until('the signal in the spooler', () =>
    lines(out).some((l) => l === `signal 30 in uWSGI spooler ${spool}`) ? true : undefined,
  );
  assert.deepEqual(leftOnDisk(spool), []);
});

test('spool files written by uWSGI 2.0.21 (recorded) are run: @spool-style, raw with a body, priority', {
  timeout: 60_000,
}, async (t) => {
  const dir = tempDir(t);
  const out = join(dir, 'out.txt');
  const spool = join(dir, 'spool');
  const server = await startServer(serverArgs(spool, ['--spooler-ordered']), {
    cwd: dir,
    env: { SPOOL_OUT: out },
  });
  t.after(() => server.close());
  cpSync(RECORDED, spool, { recursive: true, filter: (src) => !/\.(py|log)$/.test(src) });
  const got = await until('the three tasks', () => (lines(out).length >= 3 ? lines(out) : undefined));
  const text = got.join('\n');
  assert.match(text, /^send_email py@no\.spam \d+$/m);
  assert.match(
    text,
    /^raw \{"a":"1","spooler_task_name":"uwsgi_spoolfile_on_vm_19100_2_\S+"\} body=BODYDATA$/m,
  );
  assert.match(text, /^record 42 \d+$/m);
});

test('a spool file still in writing (locked as uWSGI locks it, or short and young) waits for its writer; an old corrupt one is set aside', {
  timeout: 60_000,
}, async (t) => {
  const dir = tempDir(t);
  const out = join(dir, 'out.txt');
  const spool = join(dir, 'spool');
  const server = await startServer(serverArgs(spool), { cwd: dir, env: { SPOOL_OUT: out } });
  t.after(() => server.close());
  const task = readFileSync(join(RECORDED, 'uwsgi_spoolfile_on_vm_19100_1_565579525_1796383925_707552'));
  // uWSGI's writer: create under the final name, take a POSIX write lock, write, let go
  const locked = join(spool, 'uwsgi_spoolfile_on_vm_1_1_1_1_1');
  const writer = `
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
fcntl.lockf(fd, fcntl.LOCK_EX)
data = open(sys.argv[2], 'rb').read()
os.write(fd, data[:2])
time.sleep(1.5)
os.write(fd, data[2:])
fcntl.lockf(fd, fcntl.LOCK_UN)
os.close(fd)
`;
  const source = join(dir, 'task.bin');
  writeFileSync(source, task);
  execFileSync('python3', ['-c', writer, locked, source]);
  await until('the locked task', () => (lines(out).length >= 1 ? true : undefined));
  // a writer without a lock: an empty file for a moment, then the whole task
  const plain = join(spool, 'uwsgi_spoolfile_on_vm_2_2_2_2_2');
  writeFileSync(plain, '');
  await new Promise((r) => setTimeout(r, 600));
  writeFileSync(plain, task);
  await until('the unlocked task', () => (lines(out).length >= 2 ? true : undefined));
  assert.deepEqual(
    lines(out).map((l) => l.replace(/\d+$/, 'N')),
    ['send_email py@no.spam N', 'send_email py@no.spam N'],
  );
  // an old file that is not a task: set aside under a name no spooler runs, and logged
  const junk = join(spool, 'uwsgi_spoolfile_on_vm_3_3_3_3_3');
  writeFileSync(junk, 'xx');
  const old = new Date(Date.now() - 60_000);
  utimesSync(junk, old, old);
  await server.waitFor(
    /invalid spool file: 2 bytes is shorter than a header \[ERR_SPOOL_BAD_FILE\]: moved to \S+corrupt_uwsgi_spoolfile_on_vm_3_3_3_3_3/,
  );
  assert.ok(existsSync(join(spool, 'corrupt_uwsgi_spoolfile_on_vm_3_3_3_3_3')));
  assert.equal(server.log().match(/invalid spool file/g)?.length, 1, 'only the old junk was set aside');
});

test('1,000 tasks, the master SIGKILLed halfway: after a restart each ran exactly once', {
  timeout: 120_000,
}, async (t) => {
  const dir = tempDir(t);
  const out = join(dir, 'out.txt');
  const spool = join(dir, 'spool');
  const args = serverArgs(spool, ['--spooler-quiet']);
  const first = await startServer(args, { cwd: dir, env: { SPOOL_OUT: out, RECORD_DELAY_MS: '3' } });
  t.after(() => first.close());
  assert.equal((await httpGet(first.port, '/record?n=0&count=1000')).body, 'queued 1000');
  await until('some tasks', () => (lines(out).length >= 300 ? true : undefined), 60_000);
  process.kill(first.pid, 'SIGKILL');
  const doneBefore = lines(out).length;
  assert.ok(doneBefore < 1000, `only ${doneBefore} ran before the kill`);
  // the orphaned spooler finishes its task in hand and leaves; so does the worker
  await until('the old processes to leave', () => {
    try {
      execFileSync('pgrep', ['-g', String(first.pid)]);
      return undefined;
    } catch {
      return true;
    }
  });
  const ranBeforeRestart = lines(out).length;
  const second = await startServer(args, { cwd: dir, env: { SPOOL_OUT: out } });
  t.after(() => second.close());
  await until('every task', () => (lines(out).length >= 1000 ? true : undefined), 90_000);
  await new Promise((r) => setTimeout(r, 500));
  const counts = new Map<string, number>();
  for (const l of lines(out)) {
    const n = l.split(' ')[1] ?? '';
    counts.set(n, (counts.get(n) ?? 0) + 1);
  }
  assert.equal(counts.size, 1000, 'every task ran');
  assert.deepEqual(
    [...counts].filter(([, c]) => c !== 1),
    [],
    'none ran twice',
  );
  assert.ok(ranBeforeRestart < 1000);
  assert.deepEqual(leftOnDisk(spool), []);
});

test('modifier1 17 over the network: a task enqueued on a uwsgi socket, [255,0,1]; none without a spooler', {
  timeout: 60_000,
}, async (t) => {
  const dir = tempDir(t);
  const out = join(dir, 'out.txt');
  const spool = join(dir, 'spool');
  const server = await startServer(
    ['--master', '--socket', '127.0.0.1:0', '--app', APP, '--spooler', spool, '--disable-logging'],
    { cwd: dir, env: { SPOOL_OUT: out } },
  );
  t.after(() => server.close());
  const vars = Buffer.concat(
    [
      ['ud_spool_func', 'send_email'],
      ['email_address', 'net@no.spam'],
    ].flatMap(([k, v]) => {
      const kb = Buffer.from(k ?? '');
      const vb = Buffer.from(v ?? '');
      const kl = Buffer.alloc(2);
      kl.writeUInt16LE(kb.length);
      const vl = Buffer.alloc(2);
      vl.writeUInt16LE(vb.length);
      return [kl, kb, vl, vb];
    }),
  );
  const head = Buffer.from([17, vars.length & 0xff, vars.length >> 8, 0]);
  const reply = await new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    net
      .connect(server.port, '127.0.0.1', function (this: net.Socket) {
        this.write(Buffer.concat([head, vars]));
      })
      .on('data', (d) => chunks.push(d))
      .on('end', () => resolve(Buffer.concat(chunks)))
      .on('error', reject);
  });
  assert.equal(reply.toString('hex'), 'ff000001');
  await until('the networked task', () =>
    lines(out).some((l) => l.startsWith('send_email net@no.spam')) ? true : undefined,
  );
});
