// The request log against uWSGI 2.0.21's recording (test/fixtures/logging/, re-recorded by
// scripts/record-uwsgi-logging.mjs): the same options, the same requests as raw bytes, the same
// lines once pids, sizes and times are normalized. Also rotation file names, the socket logger's
// datagrams and the syslog line format.
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  exchange,
  LOGGING_FIXTURES as FIXTURES,
  serveApp as serve,
  serveToFile,
  sleep,
} from '../helpers/logging.js';
import type { RunningServer } from '../helpers/server.js';

interface RequestSpec {
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
}
interface CaseSpec {
  readonly name: string;
  readonly args: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  readonly select: string;
  readonly same?: readonly string[];
}
interface Recording {
  readonly cases: Readonly<Record<string, readonly string[]>>;
  readonly rotation: { readonly files: readonly string[]; readonly lastLineOfRotated: string };
  readonly socketLogger: readonly string[];
  readonly syslog: { readonly datagrams: readonly string[] };
}

const CASES = JSON.parse(readFileSync(join(FIXTURES, 'cases.json'), 'utf8')) as {
  readonly requests: readonly RequestSpec[];
  readonly cases: readonly CaseSpec[];
};
const RECORDED = JSON.parse(readFileSync(join(FIXTURES, 'uwsgi-2.0.21.json'), 'utf8')) as Recording;

/** What may differ between two runs: digits, day and month names, the padding of ctime. */
function normalize(line: string): string {
  return line
    .replace(/\d+/g, 'N')
    .replace(/\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun)\b/g, 'Day')
    .replace(/\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b/g, 'Month')
    .replace(/ {2,}/g, ' ');
}

async function sendAll(port: number): Promise<void> {
  for (const request of CASES.requests) await exchange(port, request);
}

function select(text: string, pattern: string): string[] {
  const re = new RegExp(pattern);
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const m = line.match(re);
    if (m) out.push(m[1] ?? m[0]);
  }
  return out;
}

/** Waits until `count` lines match (the last request's line is written after its response). */
async function linesOf(server: RunningServer, pattern: string, count: number): Promise<string[]> {
  const deadline = Date.now() + 5000;
  let lines = select(server.log(), pattern);
  while (lines.length < count && Date.now() < deadline) {
    await sleep(50);
    lines = select(server.log(), pattern);
  }
  return lines;
}

describe('request log lines as uWSGI 2.0.21 writes them', { concurrency: 3 }, () => {
  for (const c of CASES.cases) {
    it(c.name, { timeout: 30_000 }, async (t) => {
      const expected = RECORDED.cases[c.name];
      assert.ok(expected, `no recording for "${c.name}": run scripts/record-uwsgi-logging.mjs`);
      const server = await serve(t, c.args, { ...c.env });
      await sendAll(server.port);
      const got = await linesOf(server, c.select, expected.length);
      // give a line that should not be there the time to show up
      await sleep(100);
      const final = select(server.log(), c.select);
      assert.deepEqual(final.map(normalize), expected.map(normalize), server.log());
      assert.equal(got.length, expected.length);
      for (const pattern of c.same ?? []) {
        const re = new RegExp(pattern, 'g');
        assert.deepEqual(
          final.map((l) => l.match(re)),
          expected.map((l) => l.match(re)),
          `${pattern} differs`,
        );
      }
    });
  }
});

describe('log destinations as uWSGI 2.0.21 writes them', { concurrency: 3 }, () => {
  it('log-maxsize renames the file to <logto>.<unix time>, ending it with the logsize line', {
    timeout: 30_000,
  }, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'uwsgi-ts-rot-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const { server, port } = await serveToFile(t, join(dir, 'rot.log'), ['--log-maxsize', '2000']);
    await sendAll(port);
    await server.close();
    const files = readdirSync(dir).sort();
    assert.ok(files.length >= 2, files.join(' '));
    assert.deepEqual(normalize(files[1] ?? ''), normalize(RECORDED.rotation.files[1] ?? '-'));
    const rotated = readFileSync(join(dir, files[1] ?? ''), 'utf8')
      .trimEnd()
      .split('\n');
    assert.equal(
      normalize((rotated.pop() ?? '').replaceAll(dir, '<dir>')),
      normalize(RECORDED.rotation.lastLineOfRotated),
    );
    assert.match(rotated.join('\n'), /Starting uWSGI-ts/, 'the first lines are in the rotated file');
  });

  it('the socket logger sends one datagram per line, general lines after their prefix', {
    timeout: 30_000,
  }, async (t) => {
    const udp = createSocket('udp4');
    const got: string[] = [];
    udp.on('message', (m) => got.push(m.toString('utf8')));
    await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
    t.after(() => udp.close());
    const port = udp.address().port;
    const server = await serve(t, [
      '--logger',
      `socket:127.0.0.1:${port},PFX `,
      '--req-logger',
      `socket:127.0.0.1:${port}`,
      // the instance's own log too (and the ready line the test helper waits for)
      '--logger',
      'stdio',
    ]);
    await sendAll(server.port);
    const deadline = Date.now() + 5000;
    const wanted = (d: string) => d.startsWith('PFX spawned uWSGI master') || d.startsWith('[pid: ');
    while (got.filter(wanted).length < RECORDED.socketLogger.length && Date.now() < deadline) await sleep(50);
    assert.deepEqual(got.filter(wanted).map(normalize), RECORDED.socketLogger.map(normalize));
  });

  it('the syslog logger writes <PRI>Mmm dd hh:mm:ss IDENT: line, as syslog(3) does', {
    timeout: 30_000,
  }, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'uwsgi-ts-syslog-'));
    const path = join(dir, 'log.sock');
    let received = '';
    // util-linux logger falls back to a stream socket when the path is one (Node has no unix datagrams)
    const collector = net.createServer((c) => c.on('data', (d) => (received += d.toString('utf8'))));
    await new Promise<void>((resolve) => collector.listen(path, resolve));
    t.after(() => {
      collector.close();
      rmSync(dir, { recursive: true, force: true });
    });
    const server = await serve(
      t,
      ['--logger', 'syslog:myident,local3', '--req-logger', 'syslog', '--logger', 'stdio'],
      {
        UWSGI_TS_SYSLOG_SOCKET: path,
      },
    );
    await sendAll(server.port);
    const deadline = Date.now() + 5000;
    while (!received.includes('GET /slow') && Date.now() < deadline) await sleep(50);
    const lines = received.split('\n');
    const [general, request] = RECORDED.syslog.datagrams;
    const header = (d: string) => normalize(d.slice(0, d.indexOf(': ') + 2));
    const banner = lines.find((l) => l.includes('Starting uWSGI'));
    assert.ok(banner, received);
    assert.equal(header(banner), header(general ?? ''));
    const first = lines.find((l) => l.includes('[pid: '));
    assert.ok(first, received);
    // the priority of a req-logger without ident (uWSGI's own ident there is garbage, see the note)
    assert.equal(first.slice(0, 4), (request ?? '').slice(0, 4));
    assert.match(first, /^<30>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d uwsgi: \[pid: /);
  });
});
