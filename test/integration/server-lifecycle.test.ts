// The master's lifecycle as an operator drives it (issue 3): a worker killed with -9 under load is
// logged and replaced within 1 s while the master lives on; SIGTERM (and `--stop PIDFILE`) lets
// the request in flight finish, then exits 0; SIGINT stops at once; SIGHUP (and `--reload
// PIDFILE`) swaps every worker under a request loop without one failed request.
import assert from 'node:assert/strict';
import { EventEmitter, once } from 'node:events';
import http from 'node:http';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { REPO, runCli, tempFiles } from '../helpers/cli.js';
import { type RunningServer, startServer } from '../helpers/server.js';

const PROBE = join(REPO, 'test', 'fixtures', 'apps', 'probe.mjs');

interface Reply {
  readonly status: number;
  readonly body: string;
}

/** One GET on a fresh connection, as a proxy in front of the server makes it; rejects after 5 s. */
function get(port: number, path: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.get(
      { host: '127.0.0.1', port, path, agent: false, signal: AbortSignal.timeout(5000) },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          body += d;
        });
        res.on('error', reject);
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
  });
}

interface Answer {
  readonly at: number;
  readonly sent: number;
  readonly pid: number;
}

/** `concurrency` loops of GET /pid until stopped; every answer and every failure is kept. */
class Load extends EventEmitter {
  readonly answers: Answer[] = [];
  readonly errors: string[] = [];
  private running = true;
  private readonly loops: Promise<void>[];

  constructor(
    private readonly port: number,
    concurrency: number,
  ) {
    super();
    this.loops = Array.from({ length: concurrency }, () => this.loop());
  }

  private async loop(): Promise<void> {
    while (this.running) {
      try {
        const sent = Date.now();
        const reply = await get(this.port, '/pid');
        if (reply.status !== 200) this.errors.push(`status ${reply.status}: ${reply.body}`);
        else {
          const answer = { at: Date.now(), sent, pid: Number(reply.body) };
          this.answers.push(answer);
          this.emit('answer', answer);
        }
      } catch (err) {
        this.errors.push(
          err instanceof Error ? `${(err as NodeJS.ErrnoException).code ?? ''} ${err.message}` : String(err),
        );
        this.emit('failure');
      }
    }
  }

  /** Resolves once `count` answers (in total) have come back; rejects after `timeoutMs`. */
  async answered(count: number, timeoutMs = 10_000): Promise<void> {
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      while (this.answers.length < count) await once(this, 'answer', { signal });
    } catch {
      throw new Error(
        `${this.answers.length} of ${count} answers; failures: ${this.errors.slice(-5).join('; ')}`,
      );
    }
  }

  /** Resolves with the first answer from `pid` (already received or still to come); 10 s at most. */
  async firstFrom(pid: number): Promise<Answer> {
    const signal = AbortSignal.timeout(10_000);
    for (;;) {
      const seen = this.answers.find((a) => a.pid === pid);
      if (seen) return seen;
      await once(this, 'answer', { signal });
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Worker pids from the `spawned uWSGI worker N (pid: P` lines in `text`. */
function spawnedPids(text: string): number[] {
  return [...text.matchAll(/spawned uWSGI worker \d+ \(pid: (\d+)/g)].map((m) => Number(m[1]));
}

async function serve(
  t: { after(fn: () => Promise<void>): void },
  args: readonly string[],
): Promise<RunningServer> {
  const server = await startServer(['--http-socket', '127.0.0.1:0', '--app', PROBE, '--master', ...args]);
  t.after(() => server.close());
  return server;
}

function exitOf(server: RunningServer): Promise<[number | null, NodeJS.Signals | null]> {
  if (server.proc.exitCode !== null || server.proc.signalCode !== null) {
    return Promise.resolve([server.proc.exitCode, server.proc.signalCode]);
  }
  return once(server.proc, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
}

describe('kill -9 of a worker under load', () => {
  it('the master logs it, a new worker serves within 1 s, twice in a row, and the master lives on', {
    timeout: 30_000,
  }, async (t) => {
    const server = await serve(t, ['--processes', '1']);
    const load = new Load(server.port, 4);
    t.after(() => load.stop());
    let pid = spawnedPids(server.log())[0] ?? 0;
    assert.ok(pid > 0, server.log());
    for (const round of [1, 2]) {
      await load.answered(load.answers.length + 10);
      const killedAt = Date.now();
      process.kill(pid, 'SIGKILL');
      await server.waitFor(
        new RegExp(
          `DAMN ! worker 1 \\(pid: ${pid}\\) died, killed by signal 9 :\\( trying respawn \\.\\.\\.`,
        ),
      );
      const m = await server.waitFor(
        new RegExp(`Respawned uWSGI worker 1 \\(new pid: (?!${pid}\\))(\\d+)\\)`),
      );
      const fresh = Number(m[1]);
      const first = await load.firstFrom(fresh);
      assert.ok(
        first.at - killedAt <= 1000,
        `round ${round}: the new worker served ${first.at - killedAt} ms after the kill`,
      );
      assert.equal(alive(pid), false, 'the killed worker is gone');
      pid = fresh;
    }
    await load.stop();
    assert.equal(server.proc.exitCode, null, 'the master is still running');
    assert.equal(server.proc.signalCode, null);
    const reply = await get(server.port, '/pid');
    assert.equal(reply.body, String(pid));
  });
});

describe('graceful stop: the request in flight completes, then the master exits 0', () => {
  const cases = [
    { name: 'SIGTERM', stop: (server: RunningServer, _pidfile: string) => void server.proc.kill('SIGTERM') },
    {
      name: 'uwsgi-ts --stop PIDFILE',
      stop: async (_server: RunningServer, pidfile: string) => {
        const r = await runCli(['--stop', pidfile]);
        assert.equal(r.code, 0, r.stderr);
      },
    },
  ] as const;
  for (const c of cases) {
    it(c.name, { timeout: 20_000 }, async (t) => {
      const tmp = tempFiles({});
      t.after(tmp.cleanup);
      const pidfile = join(tmp.dir, 'master.pid');
      const server = await serve(t, ['--processes', '1', '--pidfile', pidfile]);
      const worker = spawnedPids(server.log())[0] ?? 0;
      const slow = get(server.port, '/slow?ms=500');
      await server.waitFor(/probe: slow request started/);
      const exited = exitOf(server);
      await c.stop(server, pidfile);
      const reply = await slow;
      assert.equal(reply.status, 200);
      assert.equal(reply.body, 'slow done after 500 ms');
      const [code, signal] = await exited;
      assert.equal(code, 0, server.log());
      assert.equal(signal, null);
      const log = server.log();
      const triggered = log.indexOf('graceful shutdown triggered...');
      assert.ok(triggered >= 0, log);
      assert.ok(log.indexOf('goodbye to uWSGI.', triggered) > triggered, log);
      assert.equal(alive(worker), false, 'the worker is gone');
    });
  }
});

describe('SIGINT stops at once', () => {
  it('does not wait for the request in flight', { timeout: 20_000 }, async (t) => {
    const server = await serve(t, ['--processes', '1']);
    const worker = spawnedPids(server.log())[0] ?? 0;
    const slow = get(server.port, '/slow?ms=10000').then(
      (r) => r,
      (err: unknown) => err,
    );
    await server.waitFor(/probe: slow request started/);
    const exited = exitOf(server);
    const sentAt = Date.now();
    server.proc.kill('SIGINT');
    const [code] = await exited;
    assert.ok(Date.now() - sentAt < 3000, `exited ${Date.now() - sentAt} ms after SIGINT`);
    assert.equal(code, 0, server.log());
    assert.ok((await slow) instanceof Error, 'the request in flight was cut');
    assert.match(
      server.log(),
      /SIGINT\/SIGQUIT received\.\.\.killing workers\.\.\.[\s\S]*goodbye to uWSGI\./,
    );
    assert.equal(alive(worker), false, 'the worker is gone');
  });
});

describe('graceful reload under a request loop: zero failed requests, new workers after', () => {
  const cases = [
    { name: 'SIGHUP', reload: (server: RunningServer, _pidfile: string) => void server.proc.kill('SIGHUP') },
    {
      name: 'uwsgi-ts --reload PIDFILE',
      reload: async (_server: RunningServer, pidfile: string) => {
        const r = await runCli(['--reload', pidfile]);
        assert.equal(r.code, 0, r.stderr);
      },
    },
  ] as const;
  for (const c of cases) {
    it(c.name, { timeout: 30_000 }, async (t) => {
      const tmp = tempFiles({});
      t.after(tmp.cleanup);
      const pidfile = join(tmp.dir, 'master.pid');
      const server = await serve(t, ['--processes', '2', '--pidfile', pidfile]);
      const old = spawnedPids(server.log());
      assert.equal(old.length, 2, server.log());
      const load = new Load(server.port, 4);
      t.after(() => load.stop());
      await load.answered(20);

      const before = server.log().length;
      await c.reload(server, pidfile);
      await server.waitFor(/\.\.\.gracefully reloading workers/);
      await server.waitFor(/uwsgi-ts: reload done/);
      for (const pid of old)
        await server.waitFor(new RegExp(`Gracefully killing worker \\d+ \\(pid: ${pid}\\)`));
      await server.waitFor(/worker \d+ buried after \d+ seconds[\s\S]*worker \d+ buried after \d+ seconds/);
      const fresh = spawnedPids(server.log().slice(before));
      assert.equal(fresh.length, 2, server.log().slice(before));
      const buriedAt = Date.now();
      const sentAfter = () => load.answers.filter((a) => a.sent > buriedAt).length;
      while (sentAfter() < 40) await load.answered(load.answers.length + 10);
      await load.stop();

      assert.deepEqual(load.errors, [], 'no request failed across the reload');
      // requests sent after the old workers were buried (a reply sent just before can arrive after)
      const after = load.answers.filter((a) => a.sent > buriedAt);
      assert.ok(after.length >= 40);
      for (const a of after)
        assert.ok(fresh.includes(a.pid), `answered by ${a.pid}, not a new worker ${fresh}`);
      for (const pid of old) assert.equal(alive(pid), false, `old worker ${pid} is gone`);
      assert.equal(server.proc.exitCode, null, 'the master lives on');
    });
  }
});
