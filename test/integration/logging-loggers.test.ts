// The loggers and encoders of the "Operations" issue through the real CLI, against what uWSGI
// 2.0.21 sent for the same request lines (test/fixtures/logging/uwsgi-2.0.21-loggers.json,
// scripts/record-uwsgi-loggers.mjs): rsyslog (UDP), redislog (a fake redis), zeromq (a fake PULL
// peer), systemd (a fake journald stream socket), gzip/compress; then logto2, logfile-chmod,
// logfile-chown, logger-list and log-master-bufsize.
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import zlib from 'node:zlib';
import { runCli } from '../helpers/cli.js';
import {
  exchange,
  LOGGING_APP,
  LOGGING_FIXTURES,
  readText,
  serveApp,
  sleep,
  waitForText,
} from '../helpers/logging.js';
import { READY_LINE, type RunningServer, startServer } from '../helpers/server.js';

interface Recording {
  readonly paths: readonly string[];
  readonly rsyslog: ReadonlyArray<{
    readonly args: readonly string[];
    readonly datagrams: readonly string[];
  }>;
  readonly redislog: ReadonlyArray<{ readonly args: readonly string[]; readonly bytes: readonly string[] }>;
  readonly zeromq: {
    readonly args: readonly string[];
    readonly peer: string;
    readonly hex: readonly string[];
  };
}
const RECORDED = JSON.parse(
  readFileSync(join(LOGGING_FIXTURES, 'uwsgi-2.0.21-loggers.json'), 'utf8'),
) as Recording;
const FORMAT = ['--log-format', 'REQ %(method) %(uri) %(status)'];
const LINES = RECORDED.paths.map((p) => `REQ GET ${p} 200\n`);

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'uwsgi-ts-loggers-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The recorded requests, one connection each, in order. */
async function sendRecordedRequests(server: RunningServer): Promise<void> {
  for (const path of RECORDED.paths) await exchange(server.port, { path });
}

/** `args` of a recorded case with PORT filled in. */
const fill = (args: readonly string[], port: number) => args.map((a) => a.replace('PORT', String(port)));

async function until(check: () => boolean, what: () => string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what()}`);
    await sleep(20);
  }
}

/** A TCP server recording each connection, `hello` sent on connect, `answer` to each chunk. */
async function tcpPeer(t: TestContext, answer: (chunk: Buffer) => string | Buffer, hello?: Buffer) {
  const connections: Buffer[] = [];
  const server = net.createServer((socket) => {
    const n = connections.push(Buffer.alloc(0)) - 1;
    if (hello) socket.write(hello);
    socket.on('data', (chunk: Buffer) => {
      connections[n] = Buffer.concat([connections[n] ?? Buffer.alloc(0), chunk]);
      const reply = answer(chunk);
      if (reply.length > 0) socket.write(reply);
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  const address = server.address();
  return { connections, port: typeof address === 'object' && address ? address.port : 0 };
}

describe('loggers as uWSGI 2.0.21 sends them', { concurrency: 3 }, () => {
  const DATE = /^(<\d+>)[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d /;
  const normalize = (d: string) =>
    d.replace(DATE, '$1DATE ').replace(`${hostname()} uwsgi`, '<hostname> uwsgi');

  for (const index of [1, 4]) {
    const recorded = RECORDED.rsyslog[index];
    if (!recorded) throw new Error('the recording lost an rsyslog case');
    it(`rsyslog: ${recorded.args.join(' ')}`, { timeout: 30_000 }, async (t) => {
      const udp = createSocket('udp4');
      const datagrams: string[] = [];
      udp.on('message', (m) => datagrams.push(m.toString('utf8')));
      await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
      t.after(() => udp.close());
      const server = await serveApp(t, [...FORMAT, ...fill(recorded.args, udp.address().port)]);
      await sendRecordedRequests(server);
      await until(
        () => datagrams.length >= recorded.datagrams.length,
        () => datagrams.join('\n'),
      );
      await sleep(100);
      assert.deepEqual(datagrams.map(normalize), recorded.datagrams.map(normalize));
    });
  }

  for (const recorded of RECORDED.redislog.slice(0, 2)) {
    it(`redislog: ${recorded.args.join(' ')}`, { timeout: 30_000 }, async (t) => {
      const redis = await tcpPeer(t, (chunk) => {
        const text = chunk.toString();
        return '+OK\r\n'.repeat((text.match(/\$6\r\nselect|\$4\r\nauth/g) ?? []).length) || ':1\r\n';
      });
      const expected = recorded.bytes[0] ?? '';
      const server = await serveApp(t, [...FORMAT, ...fill(recorded.args, redis.port)]);
      await sendRecordedRequests(server);
      await until(
        () => (redis.connections[0]?.length ?? 0) >= Buffer.byteLength(expected),
        () => String(redis.connections[0]),
      );
      assert.equal(redis.connections.length, 1);
      assert.equal(redis.connections[0]?.toString(), expected);
    });
  }

  it('zeromq: ZMTP 3.1 PUSH to a PULL peer, byte for byte', { timeout: 30_000 }, async (t) => {
    const expected = RECORDED.zeromq.hex[0] ?? '';
    const peer = await tcpPeer(t, () => '', Buffer.from(RECORDED.zeromq.peer, 'hex'));
    const server = await serveApp(t, [...FORMAT, ...fill(RECORDED.zeromq.args, peer.port)]);
    await sendRecordedRequests(server);
    await until(
      () => (peer.connections[0]?.length ?? 0) >= expected.length / 2,
      () => String(peer.connections[0]?.toString('hex')),
    );
    assert.equal(peer.connections[0]?.toString('hex'), expected);
  });

  it('systemd: journald stream header (identifier uwsgi, priority 6), one line per entry', async (t) => {
    const dir = tempDir(t);
    const path = join(dir, 'journal.sock');
    let received = '';
    const journal = net.createServer((s) => s.on('data', (d) => (received += d.toString())));
    await new Promise<void>((resolve) => journal.listen(path, resolve));
    t.after(() => journal.close());
    const server = await serveApp(t, [...FORMAT, '--req-logger', 'systemd'], {
      UWSGI_TS_JOURNAL_SOCKET: path,
    });
    await sendRecordedRequests(server);
    await until(
      () => received.split('\n').length > 10,
      () => received,
    );
    assert.equal(received, `uwsgi\n\n6\n0\n0\n0\n0\n${LINES.join('')}`);
  });

  for (const encoder of ['gzip', 'compress'] as const) {
    it(`log-req-encoder ${encoder}: each request line compressed on its own`, async (t) => {
      const file = join(tempDir(t), 'req.bin');
      const server = await serveApp(t, [
        ...FORMAT,
        '--req-logger',
        `file:${file}`,
        '--log-req-encoder',
        encoder,
      ]);
      await sendRecordedRequests(server);
      let bytes = Buffer.alloc(0);
      const text = () => {
        bytes = readFileSync(file);
        // a zlib stream per line: inflate them one after the other
        let out = '';
        let at = 0;
        while (at < bytes.length) {
          const r = (encoder === 'gzip' ? zlib.gunzipSync : zlib.inflateSync)(bytes.subarray(at), {
            info: true,
          }) as unknown as { buffer: Buffer; engine: { bytesWritten: number } };
          out += r.buffer.toString();
          at += r.engine.bytesWritten;
          if (encoder === 'gzip') break; // gunzip reads every member at once
        }
        return out;
      };
      await until(
        () => {
          try {
            return text() === LINES.join('');
          } catch {
            return false;
          }
        },
        () => bytes.toString('hex'),
      );
      assert.equal(bytes.subarray(0, 2).toString('hex'), encoder === 'gzip' ? '1f8b' : '789c');
    });
  }
});

/** A server whose log goes to a file only (logto2): ready once the file says so. */
async function serveLoggingTo(
  t: TestContext,
  file: string,
  args: readonly string[],
): Promise<RunningServer & { filePort: number }> {
  const server = await startServer(
    ['--http-socket', '127.0.0.1:0', '--app', LOGGING_APP, '--master', '--processes', '1', ...args],
    { noWait: true },
  );
  t.after(() => server.close());
  await waitForText(() => readText(file) + server.log(), READY_LINE, 15_000);
  const port = Number((readText(file) + server.log()).match(/bound to TCP address \S*:(\d+) fd/)?.[1]);
  return Object.assign(server, { filePort: port });
}

const root = process.getuid?.() === 0;

describe('logto2, logfile-chmod, logfile-chown', () => {
  it('logto2: opened after privileges are dropped (owned by the uid); earlier lines on stderr', {
    timeout: 30_000,
  }, async (t) => {
    const dir = tempDir(t);
    // the directory must be writable by the uid the master becomes
    chmodSync(dir, 0o777);
    const file = join(dir, 'late.log');
    const drop = root ? ['--uid', 'nobody', '--gid', 'nogroup'] : [];
    const server = await serveLoggingTo(t, file, [...drop, ...FORMAT, '--logto2', file]);
    await exchange(server.filePort, { path: '/print' });
    const text = await waitForText(() => readText(file), /REQ GET \/print 200\n/);
    assert.ok(text.input?.includes('app says hello on stderr'), text.input);
    // the banner and the bound socket were written before: stderr
    assert.match(server.log(), /\*\*\* Starting uWSGI-ts .* \*\*\*\n[\s\S]*bound to TCP address/);
    assert.doesNotMatch(server.log(), /all workers ready|REQ GET/);
    assert.match(readText(file), /spawned uWSGI worker 1/);
    if (root) {
      assert.equal(statSync(file).uid, 65534, 'owned by nobody');
    } else t.diagnostic('not root: the uid part is not tested');
  });

  it('logto2 to a file the uid cannot create: the start fails with a code', {
    timeout: 30_000,
  }, async (t) => {
    if (!root) return t.skip('needs root to drop privileges');
    const dir = tempDir(t); // 0700, root's: nobody cannot write there
    const run = await runCli([
      '--http-socket',
      '127.0.0.1:0',
      '--app',
      LOGGING_APP,
      '--master',
      '--uid',
      'nobody',
      '--logto2',
      join(dir, 'x.log'),
    ]);
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, /unable to open the log file .*x\.log.*\[ERR_CONFIG_FILE_NOT_FOUND\]/);
  });

  it('logfile-chmod sets the mode of the logto file; logfile-chown gives it to uid/gid', {
    timeout: 30_000,
  }, async (t) => {
    const dir = tempDir(t);
    chmodSync(dir, 0o777);
    const file = join(dir, 'app.log');
    const owner = root ? ['--uid', 'nobody', '--gid', 'nogroup', '--logfile-chown'] : [];
    await serveLoggingTo(t, file, ['--logto', file, '--logfile-chmod', '604', ...owner]);
    const st = statSync(file);
    assert.equal(st.mode & 0o777, 0o604);
    if (root) {
      assert.equal(st.uid, 65534);
      assert.equal(st.gid, 65534);
    }
    assert.doesNotMatch(readText(file), /not supported yet/);
  });
});

describe('logger-list, log-master-bufsize', () => {
  it("logger-list prints uWSGI's list of loggers before the banner", async (t) => {
    const server = await serveApp(t, ['--logger-list']);
    assert.match(
      server.log(),
      /^\n\*\*\* uWSGI loaded loggers \*\*\*\nfile\nfd\nstdio\nsocket\nsyslog\nrsyslog\nredislog\nzeromq\nzmq\nsystemd\n--- end of loggers list ---\n\n\*\*\* Starting uWSGI-ts/,
    );
  });

  it('log-master-bufsize cuts a worker line longer than it; log-master-stream does not', {
    timeout: 30_000,
  }, async (t) => {
    const cut = await serveApp(t, [
      '--log-master',
      '--log-master-bufsize',
      '100',
      '--ignore-sigpipe',
      '--ignore-write-errors',
    ]);
    const whole = await serveApp(t, ['--log-master', '--log-master-bufsize', '100', '--log-master-stream']);
    for (const s of [cut, whole]) await exchange(s.port, { path: '/long?n=300' });
    await cut.waitFor(/\[pid: \d+\|app: 0\|req: 1\/1\]/);
    await whole.waitFor(/\[pid: \d+\|app: 0\|req: 1\/1\]/);
    const runs = (log: string) => [...log.matchAll(/^L+$/gm)].map((m) => m[0].length);
    assert.deepEqual(runs(cut.log()), [100]);
    assert.deepEqual(runs(whole.log()), [300]);
    for (const s of [cut, whole]) assert.doesNotMatch(s.log(), /not supported yet/);
  });
});
