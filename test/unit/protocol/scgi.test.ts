// The SCGI request codec (SCGI spec by Neil Schemenauer), fed whole, byte by byte and split at
// every position. Fixtures are bytes captured from nginx 1.22.1 `scgi_pass` with Debian's scgi_params.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { ProtocolError, RequestHead } from '../../../src/protocol/request-head.js';
import { encodeScgiRequest, type ScgiParserOptions, ScgiRequestParser } from '../../../src/protocol/scgi.js';

const fixture = (name: string): Buffer =>
  Buffer.from(
    readFileSync(new URL(`../../fixtures/protocol/${name}.hex`, import.meta.url), 'utf8').replace(/\s/g, ''),
    'hex',
  );

interface SeenRequest {
  head: {
    vars: [string, string][];
    varCount: number;
    varBytes: number;
    modifier1: number;
    modifier2: number;
  };
  body: Buffer;
  ended: boolean;
}
interface Outcome {
  requests: SeenRequest[];
  error: ProtocolError['code'] | null;
}

/** Runs `chunks` through a fresh parser, then end(); bodies are joined so splits compare equal. */
function run(chunks: readonly Buffer[], options: ScgiParserOptions = {}): Outcome {
  const out: Outcome = { requests: [], error: null };
  const pieces: Buffer[][] = [];
  const current = (): SeenRequest => {
    const last = out.requests.at(-1);
    assert.ok(last !== undefined && !last.ended, 'body event outside a request');
    return last;
  };
  const parser = new ScgiRequestParser(
    {
      onHead(head: RequestHead) {
        assert.equal(out.error, null, 'event after an error');
        const { vars, varCount, varBytes, modifier1, modifier2 } = head;
        out.requests.push({
          head: { vars: [...vars], varCount, varBytes, modifier1, modifier2 },
          body: Buffer.alloc(0),
          ended: false,
        });
        pieces.push([]);
      },
      onBody(chunk) {
        assert.ok(chunk.length > 0, 'empty body chunk');
        current();
        pieces.at(-1)?.push(chunk);
      },
      onBodyEnd() {
        current().ended = true;
      },
      onError(err) {
        assert.equal(out.error, null, 'two errors');
        out.error = err.code;
      },
    },
    options,
  );
  for (const chunk of chunks) parser.push(chunk);
  parser.end();
  out.requests.forEach((r, i) => {
    r.body = Buffer.concat(pieces[i] ?? []);
  });
  return out;
}

/** A quick equality check, so 27,000 splits of the big fixture stay fast; deepEqual explains a miss. */
function same(a: Outcome, b: Outcome): boolean {
  if (a.error !== b.error || a.requests.length !== b.requests.length) return false;
  return a.requests.every((r, i) => {
    const o = b.requests[i];
    if (o === undefined || r.ended !== o.ended || !r.body.equals(o.body)) return false;
    const { vars, ...rest } = r.head;
    const { vars: otherVars, ...otherRest } = o.head;
    return (
      JSON.stringify(rest) === JSON.stringify(otherRest) &&
      vars.length === otherVars.length &&
      vars.every(([k, v], j) => otherVars[j]?.[0] === k && otherVars[j]?.[1] === v)
    );
  });
}

/** Feeds `bytes` in one chunk, byte by byte and split in two at every position; all must agree. */
function parseAllWays(bytes: Buffer, options: ScgiParserOptions = {}): Outcome {
  const whole = run([bytes], options);
  const check = (chunks: Buffer[], what: string): void => {
    const out = run(chunks, options);
    if (!same(out, whole)) assert.deepEqual(out, whole, what);
  };
  check(
    Array.from({ length: bytes.length }, (_, i) => bytes.subarray(i, i + 1)),
    'byte by byte',
  );
  for (let cut = 0; cut <= bytes.length; cut++) {
    check([bytes.subarray(0, cut), bytes.subarray(cut)], `split at ${cut}`);
  }
  return whole;
}

const raw = (text: string): Buffer => Buffer.from(text, 'latin1');
const refused = (code: ProtocolError['code']): Outcome => ({ requests: [], error: code });

const NGINX_GET_VARS: [string, string][] = [
  ['CONTENT_LENGTH', '0'],
  ['REQUEST_METHOD', 'GET'],
  ['REQUEST_URI', '/s/hello/w%C3%B6rld?a=1&b=two'],
  ['QUERY_STRING', 'a=1&b=two'],
  ['CONTENT_TYPE', ''],
  // nginx passes the decoded path as raw UTF-8 bytes; latin1 keeps each byte as one char.
  ['DOCUMENT_URI', '/s/hello/w\u00c3\u00b6rld'],
  ['DOCUMENT_ROOT', '/srv/www'],
  ['SCGI', '1'],
  ['SERVER_PROTOCOL', 'HTTP/1.1'],
  ['REQUEST_SCHEME', 'http'],
  ['REMOTE_ADDR', '127.0.0.1'],
  ['REMOTE_PORT', '38560'],
  ['SERVER_PORT', '18080'],
  ['SERVER_NAME', 'example.test'],
  ['HTTP_HOST', '127.0.0.1'],
  ['HTTP_USER_AGENT', 'curl-test/1.0'],
  ['HTTP_ACCEPT', '*/*'],
  ['HTTP_COOKIE', 'session=abc123; theme=dark'],
  ['HTTP_X_EMPTY', ''],
];

test('an nginx GET (captured) parses to its vars, in order, with the empty value last', () => {
  const bytes = fixture('nginx-scgi-get');
  const { requests, error } = parseAllWays(bytes);
  assert.equal(error, null);
  assert.deepEqual(requests, [
    {
      head: { vars: NGINX_GET_VARS, varCount: 38, varBytes: 421, modifier1: 0, modifier2: 0 },
      body: Buffer.alloc(0),
      ended: true,
    },
  ]);
  // The encoder reproduces nginx's bytes exactly.
  assert.deepEqual(encodeScgiRequest(NGINX_GET_VARS, Buffer.alloc(0)), bytes);
});

test('an nginx POST (captured) carries its body in the same chunk as the head', () => {
  const { requests, error } = parseAllWays(fixture('nginx-scgi-post'));
  assert.equal(error, null);
  const vars = new Map(requests[0]?.head.vars);
  assert.equal(vars.get('CONTENT_LENGTH'), '18');
  assert.equal(vars.get('HTTP_CONTENT_LENGTH'), '18');
  assert.equal(requests[0]?.body.toString(), 'name=value&foo=bar');
  assert.equal(requests[0]?.ended, true);
});

test('an nginx request with 100 headers and a 3 KB cookie (captured) needs buffer-size above 4096', () => {
  const bytes = fixture('nginx-scgi-big');
  assert.deepEqual(run([bytes]), refused('ERR_SCGI_HEADERS_TOO_BIG'));
  const { requests, error } = parseAllWays(bytes, { bufferSize: 8192 });
  assert.equal(error, null);
  assert.equal(requests[0]?.head.varBytes, 7032);
  assert.equal(requests[0]?.head.varCount, 240);
  assert.deepEqual(requests[0]?.body, bytes.subarray(bytes.length - 20000));
});

test('the encoder writes a netstring of NUL-terminated strings, then the body', () => {
  assert.equal(
    encodeScgiRequest([['CONTENT_LENGTH', '2']], raw('hi')).toString('latin1'),
    '17:CONTENT_LENGTH\x002\x00,hi',
  );
  assert.throws(() => encodeScgiRequest([['A\0B', '1']], Buffer.alloc(0)), RangeError);
  assert.throws(() => encodeScgiRequest([['', '1']], Buffer.alloc(0)), RangeError);
});

test('CONTENT_LENGTH may come anywhere (as uWSGI allows); SCGI=1 may be missing', () => {
  const { requests, error } = parseAllWays(
    encodeScgiRequest(
      [
        ['REQUEST_METHOD', 'PUT'],
        ['CONTENT_LENGTH', '3'],
      ],
      raw('abc'),
    ),
  );
  assert.equal(error, null);
  assert.equal(requests[0]?.body.toString(), 'abc');
});

test('a duplicate key: the later value wins, both count; an empty value may come last', () => {
  const { requests } = parseAllWays(raw('28:CONTENT_LENGTH\x000\x00A\x001\x00A\x002\x00B\x00\x00,'));
  assert.deepEqual(requests[0]?.head.vars, [
    ['CONTENT_LENGTH', '0'],
    ['A', '2'],
    ['B', ''],
  ]);
  assert.equal(requests[0]?.head.varCount, 8);
});

test('requests sent back to back are parsed in turn; a leading zero in the length is accepted', () => {
  const one = encodeScgiRequest([['CONTENT_LENGTH', '2']], raw('ok'));
  const two = raw('017:CONTENT_LENGTH\x000\x00,');
  const { requests, error } = parseAllWays(Buffer.concat([one, two]));
  assert.equal(error, null);
  assert.deepEqual(
    requests.map((r) => [r.body.toString(), r.ended]),
    [
      ['ok', true],
      ['', true],
    ],
  );
});

test('body chunks are views of the pushed buffer, not copies', () => {
  const bytes = encodeScgiRequest([['CONTENT_LENGTH', '4']], raw('body'));
  const bodies: Buffer[] = [];
  const parser = new ScgiRequestParser({
    onHead() {},
    onBody: (chunk) => bodies.push(chunk),
    onBodyEnd() {},
    onError: (err) => assert.fail(err.message),
  });
  parser.push(bytes);
  assert.equal(bodies[0]?.buffer, bytes.buffer);
  assert.equal(bodies[0]?.byteOffset, bytes.byteOffset + bytes.length - 4);
});

test('bad netstrings are refused with ERR_SCGI_BAD_NETSTRING', () => {
  const cases: Record<string, string> = {
    'a non-digit in the length': '1a:CONTENT_LENGTH\x000\x00,',
    'an empty length': ':CONTENT_LENGTH\x000\x00,',
    'no colon after the length': '17;CONTENT_LENGTH\x000\x00,',
    'a sign before the length': '+17:CONTENT_LENGTH\x000\x00,',
    'more than 10 digits': '00000000017:CONTENT_LENGTH\x000\x00,',
    'no comma after the payload': '17:CONTENT_LENGTH\x000\x00;',
    'a length one short': '16:CONTENT_LENGTH\x000\x00,',
    'an odd number of strings': '21:CONTENT_LENGTH\x000\x00ODD\x00,',
    'an unterminated last string': '20:CONTENT_LENGTH\x000\x00ABC,',
    'an empty name': '20:CONTENT_LENGTH\x000\x00\x00x\x00,',
    'no CONTENT_LENGTH': '7:SCGI\x001\x00,',
    'an empty netstring': '0:,',
    'an empty CONTENT_LENGTH': '16:CONTENT_LENGTH\x00\x00,',
    'a CONTENT_LENGTH that is not a number': '19:CONTENT_LENGTH\x00abc\x00,abc',
    'a negative CONTENT_LENGTH': '18:CONTENT_LENGTH\x00-1\x00,',
  };
  for (const [name, text] of Object.entries(cases)) {
    assert.deepEqual(parseAllWays(raw(text)), refused('ERR_SCGI_BAD_NETSTRING'), name);
  }
});

test('a netstring longer than buffer-size is refused as soon as its length is read', () => {
  assert.deepEqual(run([raw('4097:')]), refused('ERR_SCGI_HEADERS_TOO_BIG'));
  assert.deepEqual(parseAllWays(raw('101'), { bufferSize: 100 }), refused('ERR_SCGI_HEADERS_TOO_BIG'));
  assert.equal(run([raw('100:')], { bufferSize: 100 }).error, 'ERR_PROTOCOL_TRUNCATED');
  const at = (n: number): Buffer => {
    const filler = 'X\x00' + 'a'.repeat(n - 20) + '\x00';
    return raw(`${n}:CONTENT_LENGTH\x000\x00${filler},`);
  };
  assert.equal(run([at(4096)]).error, null);
  assert.equal(run([at(4097)]).error, 'ERR_SCGI_HEADERS_TOO_BIG');
});

test('end() mid-request reports ERR_PROTOCOL_TRUNCATED; between requests it is silent', () => {
  const one = encodeScgiRequest([['CONTENT_LENGTH', '3']], raw('abc'));
  const two = Buffer.concat([one, encodeScgiRequest([['CONTENT_LENGTH', '0']], Buffer.alloc(0))]);
  for (let cut = 0; cut <= two.length; cut++) {
    const out = run([two.subarray(0, cut)]);
    const atBoundary = cut === 0 || cut === one.length || cut === two.length;
    assert.equal(out.error, atBoundary ? null : 'ERR_PROTOCOL_TRUNCATED', `cut at ${cut}`);
  }
});

test('single: three requests in one write, only the first is reported', () => {
  const one = (path: string): Buffer =>
    encodeScgiRequest(
      [
        ['CONTENT_LENGTH', '0'],
        ['SCGI', '1'],
        ['PATH_INFO', path],
      ],
      Buffer.alloc(0),
    );
  const { requests, error } = parseAllWays(Buffer.concat([one('/1'), one('/2'), one('/3')]), {
    single: true,
  });
  assert.equal(error, null);
  assert.deepEqual(
    requests.map((r) => [r.head.vars.at(-1), r.ended]),
    [[['PATH_INFO', '/1'], true]],
  );
});
