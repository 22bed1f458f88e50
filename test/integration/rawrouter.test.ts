// The rawrouter (reference §2.11, seed manual "scaling SSL"): a plain TCP proxy on the corerouter.
// Round robin over rawrouter-to, a dead node marked failed and the fallbacks tried (uWSGI 2.0.21's
// lines: test/fixtures/gateway/rawrouter-uwsgi-2.0.21.json), a backend that speaks first, 8 MB
// both ways byte-exact, a client leaving half-way, the stats server, two processes, a graceful
// stop that lets an open connection finish.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REPO } from '../helpers/cli.js';
import { startServer } from '../helpers/server.js';
import {
  corerouterPort,
  exchange,
  gatewayStats,
  greeter,
  readUntil,
  type TcpBackend,
  tcpBackend,
} from '../helpers/tcp-backends.js';

const RECORDED = JSON.parse(
  readFileSync(join(REPO, 'test', 'fixtures', 'gateway', 'rawrouter-uwsgi-2.0.21.json'), 'utf8'),
) as { lines: Record<string, string>; stats_json: Record<string, unknown> };

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** uWSGI's recorded line with its run's addresses swapped for ours, as a regex. */
const recorded = (name: string, swaps: Readonly<Record<string, string>>) => {
  let line = RECORDED.lines[name] ?? '';
  for (const [from, to] of Object.entries(swaps)) line = line.replaceAll(from, to);
  return new RegExp(escapeRe(line).replace(/\\\(pid: \d+\\\)/, '\\(pid: \\d+\\)'));
};

/** A port nothing listens on (bound then closed). */
async function deadPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', () => resolve()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

const rawrouter = (args: readonly string[]) =>
  startServer(['--master', '--rawrouter', '127.0.0.1:0', ...args]);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the rawrouter', { timeout: 180_000 }, () => {
  const greeters: TcpBackend[] = [];
  before(async () => {
    for (const name of ['a', 'b', 'c']) greeters.push(await tcpBackend(greeter(name)));
  });
  after(async () => {
    await Promise.all(greeters.map((g) => g.close()));
  });
  const to = () => greeters.flatMap((g) => ['--rawrouter-to', `127.0.0.1:${g.port}`]);

  it('round robin over three rawrouter-to; the stats JSON in uWSGI 2.0.21 shape with hits', async () => {
    const front = await rawrouter([...to(), '--rawrouter-stats', '127.0.0.1:0']);
    try {
      assert.match(front.log(), /uWSGI rawrouter bound on 127\.0\.0\.1:\d+ fd \d+/);
      assert.match(front.log(), /\*\*\* rawrouter stats server enabled on 127\.0\.0\.1:\d+ fd: \d+ \*\*\*/);
      assert.match(front.log(), /spawned uWSGI rawrouter 1 \(pid: \d+\)/);
      const port = corerouterPort(front, 'rawrouter');
      const answers: string[] = [];
      for (let i = 0; i < 6; i++) answers.push((await exchange(port, `hi ${i}\n`)).toString());
      assert.deepEqual(
        answers,
        ['a', 'b', 'c', 'a', 'b', 'c'].map((n, i) => `${n}\nhi ${i}\n`),
      );
      const stats = await gatewayStats(front, 'rawrouter');
      assert.deepEqual(Object.keys(stats), Object.keys(RECORDED.stats_json));
      assert.deepEqual(stats['rawrouter'], ['127.0.0.1:0']);
      assert.equal(stats['active_sessions'], 0);
      assert.deepEqual(
        stats['static_nodes'],
        greeters.map((g) => ({ name: `127.0.0.1:${g.port}`, hits: 2, grace: 0 })),
      );
    } finally {
      await front.close();
    }
  });

  it("a dead node: uWSGI's lines, marked failed (grace in the stats), skipped; the fallbacks in order", async () => {
    const dead = await deadPort();
    const dead2 = await deadPort();
    const [a, , c] = greeters as [TcpBackend, TcpBackend, TcpBackend];
    const front = await rawrouter([
      '--rawrouter-to',
      `127.0.0.1:${a.port}`,
      '--rawrouter-to',
      `127.0.0.1:${dead}`,
      '--rawrouter-stats',
      '127.0.0.1:0',
    ]);
    try {
      const port = corerouterPort(front, 'rawrouter');
      const answers: string[] = [];
      for (let i = 0; i < 4; i++) answers.push((await exchange(port, '')).toString());
      // the dead node's turn is taken by the next one, then it rests (uWSGI: a, c, a, c over a, dead, c)
      assert.deepEqual(answers, ['a\n', 'a\n', 'a\n', 'a\n']);
      await front.waitFor(recorded('connect_failed', { '127.0.0.1:19109': `127.0.0.1:${dead}` }));
      await front.waitFor(
        recorded('marked_failed', {
          '127.0.0.1:19109': `127.0.0.1:${dead}`,
          '127.0.0.1:19100': '127.0.0.1:0',
        }),
      );
      // resting: tried once only, not at every round
      assert.equal(front.log().match(/unable to connect\(\) to node/g)?.length, 1);
      const stats = await gatewayStats(front, 'rawrouter');
      const nodes = stats['static_nodes'] as Array<{ name: string; grace: number }>;
      const grace = nodes.find((n) => n.name === `127.0.0.1:${dead}`)?.grace ?? 0;
      assert.ok(grace > Date.now() / 1000 && grace <= Date.now() / 1000 + 31, `grace ${grace}`);
    } finally {
      await front.close();
    }
    const fb = await rawrouter([
      '--rawrouter-to',
      `127.0.0.1:${dead}`,
      '--rawrouter-fallback',
      `127.0.0.1:${dead2}`,
      '--rawrouter-fallback',
      `127.0.0.1:${c.port}`,
    ]);
    try {
      const port = corerouterPort(fb, 'rawrouter');
      assert.equal((await exchange(port, 'x')).toString(), 'c\nx');
      assert.equal((await exchange(port, 'y')).toString(), 'c\ny');
      await fb.waitFor(recorded('connect_failed', { '127.0.0.1:19109': `127.0.0.1:${dead}` }));
      await fb.waitFor(recorded('fallback_failed', { '127.0.0.1:19108': `127.0.0.1:${dead2}` }));
    } finally {
      await fb.close();
    }
  });

  it('a server that speaks first (SMTP-like): its greeting arrives before the client sends', async () => {
    const smtp = await tcpBackend((socket) => {
      socket.write('220 mail.example ESMTP\r\n');
      socket.on('data', (d) => {
        if (d.toString().startsWith('QUIT')) socket.end('221 bye\r\n');
        else socket.write('250 ok\r\n');
      });
    });
    const front = await rawrouter(['--rawrouter-to', `127.0.0.1:${smtp.port}`]);
    try {
      const client = net.connect(corerouterPort(front, 'rawrouter'), '127.0.0.1');
      const closed = new Promise((resolve) => client.on('close', resolve));
      assert.match(await readUntil(client, /\r\n/), /^220 mail\.example ESMTP\r\n$/);
      client.write('HELO me\r\n');
      assert.equal(await readUntil(client, /\r\n/), '250 ok\r\n');
      client.write('QUIT\r\n');
      assert.equal(await readUntil(client, /\r\n/), '221 bye\r\n');
      await closed;
    } finally {
      await front.close();
      await smtp.close();
    }
  });

  it('8 MB each way at once, byte-exact; the client half-closes and still gets the rest', async () => {
    const up = randomBytes(8 * 1024 * 1024);
    const down = randomBytes(8 * 1024 * 1024);
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    let received: Promise<string> | undefined;
    const big = await tcpBackend((socket) => {
      received = new Promise((resolve) => {
        const hash = createHash('sha256');
        socket.on('data', (d) => hash.update(d));
        socket.on('end', () => resolve(hash.digest('hex')));
      });
      socket.end(down);
    });
    const front = await rawrouter(['--rawrouter-to', `127.0.0.1:${big.port}`]);
    try {
      const answer = await exchange(corerouterPort(front, 'rawrouter'), up, 60_000);
      assert.equal(answer.length, down.length);
      assert.equal(sha(answer), sha(down));
      assert.equal(await received, sha(up));
    } finally {
      await front.close();
      await big.close();
    }
  });

  it('a client that leaves half-way through a download: the backend connection is closed', async () => {
    let backendClosed: Promise<void> | undefined;
    const chunk = Buffer.alloc(64 * 1024, 7);
    const stream = await tcpBackend((socket) => {
      const timer = setInterval(() => socket.write(chunk), 5);
      backendClosed = new Promise((resolve) =>
        socket.on('close', () => {
          clearInterval(timer);
          resolve();
        }),
      );
    });
    const front = await rawrouter([
      '--rawrouter-to',
      `127.0.0.1:${stream.port}`,
      '--rawrouter-stats',
      '127.0.0.1:0',
    ]);
    try {
      const client = net.connect(corerouterPort(front, 'rawrouter'), '127.0.0.1');
      let got = 0;
      await new Promise<void>((resolve) =>
        client.on('data', (d: Buffer) => {
          got += d.length;
          if (got >= 1024 * 1024) resolve();
        }),
      );
      assert.equal((await gatewayStats(front, 'rawrouter'))['active_sessions'], 1);
      client.destroy();
      await Promise.race([
        backendClosed,
        sleep(15_000).then(() => assert.fail('the backend connection stayed open')),
      ]);
      let active = -1;
      for (let i = 0; i < 100 && active !== 0; i++) {
        active = (await gatewayStats(front, 'rawrouter'))['active_sessions'] as number;
        if (active !== 0) await sleep(50);
      }
      assert.equal(active, 0);
    } finally {
      await front.close();
      await stream.close();
    }
  });

  it('rawrouter-timeout: a session quiet for that long is closed (here a half-closed one)', async () => {
    // this backend never closes its side when the client half-closes
    const mute = await tcpBackend(() => {});
    const front = await rawrouter(['--rawrouter-to', `127.0.0.1:${mute.port}`, '--rawrouter-timeout', '2']);
    try {
      const started = Date.now();
      assert.equal((await exchange(corerouterPort(front, 'rawrouter'), 'bye', 30_000)).length, 0);
      const took = Date.now() - started;
      assert.ok(took >= 1500 && took < 20_000, `closed after ${took} ms`);
    } finally {
      await front.close();
      await mute.close();
    }
  });

  it('rawrouter-processes = 2: two processes, every connection served', async () => {
    const front = await rawrouter([...to(), '--rawrouter-processes', '2']);
    try {
      const pids = [1, 2].map((n) =>
        Number(front.log().match(new RegExp(`spawned uWSGI rawrouter ${n} \\(pid: (\\d+)\\)`))?.[1]),
      );
      assert.equal(new Set(pids).size, 2);
      for (const pid of pids) process.kill(pid, 0);
      const port = corerouterPort(front, 'rawrouter');
      const answers = await Promise.all(
        Array.from({ length: 24 }, (_, i) => exchange(port, `n${i}`).then((b) => b.toString())),
      );
      for (const [i, a] of answers.entries()) assert.match(a, new RegExp(`^[abc]\\nn${i}$`));
    } finally {
      await front.close();
    }
  });

  it('graceful stop (SIGTERM): an open connection goes on until the client ends it, then the instance exits', async () => {
    const [a] = greeters as [TcpBackend];
    const front = await rawrouter(['--rawrouter-to', `127.0.0.1:${a.port}`]);
    const client = net.connect(corerouterPort(front, 'rawrouter'), '127.0.0.1');
    try {
      assert.equal(await readUntil(client, /\n/), 'a\n');
      process.kill(front.pid, 'SIGTERM');
      await front.waitFor(/graceful shutdown triggered/);
      await sleep(500);
      client.write('still here\n');
      assert.equal(await readUntil(client, /\n/), 'still here\n');
      assert.equal(front.proc.exitCode, null);
      const exited = new Promise((resolve) => front.proc.once('exit', resolve));
      client.end();
      await Promise.race([exited, sleep(20_000).then(() => assert.fail('the instance did not exit'))]);
      assert.match(front.log(), /gateway "uWSGI rawrouter 1" has been buried \(pid: \d+\)/);
    } finally {
      client.destroy();
      await front.close();
    }
  });
});
