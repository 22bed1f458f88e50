// Attached daemons against the real CLI (issue 16 acceptance; seed manual "Managing external
// daemons/services"): a daemon killed from outside is respawned, one dying in a loop is throttled
// with doubling waits, and stopping the instance leaves no process of any daemon's tree in the
// process table: a plain daemon, one that forks, and a smart-attach-daemon found by its pidfile.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { CLI, REPO } from '../helpers/cli.js';
import { startServer } from '../helpers/server.js';

const APP = join(REPO, 'test/fixtures/spooler/app.mjs');

/** pid and args of every process whose args contain `needle`. */
function processes(needle: string): Array<{ pid: number; args: string }> {
  const out = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.includes(needle))
    .map((l) => ({ pid: Number(l.split(/\s+/)[0]), args: l.replace(/^\d+\s+/, '') }));
}

async function until<T>(
  what: string,
  probe: () => T | undefined,
  timeoutMs = 15_000,
  explain: () => string = () => '',
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${explain()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('daemons: respawned when killed, throttled in a loop, their whole trees gone at stop', {
  timeout: 90_000,
}, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'uwsgi-ts-daemons-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // durations unique to this run: the process table is searched by them
  const n = 20_000 + (process.pid % 10_000) * 4;
  const [plain, forkA, forkB, smart] = [n, n + 1, n + 2, n + 3].map((x) => `sleep ${x}`);
  const pidfile = join(dir, 'smart.pid');
  const stats = join(dir, 'stats.sock');
  const server = await startServer(
    [
      '--master',
      '--http-socket',
      '127.0.0.1:0',
      '--app',
      APP,
      '--disable-logging',
      '--stats',
      stats,
      '--attach-daemon',
      plain ?? '',
      '--attach-daemon',
      `sh -c '${forkA} & ${forkB} & wait'`,
      '--attach-daemon',
      'exit 3',
      '--smart-attach-daemon',
      `${pidfile} setsid ${smart} </dev/null >/dev/null 2>&1 & echo $! > ${pidfile}`,
    ],
    { cwd: dir },
  );
  t.after(() => server.close());
  const everything = [plain, forkA, forkB, smart] as string[];
  const table = () => `: ${JSON.stringify(everything.flatMap((c) => processes(c)))}\n${server.log()}`;
  await until(
    'every daemon',
    () => (everything.every((c) => processes(c).some((p) => p.args === c)) ? true : undefined),
    15_000,
    table,
  );

  // killed from outside: respawned
  const first = processes(plain ?? '').find((p) => p.args === plain);
  assert.ok(first);
  process.kill(first.pid, 'SIGKILL');
  await server.waitFor(new RegExp(`\\[uwsgi-daemons\\] respawning "${plain}"`));
  const second = await until('the respawned daemon', () =>
    processes(plain ?? '').find((p) => p.args === plain && p.pid !== first.pid),
  );
  assert.notEqual(second.pid, first.pid);

  // dying in a loop: throttled, with doubling waits
  await server.waitFor(/\[uwsgi-daemons\] throttling "exit 3" for 1 seconds/);
  await server.waitFor(/\[uwsgi-daemons\] throttling "exit 3" for 2 seconds/, 15_000);
  const spawnsOfLoop = server.log().match(/(spawning|respawning) "exit 3"/g)?.length ?? 0;
  assert.ok(spawnsOfLoop <= 4, `${spawnsOfLoop} spawns of a looping daemon in a few seconds`);

  // the stats `daemons` rows (reference §5)
  const doc = await new Promise<string>((resolve, reject) => {
    let text = '';
    net
      .connect(stats)
      .on('data', (d) => {
        text += d.toString();
      })
      .on('end', () => resolve(text))
      .on('error', reject);
  });
  const rows = (JSON.parse(doc) as { daemons: Array<{ cmd: string; pid: number; respawns: number }> })
    .daemons;
  assert.deepEqual(Object.keys(rows[0] ?? {}), ['cmd', 'pid', 'respawns']);
  assert.equal(rows.find((r) => r.cmd === plain)?.respawns, 1);

  // stopping the instance: nothing of any tree is left
  await server.close();
  await until(
    'every daemon tree to be gone',
    () => (everything.every((c) => processes(c).length === 0) ? true : undefined),
    10_000,
    table,
  );
  assert.match(server.log(), new RegExp(`\\[uwsgi-daemons\\] stopping daemon \\(pid: \\d+\\): ${plain}`));
});

test('attach-daemon2 refuses a key Node cannot apply, naming it', { timeout: 30_000 }, async () => {
  const { runCli } = await import('../helpers/cli.js');
  const r = await runCli([
    '--http-socket',
    '127.0.0.1:0',
    '--app',
    APP,
    '--attach-daemon2',
    'cmd=sleep 1,ns=/run/ns',
  ]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr + r.stdout, /ERR_DAEMON_CONFIG|attach-daemon2 key "ns"/);
});

test("daemons-honour-stdin gives the daemons the master's stdin; without it they read /dev/null", {
  timeout: 60_000,
}, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'uwsgi-ts-daemons-stdin-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const honour of [true, false]) {
    const out = join(dir, `stdin-${honour}.txt`);
    const args = [CLI, '--master', '--http-socket', '127.0.0.1:0', '--app', APP, '--disable-logging'];
    args.push('--attach-daemon', `cat >> ${out}; sleep 60`);
    if (honour) args.push('--daemons-honour-stdin');
    const proc = spawn(process.execPath, args, { cwd: dir, stdio: ['pipe', 'ignore', 'pipe'] });
    const exited = once(proc, 'exit');
    let log = '';
    proc.stderr?.on('data', (d: Buffer) => {
      log += d.toString();
    });
    proc.stdin?.end('from the master stdin\n');
    const end = Date.now() + 20_000;
    while (!/spawning "cat >>/.test(log) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    // the daemon read its stdin to the end before its sleep
    while (!existsSync(out) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 300));
    proc.kill('SIGINT');
    await exited;
    assert.equal(readFileSync(out, 'utf8'), honour ? 'from the master stdin\n' : '', log);
  }
});
