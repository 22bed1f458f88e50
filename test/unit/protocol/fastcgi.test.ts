// The FastCGI 1.0 responder codec (FastCGI Specification 1.0), fed whole, byte by byte and split
// at every position. Fixtures are bytes captured from nginx 1.22.1 `fastcgi_pass` with
// `fastcgi_keep_conn on` and Debian's fastcgi_params.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import {
  answerGetValues,
  encodeEndRequest,
  encodeFastCgiPairs,
  encodeFastCgiRequest,
  encodeGetValuesResult,
  encodeRecord,
  encodeStdout,
  encodeStdoutEnd,
  encodeUnknownType,
  FastCgiConnectionParser,
  type FastCgiParserOptions,
  FCGI_RECORD,
  FCGI_ROLE,
  FCGI_STATUS,
} from '../../../src/protocol/fastcgi.js';
import type { ProtocolError } from '../../../src/protocol/request-head.js';

const fixture = (name: string): Buffer =>
  Buffer.from(
    readFileSync(new URL(`../../fixtures/protocol/${name}.hex`, import.meta.url), 'utf8').replace(/\s/g, ''),
    'hex',
  );

interface HeadView {
  vars: [string, string][];
  varCount: number;
  varBytes: number;
  modifier1: number;
  modifier2: number;
}
type Seen =
  | ['head', number, HeadView, boolean]
  | ['body', number, Buffer]
  | ['end', number]
  | ['abort', number]
  | ['reject', number, number, boolean]
  | ['values', string[]]
  | ['unknown', number]
  | ['error', ProtocolError['code']];

/** Runs `chunks` through a fresh parser, then end(); consecutive body chunks are joined. */
function run(chunks: readonly Buffer[], options: FastCgiParserOptions = {}): Seen[] {
  const seen: Seen[] = [];
  const pieces = new Map<number, Buffer[]>();
  const after = (): void => {
    assert.notEqual(seen.at(-1)?.[0], 'error', 'event after an error');
  };
  const parser = new FastCgiConnectionParser(
    {
      onHead(id, { vars, varCount, varBytes, modifier1, modifier2 }, keepConn) {
        after();
        seen.push(['head', id, { vars: [...vars], varCount, varBytes, modifier1, modifier2 }, keepConn]);
      },
      onBody(id, chunk) {
        after();
        assert.ok(chunk.length > 0, 'empty body chunk');
        const last = seen.at(-1);
        if (last?.[0] === 'body' && last[1] === id) {
          pieces.get(seen.length - 1)?.push(chunk);
        } else {
          seen.push(['body', id, Buffer.alloc(0)]);
          pieces.set(seen.length - 1, [chunk]);
        }
      },
      onBodyEnd: (id) => seen.push(['end', id]),
      onAbort: (id) => seen.push(['abort', id]),
      onReject: (id, status, keepConn) => seen.push(['reject', id, status, keepConn]),
      onGetValues: (names) => seen.push(['values', [...names]]),
      onUnknownType: (type) => seen.push(['unknown', type]),
      onError: (err) => seen.push(['error', err.code]),
    },
    options,
  );
  for (const chunk of chunks) parser.push(chunk);
  parser.end();
  for (const [at, list] of pieces) {
    const event = seen[at];
    if (event?.[0] === 'body') event[2] = Buffer.concat(list);
  }
  return seen;
}

/** A quick equality check, so 27,000 splits of the big fixture stay fast; deepEqual explains a miss. */
function same(a: Seen[], b: Seen[]): boolean {
  return (
    a.length === b.length &&
    a.every((event, i) => {
      const other = b[i];
      if (other === undefined || other[0] !== event[0]) return false;
      if (event[0] === 'body' && other[0] === 'body')
        return event[1] === other[1] && event[2].equals(other[2]);
      if (event[0] === 'head' && other[0] === 'head') {
        const [x, y] = [event[2], other[2]];
        return (
          event[1] === other[1] &&
          event[3] === other[3] &&
          x.varCount === y.varCount &&
          x.varBytes === y.varBytes &&
          x.vars.length === y.vars.length &&
          x.vars.every(([k, v], j) => y.vars[j]?.[0] === k && y.vars[j]?.[1] === v)
        );
      }
      return JSON.stringify(event) === JSON.stringify(other);
    })
  );
}

/** Feeds `bytes` in one chunk, byte by byte and split in two at every position; all must agree. */
function parseAllWays(bytes: Buffer, options: FastCgiParserOptions = {}): Seen[] {
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

const headOf = (seen: Seen[], index = 0): HeadView => {
  const heads = seen.filter((e) => e[0] === 'head');
  const head = heads[index];
  assert.ok(head !== undefined, `no head #${index}`);
  return head[2];
};
const kinds = (seen: Seen[]): unknown[] =>
  seen.map((e) =>
    e[0] === 'head' ? ['head', e[1], e[3]] : e[0] === 'body' ? ['body', e[1], e[2].toString()] : e,
  );

const begin = (id: number, role: number = FCGI_ROLE.RESPONDER, keepConn = false): Buffer =>
  encodeRecord(
    FCGI_RECORD.BEGIN_REQUEST,
    id,
    Buffer.from([role >> 8, role & 0xff, keepConn ? 1 : 0, 0, 0, 0, 0, 0]),
  );
const record = (type: number, id: number, content = ''): Buffer =>
  encodeRecord(type, id, Buffer.from(content, 'latin1'));
const params = (id: number, pairs: [string, string][]): Buffer =>
  encodeRecord(FCGI_RECORD.PARAMS, id, encodeFastCgiPairs(pairs));

test('two nginx requests on one keep-conn connection (captured), in one chunk and split', () => {
  const bytes = fixture('nginx-fastcgi-keepconn');
  const seen = parseAllWays(bytes);
  assert.deepEqual(kinds(seen), [
    ['head', 1, true],
    ['end', 1],
    ['head', 1, true],
    ['body', 1, 'name=value&foo=bar'],
    ['end', 1],
  ]);
  const first = headOf(seen, 0);
  assert.deepEqual([first.varCount, first.varBytes, first.modifier1, first.modifier2], [48, 551, 0, 0]);
  const vars = new Map(first.vars);
  assert.equal(vars.get('REQUEST_URI'), '/f/hello/w%C3%B6rld?a=1&b=two');
  // nginx passes the decoded path as raw UTF-8 bytes; latin1 keeps each byte as one char.
  assert.equal(vars.get('SCRIPT_NAME'), '/f/hello/w\u00c3\u00b6rld');
  assert.equal(vars.get('CONTENT_LENGTH'), '');
  assert.equal(vars.get('REMOTE_USER'), '');
  assert.deepEqual(first.vars.at(-1), ['HTTP_X_EMPTY', '']);
  const second = headOf(seen, 1);
  assert.deepEqual([second.varCount, second.varBytes], [48, 573]);
  assert.equal(new Map(second.vars).get('CONTENT_LENGTH'), '18');
  // nginx pads PARAMS and STDIN to 8 bytes; the client encoder with `pad` reproduces its bytes.
  const firstEnd = 592;
  assert.deepEqual(
    encodeFastCgiRequest(1, first.vars, Buffer.alloc(0), true, { pad: true }),
    bytes.subarray(0, firstEnd),
  );
  assert.deepEqual(
    encodeFastCgiRequest(1, second.vars, Buffer.from('name=value&foo=bar'), true, { pad: true }),
    bytes.subarray(firstEnd),
  );
});

test('an nginx request with 100 headers and a 3 KB cookie (captured): params need buffer-size above 4096', () => {
  const bytes = fixture('nginx-fastcgi-big');
  assert.deepEqual(run([bytes]), [['error', 'ERR_FASTCGI_PARAMS_TOO_BIG']]);
  const seen = parseAllWays(bytes, { bufferSize: 8192 });
  assert.equal(seen.length, 3);
  assert.deepEqual([headOf(seen).varBytes, headOf(seen).varCount], [7160, 250]);
  // nginx sent the 20,000-byte body as two padded STDIN records; it is the same body as the uwsgi capture's.
  const uwsgiBig = fixture('nginx-uwsgi-big');
  assert.deepEqual(seen[1], ['body', 1, uwsgiBig.subarray(uwsgiBig.length - 20000)]);
  assert.deepEqual(seen[2], ['end', 1]);
});

const NGINX_SHAPED: [string, string][] = [
  ['QUERY_STRING', 'q=1'],
  ['REQUEST_METHOD', 'POST'],
  ['CONTENT_TYPE', 'text/plain'],
  ['CONTENT_LENGTH', '5'],
  ['REQUEST_URI', '/x?q=1'],
  ['DOCUMENT_ROOT', '/srv'],
  ['SERVER_PROTOCOL', 'HTTP/1.1'],
  ['REQUEST_SCHEME', 'https'],
  ['HTTPS', ''],
  ['REMOTE_ADDR', '10.0.0.1'],
  ['REMOTE_PORT', '40000'],
  ['SERVER_PORT', '443'],
  ['SERVER_NAME', 'example.test'],
  ['HTTP_COOKIE', `c=${'z'.repeat(300)}`],
  ['HTTP_X_LONG_NAME_'.padEnd(130, 'N'), 'long name: a 4-byte length'],
  ['HTTP_X_EMPTY', ''],
];

test('params and stdin spanning many small padded records parse like one record', () => {
  const bytes = encodeFastCgiRequest(7, NGINX_SHAPED, Buffer.from('hello'), false, {
    recordSize: 7,
    pad: true,
  });
  const seen = parseAllWays(bytes);
  assert.deepEqual(kinds(seen), [
    ['head', 7, false],
    ['body', 7, 'hello'],
    ['end', 7],
  ]);
  assert.deepEqual(headOf(seen).vars, NGINX_SHAPED);
  assert.equal(headOf(seen).varBytes, encodeFastCgiPairs(NGINX_SHAPED).length);
});

test('the encoders write the records of the spec byte for byte', () => {
  assert.equal(
    encodeFastCgiRequest(1, [['A', 'b']], Buffer.from('xy'), true).toString('hex'),
    '0101000100080000' +
      '0001010000000000' +
      '0104000100040000' +
      '01014162' +
      '0104000100000000' +
      '0105000100020000' +
      '7879' +
      '0105000100000000',
  );
  assert.equal(
    encodeFastCgiPairs([['N', 'v'.repeat(200)]])
      .subarray(0, 6)
      .toString('hex'),
    '01' + '800000c8' + '4e',
  );
  assert.equal(encodeStdoutEnd(1).toString('hex'), '0106000100000000');
  assert.equal(
    encodeEndRequest(1, 0, FCGI_STATUS.REQUEST_COMPLETE).toString('hex'),
    '0103000100080000' + '00'.repeat(8),
  );
  assert.equal(
    encodeEndRequest(258, 0x01020304, FCGI_STATUS.UNKNOWN_ROLE).toString('hex'),
    '0103010200080000' + '0102030403000000',
  );
  assert.equal(encodeUnknownType(42).toString('hex'), '010b000000080000' + '2a00000000000000');
  assert.equal(
    encodeGetValuesResult([['FCGI_MPXS_CONNS', '0']]).toString('hex'),
    '010a000000120000' + '0f01' + Buffer.from('FCGI_MPXS_CONNS0').toString('hex'),
  );
  assert.throws(() => encodeFastCgiPairs([['', 'x']]), RangeError);
});

test('encodeStdout splits at 65535 bytes without copying; empty data gives no record', () => {
  const data = Buffer.alloc(70000, 0x61);
  const parts = encodeStdout(3, data);
  assert.equal(parts.length, 4);
  assert.equal(parts[0]?.toString('hex'), '01060003ffff0000');
  assert.equal(parts[2]?.toString('hex'), '0106000311710000');
  assert.equal(parts[1]?.buffer, data.buffer);
  assert.equal(parts[3]?.length, 70000 - 65535);
  assert.deepEqual(encodeStdout(3, Buffer.alloc(0)), []);
});

test('GET_VALUES is reported, and answered with the names this server knows', () => {
  const query = encodeRecord(
    FCGI_RECORD.GET_VALUES,
    0,
    encodeFastCgiPairs([
      ['FCGI_MAX_CONNS', ''],
      ['FCGI_MPXS_CONNS', ''],
      ['constructor', ''],
      ['FCGI_MAX_REQS', ''],
    ]),
  );
  const seen = parseAllWays(query);
  assert.deepEqual(seen, [['values', ['FCGI_MAX_CONNS', 'FCGI_MPXS_CONNS', 'constructor', 'FCGI_MAX_REQS']]]);
  const names = seen[0]?.[0] === 'values' ? seen[0][1] : [];
  assert.deepEqual(answerGetValues(names, { maxConns: 10, maxReqs: 20 }), [
    ['FCGI_MAX_CONNS', '10'],
    ['FCGI_MPXS_CONNS', '0'],
    ['FCGI_MAX_REQS', '20'],
  ]);
  assert.deepEqual(run([record(FCGI_RECORD.GET_VALUES, 0)]), [['values', []]]);
});

test('an unknown record type is reported and skipped; DATA is ignored', () => {
  const bytes = Buffer.concat([
    record(42, 0, 'whatever'),
    begin(1),
    params(1, [['A', 'b']]),
    record(FCGI_RECORD.PARAMS, 1),
    record(FCGI_RECORD.DATA, 1, 'filter data'),
    record(FCGI_RECORD.STDIN, 1),
  ]);
  assert.deepEqual(kinds(parseAllWays(bytes)), [
    ['unknown', 42],
    ['head', 1, false],
    ['end', 1],
  ]);
});

test('a role other than responder is rejected; its records are skipped; the next request is served', () => {
  const bytes = Buffer.concat([
    begin(1, FCGI_ROLE.AUTHORIZER, true),
    params(1, [['A', 'b']]),
    record(FCGI_RECORD.PARAMS, 1),
    record(FCGI_RECORD.STDIN, 1),
    begin(2, FCGI_ROLE.RESPONDER, true),
    record(FCGI_RECORD.PARAMS, 2),
    record(FCGI_RECORD.STDIN, 2, 'x'),
    record(FCGI_RECORD.STDIN, 2),
  ]);
  assert.deepEqual(kinds(parseAllWays(bytes)), [
    ['reject', 1, FCGI_STATUS.UNKNOWN_ROLE, true],
    ['head', 2, true],
    ['body', 2, 'x'],
    ['end', 2],
  ]);
});

test('a second request while one is in flight is rejected with CANT_MPX_CONN', () => {
  const bytes = Buffer.concat([
    begin(1),
    params(1, [['A', 'b']]),
    begin(2),
    params(2, [['C', 'd']]),
    record(FCGI_RECORD.PARAMS, 2),
    record(FCGI_RECORD.PARAMS, 1),
    record(FCGI_RECORD.STDIN, 2, 'two'),
    record(FCGI_RECORD.STDIN, 1, 'one'),
    record(FCGI_RECORD.STDIN, 1),
  ]);
  assert.deepEqual(kinds(parseAllWays(bytes)), [
    ['reject', 2, FCGI_STATUS.CANT_MPX_CONN, false],
    ['head', 1, false],
    ['body', 1, 'one'],
    ['end', 1],
  ]);
});

test('ABORT_REQUEST stops the request at any point after BEGIN; for an unknown id it is ignored', () => {
  const midBody = Buffer.concat([
    begin(1, FCGI_ROLE.RESPONDER, true),
    record(FCGI_RECORD.PARAMS, 1),
    record(FCGI_RECORD.STDIN, 1, 'part'),
    record(FCGI_RECORD.ABORT_REQUEST, 1),
    record(FCGI_RECORD.STDIN, 1, 'late'),
    record(FCGI_RECORD.ABORT_REQUEST, 9),
    begin(1),
    record(FCGI_RECORD.PARAMS, 1),
    record(FCGI_RECORD.STDIN, 1),
    record(FCGI_RECORD.ABORT_REQUEST, 1),
  ]);
  assert.deepEqual(kinds(parseAllWays(midBody)), [
    ['head', 1, true],
    ['body', 1, 'part'],
    ['abort', 1],
    ['head', 1, false],
    ['end', 1],
    ['abort', 1],
  ]);
  const midParams = Buffer.concat([begin(4), params(4, [['A', 'b']]), record(FCGI_RECORD.ABORT_REQUEST, 4)]);
  assert.deepEqual(parseAllWays(midParams), [['abort', 4]]);
});

test('stdin chunks are views of the pushed buffer, not copies', () => {
  const bytes = encodeFastCgiRequest(1, [['A', 'b']], Buffer.from('body'), false);
  const bodies: Buffer[] = [];
  const parser = new FastCgiConnectionParser({
    onHead() {},
    onBody: (_id, chunk) => bodies.push(chunk),
    onBodyEnd() {},
    onAbort() {},
    onReject() {},
    onGetValues() {},
    onUnknownType() {},
    onError: (err) => assert.fail(err.message),
  });
  parser.push(bytes);
  assert.deepEqual(bodies, [Buffer.from('body')]);
  assert.equal(bodies[0]?.buffer, bytes.buffer);
});

test('a version other than 1 is refused with ERR_FASTCGI_BAD_VERSION', () => {
  for (const version of [0, 2, 255]) {
    const bytes = begin(1);
    bytes[0] = version;
    assert.deepEqual(parseAllWays(bytes), [['error', 'ERR_FASTCGI_BAD_VERSION']], `version ${version}`);
  }
});

test('records out of order or malformed are refused with ERR_FASTCGI_BAD_RECORD', () => {
  const pairsRecord = (hex: string): Buffer => encodeRecord(FCGI_RECORD.PARAMS, 1, Buffer.from(hex, 'hex'));
  const endParams = record(FCGI_RECORD.PARAMS, 1);
  const cases: Record<string, Buffer[]> = {
    'PARAMS before BEGIN_REQUEST': [params(1, [['A', 'b']])],
    'STDIN before BEGIN_REQUEST': [record(FCGI_RECORD.STDIN, 1, 'x')],
    'STDIN before the params end': [begin(1), params(1, [['A', 'b']]), record(FCGI_RECORD.STDIN, 1, 'x')],
    'PARAMS after the params end': [begin(1), endParams, params(1, [['A', 'b']])],
    'STDIN for another request': [begin(1), endParams, record(FCGI_RECORD.STDIN, 2, 'x')],
    'STDIN after the stdin end': [
      begin(1),
      endParams,
      record(FCGI_RECORD.STDIN, 1),
      record(FCGI_RECORD.STDIN, 1, 'x'),
    ],
    'BEGIN_REQUEST twice': [begin(1), begin(1)],
    'BEGIN_REQUEST of 4 bytes': [record(FCGI_RECORD.BEGIN_REQUEST, 1, '\x00\x01\x00\x00')],
    'BEGIN_REQUEST with id 0': [begin(0)],
    'a name length past the end': [begin(1), pairsRecord('0901' + '41' + '62'), endParams],
    'a 4-byte length cut short': [begin(1), pairsRecord('01' + '8000'), endParams],
    'a missing value length': [begin(1), pairsRecord('01'), endParams],
    'an empty name': [begin(1), pairsRecord('0001' + '62'), endParams],
    'STDOUT sent to the application': [record(FCGI_RECORD.STDOUT, 1, 'x')],
    'END_REQUEST sent to the application': [encodeEndRequest(1, 0, 0)],
    'GET_VALUES with a request id': [record(FCGI_RECORD.GET_VALUES, 1)],
    'a malformed GET_VALUES': [record(FCGI_RECORD.GET_VALUES, 0, '\x05')],
  };
  for (const [name, records] of Object.entries(cases)) {
    const seen = parseAllWays(Buffer.concat(records));
    assert.deepEqual(seen.at(-1), ['error', 'ERR_FASTCGI_BAD_RECORD'], name);
    assert.equal(seen.filter((e) => e[0] === 'error').length, 1, name);
  }
});

test('params above buffer-size are refused, counted across records before they are buffered', () => {
  const pairs: [string, string][] = [['X', 'y'.repeat(97)]]; // 1 + 1 + 1 + 97 = 100 bytes
  const ok = encodeFastCgiRequest(1, pairs, Buffer.alloc(0), false);
  assert.deepEqual(kinds(parseAllWays(ok, { bufferSize: 100 })), [
    ['head', 1, false],
    ['end', 1],
  ]);
  const tooBig = encodeFastCgiRequest(1, [['X', 'y'.repeat(98)]], Buffer.alloc(0), false, { recordSize: 30 });
  assert.deepEqual(parseAllWays(tooBig, { bufferSize: 100 }), [['error', 'ERR_FASTCGI_PARAMS_TOO_BIG']]);
  // Refused from the record header alone: the 200 bytes of content never arrive.
  const header = encodeFastCgiRequest(1, [['X', 'y'.repeat(197)]], Buffer.alloc(0), false).subarray(0, 24);
  assert.deepEqual(parseAllWays(header, { bufferSize: 100 }), [['error', 'ERR_FASTCGI_PARAMS_TOO_BIG']]);
});

test('end() inside a record or a request reports ERR_PROTOCOL_TRUNCATED; between requests it is silent', () => {
  const bytes = fixture('nginx-fastcgi-keepconn');
  const silent = new Set([0, 592, bytes.length]);
  for (let cut = 0; cut <= bytes.length; cut++) {
    const last = run([bytes.subarray(0, cut)]).at(-1);
    if (silent.has(cut)) assert.notEqual(last?.[0], 'error', `cut at ${cut}`);
    else assert.deepEqual(last, ['error', 'ERR_PROTOCOL_TRUNCATED'], `cut at ${cut}`);
  }
  // While the application answers (stdin done) the connection may close quietly.
  assert.deepEqual(
    run([Buffer.concat([begin(1), record(FCGI_RECORD.PARAMS, 1), record(FCGI_RECORD.STDIN, 1)])]).at(-1),
    ['end', 1],
  );
});

test('a request behind one without FCGI_KEEP_CONN is never answered (spec §5.1); with it, it is', () => {
  const one = (id: number, keep: boolean): Buffer =>
    Buffer.concat([
      begin(id, FCGI_ROLE.RESPONDER, keep),
      params(id, [['PATH_INFO', `/${id}`]]),
      record(FCGI_RECORD.PARAMS, id),
      record(FCGI_RECORD.STDIN, id),
    ]);
  assert.deepEqual(kinds(parseAllWays(Buffer.concat([one(1, false), one(2, false)]))), [
    ['head', 1, false],
    ['end', 1],
  ]);
  // nginx numbers every request 1: the same id behind a finished one is skipped too
  assert.deepEqual(kinds(parseAllWays(Buffer.concat([one(1, false), one(1, true)]))), [
    ['head', 1, false],
    ['end', 1],
  ]);
  assert.deepEqual(kinds(parseAllWays(Buffer.concat([one(1, true), one(1, true)]))), [
    ['head', 1, true],
    ['end', 1],
    ['head', 1, true],
    ['end', 1],
  ]);
});
