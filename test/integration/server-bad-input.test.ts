// Bad input never takes a worker down (issue 3): one worker serves http, uwsgi, FastCGI and SCGI
// sockets at once; each malformed request gets a 4xx or a closed connection and exactly one log
// line ending in its error code, and then the same worker pid answers a normal request on every
// socket. A request with both Content-Length and Transfer-Encoding is refused with 400 (uWSGI
// 2.0.21 accepts it: request smuggling).
import assert from 'node:assert/strict';
import net from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ErrorCode } from '../../src/errors.js';
import {
  encodeFastCgiPairs,
  encodeFastCgiRequest,
  encodeRecord,
  FCGI_RECORD,
} from '../../src/protocol/fastcgi.js';
import { encodeScgiRequest } from '../../src/protocol/scgi.js';
import { encodeUwsgiPacket, encodeUwsgiVars } from '../../src/protocol/uwsgi.js';
import { REPO } from '../helpers/cli.js';
import { type RunningServer, startServer } from '../helpers/server.js';

type Protocol = 'http' | 'uwsgi' | 'fastcgi' | 'scgi';
const PROTOCOLS: readonly Protocol[] = ['http', 'uwsgi', 'fastcgi', 'scgi'];

/** Every line the server writes, as it arrives, with waiting by line index. */
class Lines {
  readonly all: string[] = [];
  private pending = '';
  private readonly waiters = new Set<() => void>();

  constructor(server: RunningServer) {
    const text = server.log();
    const cut = text.lastIndexOf('\n');
    this.all.push(
      ...text
        .slice(0, cut + 1)
        .split('\n')
        .slice(0, -1),
    );
    this.pending = text.slice(cut + 1);
    const onData = (d: Buffer) => this.feed(d.toString('utf8'));
    server.proc.stdout?.on('data', onData);
    server.proc.stderr?.on('data', onData);
  }

  private feed(text: string): void {
    const parts = (this.pending + text).split('\n');
    this.pending = parts.pop() ?? '';
    this.all.push(...parts);
    for (const w of this.waiters) w();
  }

  /** Resolves with the index of the first line at or after `from` matching `re`. */
  waitFor(re: RegExp, from: number, timeoutMs = 5000): Promise<number> {
    return new Promise((resolve, reject) => {
      const check = () => {
        for (let i = from; i < this.all.length; i++) {
          if (re.test(this.all[i] ?? '')) {
            this.waiters.delete(check);
            clearTimeout(timer);
            resolve(i);
            return;
          }
        }
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(
          new Error(
            `no line matching ${re} within ${timeoutMs} ms; since then:\n${this.all.slice(from).join('\n')}`,
          ),
        );
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }
}

interface Outcome {
  readonly bytes: Buffer;
  /** The server closed (or reset) the connection. */
  readonly closed: boolean;
}

interface SendOptions {
  /** Half-close our side after writing (a client that disconnects). */
  readonly end: boolean;
}

/** Writes `bytes`, then collects what comes back until the server closes; rejects after 5 s. */
function send(port: number, bytes: Buffer, options: SendOptions): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const parts: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new Error(
          `the server neither answered nor closed within 5 s (got ${Buffer.concat(parts).length} bytes)`,
        ),
      );
    }, 5000);
    socket.on('data', (d: Buffer) => parts.push(d));
    // a server that refuses a big request may reset while we still write: that is a close too
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ bytes: Buffer.concat(parts), closed: true });
    });
    socket.write(bytes, () => {
      if (options.end) socket.end();
    });
  });
}

/** The status of an HTTP answer (`HTTP/1.1 400 ...`) or of a CGI-style one (`Status: 200 OK`). */
function statusOf(text: string): number | undefined {
  const m = /^(?:HTTP\/1\.[01] |Status: )(\d{3})/.exec(text);
  return m ? Number(m[1]) : undefined;
}

function bodyOf(text: string): string {
  const at = text.indexOf('\r\n\r\n');
  return at < 0 ? '' : text.slice(at + 4);
}

/** The STDOUT stream of a FastCGI answer. */
function fastCgiStdout(bytes: Buffer): string {
  let out = '';
  let at = 0;
  while (at + 8 <= bytes.length) {
    const type = bytes[at + 1];
    const length = bytes.readUInt16BE(at + 4);
    const padding = bytes[at + 6] ?? 0;
    if (type === FCGI_RECORD.STDOUT) out += bytes.toString('latin1', at + 8, at + 8 + length);
    at += 8 + length + padding;
  }
  return out;
}

function cgiVars(
  method: string,
  uri: string,
  extra: ReadonlyArray<[string, string]> = [],
): Array<[string, string]> {
  const q = uri.indexOf('?');
  return [
    ['REQUEST_METHOD', method],
    ['REQUEST_URI', uri],
    ['PATH_INFO', q < 0 ? uri : uri.slice(0, q)],
    ['QUERY_STRING', q < 0 ? '' : uri.slice(q + 1)],
    ['SERVER_PROTOCOL', 'HTTP/1.1'],
    ['SERVER_NAME', 'localhost'],
    ['SERVER_PORT', '80'],
    ['REMOTE_ADDR', '127.0.0.1'],
    ['REMOTE_PORT', '40000'],
    ['HTTP_HOST', 'localhost'],
    ...extra,
  ];
}

/** A normal GET of `uri` in each protocol, answered as an HTTP-ish text (status line first). */
async function normalGet(
  ports: Readonly<Record<Protocol, number>>,
  protocol: Protocol,
  uri: string,
): Promise<string> {
  switch (protocol) {
    case 'http': {
      const req = `GET ${uri} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`;
      return (await send(ports.http, Buffer.from(req), { end: false })).bytes.toString('latin1');
    }
    case 'uwsgi': {
      const packet = encodeUwsgiPacket(0, 0, encodeUwsgiVars(cgiVars('GET', uri)));
      return (await send(ports.uwsgi, packet, { end: false })).bytes.toString('latin1');
    }
    case 'fastcgi': {
      const request = encodeFastCgiRequest(1, cgiVars('GET', uri), Buffer.alloc(0), false);
      return fastCgiStdout((await send(ports.fastcgi, request, { end: false })).bytes);
    }
    case 'scgi': {
      const request = encodeScgiRequest(
        [['CONTENT_LENGTH', '0'], ['SCGI', '1'], ...cgiVars('GET', uri)],
        Buffer.alloc(0),
      );
      return (await send(ports.scgi, request, { end: false })).bytes.toString('latin1');
    }
  }
}

interface BadCase {
  readonly name: string;
  readonly socket: Protocol;
  readonly bytes: () => Buffer;
  /** Disconnect after writing (otherwise wait for the server to answer or close). */
  readonly end: boolean;
  /** The answer: this exact status, or any 4xx or a close without an answer. */
  readonly answer: number | '4xx or closed';
  readonly code: ErrorCode;
}

const uwsgiHeader = (size: number) => Buffer.from([0, size & 0xff, size >> 8, 0]);

const CASES: readonly BadCase[] = [
  {
    name: 'uwsgi: a truncated header, then the client closes',
    socket: 'uwsgi',
    bytes: () => Buffer.from([0, 0x10]),
    end: true,
    answer: '4xx or closed',
    code: 'ERR_PROTOCOL_TRUNCATED',
  },
  {
    name: 'uwsgi: a datasize above buffer-size (4097 > 4096)',
    socket: 'uwsgi',
    bytes: () => Buffer.concat([uwsgiHeader(4097), Buffer.alloc(64, 0x41)]),
    end: false,
    answer: '4xx or closed',
    code: 'ERR_UWSGI_BLOCK_TOO_BIG',
  },
  {
    name: 'uwsgi: a var length running past the block',
    socket: 'uwsgi',
    // a 12-byte block whose first key claims 200 bytes
    bytes: () => Buffer.concat([uwsgiHeader(12), Buffer.from([200, 0]), Buffer.from('ABCDEFGHIJ')]),
    end: false,
    answer: '4xx or closed',
    code: 'ERR_UWSGI_BAD_VARS',
  },
  {
    name: 'uwsgi: a negative CONTENT_LENGTH',
    socket: 'uwsgi',
    bytes: () =>
      encodeUwsgiPacket(0, 0, encodeUwsgiVars(cgiVars('POST', '/body', [['CONTENT_LENGTH', '-1']]))),
    end: false,
    answer: '4xx or closed',
    code: 'ERR_UWSGI_BAD_VARS',
  },
  {
    name: 'uwsgi: the client disconnects mid-body',
    socket: 'uwsgi',
    bytes: () =>
      Buffer.concat([
        encodeUwsgiPacket(0, 0, encodeUwsgiVars(cgiVars('POST', '/body', [['CONTENT_LENGTH', '1000']]))),
        Buffer.alloc(100, 0x62),
      ]),
    end: true,
    answer: '4xx or closed',
    code: 'ERR_PROTOCOL_TRUNCATED',
  },
  {
    name: 'http: garbage',
    socket: 'http',
    bytes: () => Buffer.from('\x00\x01\x02 garbage \xff\r\n\r\n', 'latin1'),
    end: false,
    answer: 400,
    code: 'ERR_HTTP_BAD_REQUEST',
  },
  {
    name: 'http: a 100 KB header line',
    socket: 'http',
    bytes: () =>
      Buffer.from(`GET /pid HTTP/1.1\r\nHost: localhost\r\nX-Big: ${'a'.repeat(100 * 1024)}\r\n\r\n`),
    end: false,
    answer: '4xx or closed',
    code: 'ERR_HTTP_HEADERS_TOO_BIG',
  },
  {
    name: 'http: a bad chunk size',
    socket: 'http',
    bytes: () =>
      Buffer.from(
        'POST /body HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n',
      ),
    end: false,
    answer: 400,
    code: 'ERR_HTTP_BAD_REQUEST',
  },
  {
    name: 'http: a negative Content-Length',
    socket: 'http',
    bytes: () => Buffer.from('POST /body HTTP/1.1\r\nHost: localhost\r\nContent-Length: -1\r\n\r\n'),
    end: false,
    answer: 400,
    code: 'ERR_HTTP_BAD_REQUEST',
  },
  {
    name: 'http: both Content-Length and Transfer-Encoding (request smuggling)',
    socket: 'http',
    bytes: () =>
      Buffer.from(
        'POST /body HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      ),
    end: false,
    answer: 400,
    code: 'ERR_HTTP_SMUGGLING',
  },
  {
    name: 'http: the client disconnects mid-body',
    socket: 'http',
    bytes: () =>
      Buffer.from(`POST /body HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1000\r\n\r\n${'b'.repeat(100)}`),
    end: true,
    answer: '4xx or closed',
    code: 'ERR_PROTOCOL_TRUNCATED',
  },
  {
    name: 'FastCGI: a record with a bad version',
    socket: 'fastcgi',
    bytes: () => {
      const record = encodeRecord(FCGI_RECORD.BEGIN_REQUEST, 1, Buffer.from([0, 1, 0, 0, 0, 0, 0, 0]));
      record[0] = 2;
      return record;
    },
    end: false,
    answer: '4xx or closed',
    code: 'ERR_FASTCGI_BAD_VERSION',
  },
  {
    name: 'FastCGI: the client disconnects mid-body',
    socket: 'fastcgi',
    bytes: () =>
      Buffer.concat([
        encodeRecord(FCGI_RECORD.BEGIN_REQUEST, 1, Buffer.from([0, 1, 0, 0, 0, 0, 0, 0])),
        encodeRecord(
          FCGI_RECORD.PARAMS,
          1,
          encodeFastCgiPairs(cgiVars('POST', '/body', [['CONTENT_LENGTH', '1000']])),
        ),
        encodeRecord(FCGI_RECORD.PARAMS, 1, Buffer.alloc(0)),
        encodeRecord(FCGI_RECORD.STDIN, 1, Buffer.alloc(100, 0x62)),
      ]),
    end: true,
    answer: '4xx or closed',
    code: 'ERR_PROTOCOL_TRUNCATED',
  },
  {
    name: 'SCGI: a 100 KB header',
    socket: 'scgi',
    bytes: () => Buffer.from(`102400:CONTENT_LENGTH\x000\x00X\x00${'a'.repeat(4096)}`),
    end: false,
    answer: '4xx or closed',
    code: 'ERR_SCGI_HEADERS_TOO_BIG',
  },
  {
    name: 'SCGI: not a netstring',
    socket: 'scgi',
    bytes: () => Buffer.from('hello, this is not a netstring\r\n\r\n'),
    end: false,
    answer: '4xx or closed',
    code: 'ERR_SCGI_BAD_NETSTRING',
  },
];

// uWSGI's request log line: these are the lines a normal request adds.
const REQUEST_LINE = /^\[pid: \d+\|app: -?\d+\|req: -?\d+\/\d+\] /;

describe('bad input never takes a worker down (one worker, four protocols)', () => {
  let server: RunningServer | undefined;
  let lines: Lines | undefined;
  let pid = 0;
  let ports: Record<Protocol, number> = { http: 0, uwsgi: 0, fastcgi: 0, scgi: 0 };

  before(async () => {
    server = await startServer([
      '--master',
      '--processes',
      '1',
      '--http-socket',
      '127.0.0.1:0',
      '--socket',
      '127.0.0.1:0',
      '--fastcgi-socket',
      '127.0.0.1:0',
      '--scgi-socket',
      '127.0.0.1:0',
      '--app',
      join(REPO, 'test', 'fixtures', 'apps', 'probe.mjs'),
    ]);
    lines = new Lines(server);
    const [http = 0, uwsgi = 0, fastcgi = 0, scgi = 0] = server.ports;
    ports = { http, uwsgi, fastcgi, scgi };
    const m = await server.waitFor(/spawned uWSGI worker 1 \(pid: (\d+)/);
    pid = Number(m[1]);
  });
  after(() => server?.close());

  for (const [index, c] of CASES.entries()) {
    it(c.name, { timeout: 20_000 }, async () => {
      assert.ok(server && lines, 'the server started');
      const from = lines.all.length;
      const outcome = await send(ports[c.socket], c.bytes(), { end: c.end });
      const text = outcome.bytes.toString('latin1');
      const status = statusOf(text);
      if (c.answer === '4xx or closed') {
        if (status !== undefined) assert.ok(status >= 400 && status < 500, `a 4xx, not:\n${text}`);
        else assert.equal(outcome.closed, true);
      } else {
        assert.equal(status, c.answer, `answered:\n${text.slice(0, 500)}`);
      }

      // the same worker answers a normal request on every socket
      const marks: string[] = [];
      for (const protocol of PROTOCOLS) {
        const uri = `/pid?after=${index}-${protocol}`;
        marks.push(uri);
        const answer = await normalGet(ports, protocol, uri);
        assert.equal(statusOf(answer), 200, `${protocol} after "${c.name}":\n${answer}\n${server.log()}`);
        assert.equal(bodyOf(answer), String(pid), `${protocol}: the same worker pid serves`);
      }
      for (const uri of marks) await lines.waitFor(new RegExp(` GET ${uri.replace('?', '\\?')} => `), from);
      // its error line was written before the connection closed; give a late one 2 s anyway
      await lines.waitFor(new RegExp(`\\[${c.code}\\]$`), from, 2000).catch(() => {});

      const window = lines.all.slice(from).filter((l) => !marks.some((uri) => l.includes(` GET ${uri} => `)));
      const notes = window.filter((l) => !REQUEST_LINE.test(l));
      assert.equal(notes.length, 1, `exactly one log line for it, got:\n${window.join('\n')}`);
      assert.match(notes[0] ?? '', new RegExp(`\\[${c.code}\\]$`));
      // a request that reached the app may add its own request line, nothing more
      assert.ok(window.length - notes.length <= 1, window.join('\n'));
      assert.doesNotMatch(server.log(), /DAMN/);
    });
  }
});
