// The static file server through the real CLI, against what uWSGI 2.0.21 answered for the same
// configs and requests (test/fixtures/static/recorded/, made by record-uwsgi-static.ts): every
// static option of reference §2.7 (check-static, -docroot, static-map/-map2, static-index,
// static-skip-ext, static-safe, static-expires*, static-gzip*, mimefile, honour-range,
// file-serve-mode, offload-threads), Range, 304 and the request methods. Status line, headers in
// order and body must match, but for framing headers and the deliberate differences of README
// "Static files" (each request that differs says why and what uwsgi-ts answers instead). Then what
// recordings cannot show: a 1 MB body streamed, a client leaving mid-body, keep-alive across
// 304/416 answers, and bad options refused at start-up.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RecordedResponse, Recording } from '../fixtures/static/record-uwsgi-static.js';
import {
  buildStaticTree,
  exchange,
  expandBase,
  httpRequestBytes,
  type ParsedResponse,
  parseResponse,
  pseudoRandomBytes,
  STATIC_APP_JS,
  STATIC_CONFIGS,
  STATIC_RECORDED,
  type StaticRequest,
  uwsgiRequestBytes,
} from '../fixtures/static/static-kit.js';
import { runCli } from '../helpers/cli.js';
import { type RunningServer, startServer } from '../helpers/server.js';

/** Framing and per-run headers: how a body is delimited is not what these tests compare. */
const FRAMING = new Set(['date', 'server', 'connection', 'keep-alive', 'transfer-encoding']);

let base = '';

before(() => {
  base = mkdtempSync(join(tmpdir(), 'uwsgi-ts-static-'));
  buildStaticTree(base);
});

after(() => {
  rmSync(base, { recursive: true, force: true });
});

async function startStatic(config: string, extra: readonly string[] = []): Promise<RunningServer> {
  return startServer(
    [
      '--http-socket',
      '127.0.0.1:0',
      '--socket',
      '127.0.0.1:0',
      '--app',
      STATIC_APP_JS,
      '--ini',
      join(STATIC_CONFIGS, config),
      ...extra,
    ],
    { env: { STATIC_BASE: base } },
  );
}

async function send(server: RunningServer, request: StaticRequest): Promise<ParsedResponse | undefined> {
  const expanded = JSON.parse(expandBase(JSON.stringify(request), base)) as StaticRequest;
  const [httpPort, uwsgiPort] = server.ports;
  const bytes = await exchange(
    request.via === 'uwsgi' ? (uwsgiPort as number) : (httpPort as number),
    request.via === 'uwsgi' ? uwsgiRequestBytes(expanded) : httpRequestBytes(expanded),
  );
  return parseResponse(bytes);
}

const recordedBody = (r: RecordedResponse) =>
  r.bodyBase64 !== undefined ? Buffer.from(r.bodyBase64, 'base64') : Buffer.from(r.body ?? '', 'utf8');

/**
 * The headers to compare, in order: framing left out; of 2.0.21's Expires only the first (uwsgi-ts
 * sends one); our `Vary: Accept-Encoding` (2.0.21 sends none) and our `Content-Length: 0` on
 * bodiless answers (304, 416, file-serve-mode: 2.0.21 closes the connection instead) left out.
 */
function comparable(
  recorded: ReadonlyArray<readonly [string, string]>,
  ours: ReadonlyArray<readonly [string, string]>,
): { recorded: [string, string][]; ours: [string, string][] } {
  const keep = (h: ReadonlyArray<readonly [string, string]>) =>
    h.filter(([k]) => !FRAMING.has(k.toLowerCase())).map(([k, v]): [string, string] => [k, v]);
  let seenExpires = false;
  const r = keep(recorded).filter(([k]) => {
    if (k !== 'Expires') return true;
    if (seenExpires) return false;
    seenExpires = true;
    return true;
  });
  const recordedHasLength = r.some(([k]) => k === 'Content-Length');
  const o = keep(ours).filter(
    ([k, v]) =>
      !(k === 'Vary' && v === 'Accept-Encoding') &&
      !(k === 'Content-Length' && v === '0' && !recordedHasLength),
  );
  return { recorded: r, ours: o };
}

/** An Expires is equal, or the same offset from the moment each request was sent (now + N). */
function sameExpires(recorded: string, recordedAt: number, ours: string, oursAt: number): boolean {
  if (recorded === ours) return true;
  const r = Date.parse(recorded) / 1000 - recordedAt;
  const o = Date.parse(ours) / 1000 - oursAt;
  return Math.abs(r - o) <= 2;
}

function checkAgainstRecording(r: RecordedResponse, ours: ParsedResponse | undefined, oursAt: number): void {
  const what = `${r.request.method ?? 'GET'} ${r.request.path} ${JSON.stringify(r.request.headers ?? {})}`;
  assert.ok(ours, `${what}: no response`);
  assert.equal(ours.statusLine, r.statusLine, `${what}: status line`);
  const { recorded, ours: mine } = comparable(
    (r.headers ?? []).map(([k, v]) => [k, expandBase(v, base)] as const),
    ours.headers,
  );
  assert.deepEqual(
    mine.map(([k]) => k),
    recorded.map(([k]) => k),
    `${what}: header names in order`,
  );
  for (const [i, [name, value]] of recorded.entries()) {
    const mineValue = mine[i]?.[1] ?? '';
    if (name === 'Expires') {
      assert.ok(sameExpires(value, r.at, mineValue, oursAt), `${what}: Expires ${mineValue} vs ${value}`);
    } else assert.equal(mineValue, value, `${what}: ${name}`);
  }
  const body = recordedBody(r);
  assert.ok(
    ours.body.equals(Buffer.from(expandBase(body.toString('latin1'), base), 'latin1')),
    `${what}: body ${JSON.stringify(ours.body.toString('latin1').slice(0, 80))}`,
  );
}

function checkExpected(request: StaticRequest, ours: ParsedResponse | undefined): void {
  const what = `${request.method ?? 'GET'} ${request.path} (differs: ${request.differs})`;
  assert.ok(ours, `${what}: no response`);
  const expect = request.expect ?? {};
  if (expect.status !== undefined) assert.equal(ours.status, expect.status, `${what}: status`);
  for (const [name, value] of Object.entries(expect.headers ?? {})) {
    const got: string | undefined = ours.headers.find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];
    assert.equal(got, value === null ? undefined : value, `${what}: ${name}`);
  }
  if (expect.body !== undefined) assert.equal(ours.body.toString('utf8'), expect.body, `${what}: body`);
}

const recordings = readdirSync(STATIC_RECORDED)
  .filter((n) => n.endsWith('.json'))
  .sort()
  .map((n) => JSON.parse(readFileSync(join(STATIC_RECORDED, n), 'utf8')) as Recording);

describe('static files, compared with uWSGI 2.0.21', { timeout: 180_000 }, () => {
  it('has a recording for every config, and compares most answers byte for byte', () => {
    const configs = readdirSync(STATIC_CONFIGS).filter((n) => n.endsWith('.ini'));
    assert.equal(recordings.length, configs.length);
    const all = recordings.flatMap((r) => r.responses);
    const compared = all.filter((r) => r.request.differs === undefined || r.request.expect === undefined);
    assert.ok(all.length >= 100, `${all.length} recorded answers`);
    assert.ok(compared.length >= all.length * 0.9, `${compared.length} of ${all.length} compared`);
  });

  for (const recording of recordings) {
    it(`${recording.config}: ${recording.note}`, async () => {
      const server = await startStatic(recording.config);
      try {
        for (const r of recording.responses) {
          const at = Math.floor(Date.now() / 1000);
          const ours = await send(server, r.request);
          if (r.request.differs !== undefined && r.request.expect !== undefined)
            checkExpected(r.request, ours);
          else checkAgainstRecording(r, ours, at);
        }
        // 2.0.21's security lines are ours too (uwsgi-ts adds the answer and the error code)
        for (const line of recording.log) {
          await server.waitFor(new RegExp(escapeRegExp(expandBase(line, base))), 5000);
        }
      } finally {
        await server.close();
      }
    });
  }
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** GET over a kept-alive agent; resolves with status, headers and the body bytes. */
function get(
  port: number,
  path: string,
  headers: Record<string, string> = {},
  agent: http.Agent | false = false,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer; reused: boolean }> {
  return new Promise((resolve, reject) => {
    const req = http.get(
      { host: '127.0.0.1', port, path, headers, agent, signal: AbortSignal.timeout(10_000) },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('error', reject);
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks),
            reused: req.reusedSocket,
          }),
        );
      },
    );
    req.on('error', reject);
  });
}

describe('static files beyond the recordings', { timeout: 120_000 }, () => {
  const BIG = pseudoRandomBytes(1024 * 1024, 99);
  let server: RunningServer;

  before(async () => {
    writeFileSync(join(base, 'www', 'big.bin'), BIG);
    server = await startStatic('range.ini', ['--static-gzip-all']);
  });

  after(async () => {
    await server.close();
  });

  it('streams a 1 MB file whole, in a middle range, and as HEAD', async () => {
    const whole = await get(server.port, '/big.bin');
    assert.equal(whole.status, 200);
    assert.equal(whole.headers['content-length'], String(BIG.length));
    assert.ok(whole.body.equals(BIG));
    const part = await get(server.port, '/big.bin', { range: 'bytes=300000-899999' });
    assert.equal(part.status, 206);
    assert.equal(part.headers['content-range'], `bytes 300000-899999/${BIG.length}`);
    assert.ok(part.body.equals(BIG.subarray(300000, 900000)));
    const head = await new Promise<http.IncomingMessage>((resolve, reject) => {
      http
        .request(
          { host: '127.0.0.1', port: server.port, path: '/big.bin', method: 'HEAD', agent: false },
          resolve,
        )
        .on('error', reject)
        .end();
    });
    assert.equal(head.headers['content-length'], String(BIG.length));
    head.resume();
  });

  it('keeps the connection across 200, 304, 416, 206 and app answers, and says Vary when gzip applies', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const first = await get(server.port, '/hello.txt', {}, agent);
      assert.equal(first.status, 200);
      assert.equal(first.headers['vary'], 'Accept-Encoding');
      const lastModified = first.headers['last-modified'] ?? '';
      const answers = [
        await get(server.port, '/hello.txt', { 'if-modified-since': lastModified }, agent),
        await get(server.port, '/hello.txt', { range: 'bytes=99-' }, agent),
        await get(server.port, '/hello.txt', { range: 'bytes=0-0' }, agent),
        await get(server.port, '/not-a-file', {}, agent),
        await get(server.port, '/gz.txt', { 'accept-encoding': 'gzip' }, agent),
      ];
      assert.deepEqual(
        answers.map((a) => a.status),
        [304, 416, 206, 200, 200],
      );
      assert.ok(
        answers.every((a) => a.reused),
        'every answer on the first connection',
      );
      assert.equal(answers[2]?.body.toString(), 'h');
      assert.equal(answers[3]?.body.toString(), 'APP /not-a-file\n');
      assert.equal(answers[4]?.headers['content-encoding'], 'gzip');
    } finally {
      agent.destroy();
    }
  });

  it('survives a client that leaves in the middle of a large body', async () => {
    await new Promise<void>((resolve) => {
      const socket = net.connect(server.port, '127.0.0.1', () => {
        socket.write('GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n');
      });
      let got = 0;
      socket.on('data', (d: Buffer) => {
        got += d.length;
        if (got > 100_000) socket.destroy();
      });
      socket.on('close', () => resolve());
      socket.on('error', () => resolve());
    });
    const again = await get(server.port, '/big.bin');
    assert.ok(again.body.equals(BIG));
    assert.doesNotMatch(server.log(), /exception|Error:/);
  });
});

describe('static options refused at start-up', { timeout: 60_000 }, () => {
  for (const [option, value] of [
    ['static-expires', '(unclosed 100'],
    ['static-expires-uri', 'no-seconds'],
    ['static-expires-type', 'text/css=soon'],
    ['static-map', 'no-equal-sign'],
    ['static-gzip', '(?<bad'],
  ] as const) {
    it(`${option} = ${value}: ERR_CONFIG_BAD_VALUE naming the option`, async () => {
      const r = await runCli(['--http-socket', '127.0.0.1:0', '--app', STATIC_APP_JS, `--${option}`, value], {
        timeoutMs: 15_000,
      });
      assert.notEqual(r.code, 0);
      assert.match(r.stderr + r.stdout, new RegExp(`${option} = `));
      assert.match(r.stderr + r.stdout, /ERR_CONFIG_BAD_VALUE|bad regexp|expected|not a number/);
    });
  }

  it('serves every static option without a "not supported yet" warning', async () => {
    const server = await startStatic('check-static.ini', [
      '--static-index',
      'index.html',
      '--static-skip-ext',
      '.php',
      '--static-safe',
      '/nonexistent',
      '--static-expires-type',
      'text/css=1',
      '--static-expires-path-info',
      'x 1',
      '--static-expires-path-info-mtime',
      'x 1',
      '--static-gzip-ext',
      '.css',
      '--static-gzip-dir',
      '/nonexistent',
      '--honour-range',
      '--file-serve-mode',
      'default',
      '--offload-threads',
      '2',
      '--check-static-docroot',
      '--static-map2',
      '/zz=/nonexistent',
      '--mimefile',
      '/etc/mime.types',
    ]);
    try {
      const reply = await get(server.port, '/style.css');
      assert.equal(reply.status, 200);
      assert.doesNotMatch(server.log(), /not supported yet/);
    } finally {
      await server.close();
    }
  });
});
