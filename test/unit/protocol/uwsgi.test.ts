// The uwsgi request codec (reference §1.1, §1.2), fed whole, byte by byte and split at every
// position. Fixtures are bytes captured from nginx 1.22.1 `uwsgi_pass` with Debian's uwsgi_params.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { ProtocolError, RequestHead } from '../../../src/protocol/request-head.js';
import {
  encodeUwsgiPacket,
  encodeUwsgiVars,
  parseContentLength,
  parseWholeRequest,
  type UwsgiParserOptions,
  UwsgiRequestParser,
} from '../../../src/protocol/uwsgi.js';

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
function run(chunks: readonly Buffer[], options: UwsgiParserOptions = {}): Outcome {
  const out: Outcome = { requests: [], error: null };
  const pieces: Buffer[][] = [];
  const current = (): SeenRequest => {
    const last = out.requests.at(-1);
    assert.ok(last !== undefined && !last.ended, 'body event outside a request');
    return last;
  };
  const parser = new UwsgiRequestParser(
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
function parseAllWays(bytes: Buffer, options: UwsgiParserOptions = {}): Outcome {
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

const request = (vars: [string, string][], body = '', m1 = 0, m2 = 0): Buffer =>
  Buffer.concat([encodeUwsgiPacket(m1, m2, encodeUwsgiVars(vars)), Buffer.from(body, 'latin1')]);

const NGINX_GET_VARS: [string, string][] = [
  ['QUERY_STRING', 'a=1&b=two'],
  ['REQUEST_METHOD', 'GET'],
  ['CONTENT_TYPE', ''],
  ['CONTENT_LENGTH', ''],
  ['REQUEST_URI', '/u/hello/w%C3%B6rld?a=1&b=two'],
  // nginx passes the decoded path as raw UTF-8 bytes; latin1 keeps each byte as one char.
  ['PATH_INFO', '/u/hello/w\u00c3\u00b6rld'],
  ['DOCUMENT_ROOT', '/srv/www'],
  ['SERVER_PROTOCOL', 'HTTP/1.1'],
  ['REQUEST_SCHEME', 'http'],
  ['REMOTE_ADDR', '127.0.0.1'],
  ['REMOTE_PORT', '56928'],
  ['SERVER_PORT', '18080'],
  ['SERVER_NAME', 'example.test'],
  ['HTTP_HOST', '127.0.0.1'],
  ['HTTP_USER_AGENT', 'curl-test/1.0'],
  ['HTTP_ACCEPT', '*/*'],
  ['HTTP_COOKIE', 'session=abc123; theme=dark'],
  ['HTTP_X_EMPTY', ''],
];

test('an nginx GET (captured) parses to its vars, in order, with the empty value last', () => {
  const bytes = fixture('nginx-uwsgi-get');
  const { requests, error } = parseAllWays(bytes);
  assert.equal(error, null);
  assert.equal(requests.length, 1);
  const [r] = requests;
  assert.deepEqual(r?.head, {
    vars: NGINX_GET_VARS,
    varCount: 36,
    varBytes: 446,
    modifier1: 0,
    modifier2: 0,
  });
  assert.equal(r?.body.length, 0);
  assert.equal(r?.ended, true);
  // The encoder reproduces nginx's bytes exactly.
  assert.deepEqual(request(NGINX_GET_VARS), bytes);
});

test('an nginx POST (captured) carries its body in the same chunk as the head', () => {
  const bytes = fixture('nginx-uwsgi-post');
  const { requests, error } = parseAllWays(bytes);
  assert.equal(error, null);
  const vars = new Map(requests[0]?.head.vars);
  assert.equal(vars.get('REQUEST_METHOD'), 'POST');
  assert.equal(vars.get('CONTENT_LENGTH'), '18');
  // nginx 1.22 also forwards the Content-Type/Length headers as HTTP_* vars.
  assert.equal(vars.get('HTTP_CONTENT_LENGTH'), '18');
  assert.equal(vars.get('HTTP_CONTENT_TYPE'), 'application/x-www-form-urlencoded');
  assert.equal(requests[0]?.body.toString(), 'name=value&foo=bar');
  assert.equal(requests[0]?.ended, true);
});

test('an nginx request with 100 headers and a 3 KB cookie (captured) needs buffer-size above 4096', () => {
  const bytes = fixture('nginx-uwsgi-big');
  assert.equal(run([bytes]).error, 'ERR_UWSGI_BLOCK_TOO_BIG');
  const { requests, error } = parseAllWays(bytes, { bufferSize: 8192 });
  assert.equal(error, null);
  const r = requests[0];
  assert.equal(r?.head.varBytes, 7260);
  // 119 pairs: more than max-vars 64, yet uWSGI's default admits up to 128.
  assert.equal(r?.head.varCount, 238);
  assert.equal(new Map(r?.head.vars).get('HTTP_X_HEADER_099'), `value-99-${'v'.repeat(99 % 17)}`);
  assert.equal(r?.body.length, 20000);
  assert.deepEqual(r?.body, bytes.subarray(bytes.length - 20000));
});

test('the header and vars encoders write the bytes of reference §1.1/§1.2', () => {
  assert.equal(encodeUwsgiVars([['A', 'bc']]).toString('hex'), '0100' + '41' + '0200' + '6263');
  assert.equal(encodeUwsgiVars(new Map([['K', '']])).toString('hex'), '0100' + '4b' + '0000');
  assert.equal(
    encodeUwsgiPacket(173, 1, Buffer.from('xyz')).toString('hex'),
    'ad' + '0300' + '01' + '78797a',
  );
  const big = encodeUwsgiPacket(0, 0, Buffer.alloc(0x1234));
  assert.equal(big.subarray(0, 4).toString('hex'), '00341200');
  assert.throws(() => encodeUwsgiVars([['', 'x']]), RangeError);
  assert.throws(() => encodeUwsgiVars([['K', 'x'.repeat(65536)]]), RangeError);
  assert.throws(() => encodeUwsgiPacket(0, 0, Buffer.alloc(65536)), RangeError);
});

test('a duplicate key: the later value wins, both count, the first position stays', () => {
  const { requests } = parseAllWays(
    request([
      ['A', '1'],
      ['B', '2'],
      ['A', '3'],
    ]),
  );
  assert.deepEqual(requests[0]?.head.vars, [
    ['A', '3'],
    ['B', '2'],
  ]);
  assert.equal(requests[0]?.head.varCount, 6);
});

test('every modifier1/modifier2 is parsed and reported; an empty vars block completes at once', () => {
  const ping = run([Buffer.from('64000000', 'hex')]);
  assert.deepEqual(ping.requests, [
    {
      head: { vars: [], varCount: 0, varBytes: 0, modifier1: 100, modifier2: 0 },
      body: Buffer.alloc(0),
      ended: true,
    },
  ]);
  const spool = parseAllWays(request([['task', 'one']], '', 17, 9));
  assert.equal(spool.requests[0]?.head.modifier1, 17);
  assert.equal(spool.requests[0]?.head.modifier2, 9);
});

test('packets sent back to back on one connection are parsed in turn', () => {
  const first = request(
    [
      ['CONTENT_LENGTH', '5'],
      ['PATH_INFO', '/a'],
    ],
    'hello',
  );
  const second = request([['PATH_INFO', '/b']]);
  const third = request([['CONTENT_LENGTH', '2']], 'ok');
  const { requests, error } = parseAllWays(Buffer.concat([first, second, third]));
  assert.equal(error, null);
  assert.deepEqual(
    requests.map((r) => [r.head.vars.at(-1), r.body.toString(), r.ended]),
    [
      [['PATH_INFO', '/a'], 'hello', true],
      [['PATH_INFO', '/b'], '', true],
      [['CONTENT_LENGTH', '2'], 'ok', true],
    ],
  );
});

test('body chunks are views of the pushed buffer, not copies', () => {
  const bytes = request([['CONTENT_LENGTH', '4']], 'body');
  const bodies: Buffer[] = [];
  const parser = new UwsgiRequestParser({
    onHead() {},
    onBody: (chunk) => bodies.push(chunk),
    onBodyEnd() {},
    onError: (err) => assert.fail(err.message),
  });
  parser.push(bytes);
  assert.equal(bodies.length, 1);
  assert.equal(bodies[0]?.buffer, bytes.buffer);
  assert.equal(bodies[0]?.byteOffset, bytes.byteOffset + bytes.length - 4);
  // A chunk that is all body is handed on as it is.
  const more = new UwsgiRequestParser({
    onHead() {},
    onBody: (chunk) => bodies.push(chunk),
    onBodyEnd() {},
    onError: (err) => assert.fail(err.message),
  });
  const tail = Buffer.from('body');
  more.push(bytes.subarray(0, bytes.length - 4));
  more.push(tail);
  assert.equal(bodies.at(-1), tail);
});

test('CONTENT_LENGTH: absent or empty is 0; anything but a non-negative integer is refused', () => {
  // Without CONTENT_LENGTH the bytes after the vars are the next packet ('tr' read as datasize).
  const absent = parseAllWays(request([['PATH_INFO', '/']], 'trailing'));
  assert.deepEqual([absent.requests[0]?.body.length, absent.requests[0]?.ended], [0, true]);
  assert.equal(absent.error, 'ERR_UWSGI_BLOCK_TOO_BIG');
  const empty = parseAllWays(request([['CONTENT_LENGTH', '']]));
  assert.deepEqual([empty.error, empty.requests[0]?.ended], [null, true]);
  assert.equal(parseAllWays(request([['CONTENT_LENGTH', '0']])).error, null);
  for (const bad of ['abc', '-1', '3x', ' 3', '1.5', '+2', '1234567890123456']) {
    const out = parseAllWays(request([['CONTENT_LENGTH', bad]], 'abc'));
    assert.deepEqual(out, { requests: [], error: 'ERR_UWSGI_BAD_VARS' }, bad);
  }
  assert.equal(parseContentLength(undefined), 0);
  assert.equal(parseContentLength('007'), 7);
  assert.equal(parseContentLength('123456789012345'), 123456789012345);
});

test('datasize above buffer-size is refused; datasize equal to it is served (uWSGI 2.0.21)', () => {
  const sized = (datasize: number): Buffer => request([['X', 'a'.repeat(datasize - 5)]]);
  assert.equal(sized(4096).readUInt16LE(1), 4096);
  assert.equal(run([sized(4096)]).error, null);
  assert.deepEqual(run([sized(4097)]), { requests: [], error: 'ERR_UWSGI_BLOCK_TOO_BIG' });
  // Refused from the header alone, before the vars arrive.
  assert.deepEqual(parseAllWays(sized(101).subarray(0, 4), { bufferSize: 100 }), {
    requests: [],
    error: 'ERR_UWSGI_BLOCK_TOO_BIG',
  });
});

test('a var length running past the block is refused', () => {
  const packet = (hexVars: string): Buffer => {
    const vars = Buffer.from(hexVars, 'hex');
    return encodeUwsgiPacket(0, 0, vars);
  };
  const cases = {
    'key length past the end': '0500' + '4142',
    'value length past the end': '0100' + '41' + '0900' + '626364',
    'value length field cut short': '0100' + '41' + '02',
    'key length field cut short': '0100' + '41' + '0000' + '07',
    'nothing after the key': '0200' + '4142',
  };
  for (const [name, hex] of Object.entries(cases)) {
    assert.deepEqual(parseAllWays(packet(hex)), { requests: [], error: 'ERR_UWSGI_BAD_VARS' }, name);
  }
});

test('a zero-length key is refused', () => {
  const vars = Buffer.concat([encodeUwsgiVars([['A', 'b']]), Buffer.from('0000' + '0100' + '78', 'hex')]);
  assert.deepEqual(parseAllWays(encodeUwsgiPacket(0, 0, vars)), {
    requests: [],
    error: 'ERR_UWSGI_BAD_VARS',
  });
});

test('max-vars: 64 admits 128 pairs and refuses 129, as uWSGI 2.0.21 does', () => {
  const pairs = (n: number): [string, string][] => Array.from({ length: n }, (_, i) => [`V${i}`, 'v']);
  assert.equal(run([request(pairs(128))]).requests[0]?.head.varCount, 256);
  assert.deepEqual(run([request(pairs(129))]), { requests: [], error: 'ERR_UWSGI_TOO_MANY_VARS' });
  assert.equal(run([request(pairs(4))], { maxVars: 2 }).error, null);
  assert.deepEqual(parseAllWays(request(pairs(5)), { maxVars: 2 }), {
    requests: [],
    error: 'ERR_UWSGI_TOO_MANY_VARS',
  });
});

test('end() mid-request reports ERR_PROTOCOL_TRUNCATED; between requests it is silent', () => {
  const one = request([['CONTENT_LENGTH', '3']], 'abc');
  const two = Buffer.concat([one, request([['PATH_INFO', '/']])]);
  for (let cut = 0; cut <= two.length; cut++) {
    const out = run([two.subarray(0, cut)]);
    const atBoundary = cut === 0 || cut === one.length || cut === two.length;
    assert.equal(out.error, atBoundary ? null : 'ERR_PROTOCOL_TRUNCATED', `cut at ${cut}`);
  }
});

test('after an error the parser ignores further bytes and end()', () => {
  const errors: string[] = [];
  const heads: RequestHead[] = [];
  const parser = new UwsgiRequestParser({
    onHead: (head) => heads.push(head),
    onBody() {},
    onBodyEnd() {},
    onError: (err) => errors.push(err.code),
  });
  parser.push(Buffer.from('00010000' + '00', 'hex'));
  parser.push(request([['PATH_INFO', '/']]));
  parser.end();
  assert.deepEqual(errors, ['ERR_UWSGI_BAD_VARS']);
  assert.equal(heads.length, 0);
});

test('rawPacket: the payload of an RPC packet is handed over whole at every split, with what follows', () => {
  // reference §1.5: RPC `ad 0d00 00 | 0500"hello" 0100"a" 0100"b"`, then 3 more bytes from the peer
  const wire = Buffer.concat([
    Buffer.from('ad0d0000', 'hex'),
    Buffer.from('0500', 'hex'),
    Buffer.from('hello'),
    Buffer.from('0100', 'hex'),
    Buffer.from('a'),
    Buffer.from('0100', 'hex'),
    Buffer.from('b'),
    Buffer.from('xyz'),
  ]);
  for (let split = 0; split <= wire.length; split++) {
    const got: Array<{ m1: number; m2: number; payload: string; rest: string }> = [];
    const errors: ProtocolError[] = [];
    const parser = new UwsgiRequestParser(
      {
        onHead: () => assert.fail('not a request'),
        onBody: () => assert.fail('no body'),
        onBodyEnd: () => assert.fail('no body'),
        onError: (e) => errors.push(e),
      },
      {
        rawPacket: (m1) => m1 === 173 || m1 === 110,
        onPacket: (p, rest) =>
          got.push({
            m1: p.modifier1,
            m2: p.modifier2,
            payload: p.payload.toString('hex'),
            rest: rest.toString(),
          }),
      },
    );
    parser.push(wire.subarray(0, split));
    parser.push(wire.subarray(split));
    assert.deepEqual(errors, []);
    assert.equal(got.length, 1, `split ${split}`);
    assert.equal(got[0]?.m1, 173);
    assert.equal(got[0]?.payload, wire.subarray(4, 17).toString('hex'));
    // bytes after the packet in the same push are passed on; a later push goes to the caller's socket
    if (split >= 17) assert.equal(got[0]?.rest, wire.subarray(17, split).toString() + '');
  }
  // a signal packet has no payload: reported as soon as its header is complete
  const signals: number[] = [];
  const parser = new UwsgiRequestParser(
    { onHead: () => assert.fail(), onBody: () => {}, onBodyEnd: () => {}, onError: () => assert.fail() },
    { rawPacket: (m1) => m1 === 110, onPacket: (p) => signals.push(p.modifier2) },
  );
  parser.push(Buffer.from('6e000011', 'hex'));
  assert.deepEqual(signals, [17]);
});

test('single: one request per connection, what follows it (a packet, junk, zeros) is never parsed', () => {
  const first = request(
    [
      ['CONTENT_LENGTH', '5'],
      ['PATH_INFO', '/a'],
    ],
    'hello',
  );
  for (const tail of [request([['PATH_INFO', '/b']]), Buffer.alloc(70, 0x41), Buffer.alloc(64)]) {
    const { requests, error } = parseAllWays(Buffer.concat([first, tail]), { single: true });
    assert.equal(error, null);
    assert.deepEqual(
      requests.map((r) => [r.head.vars.at(-1), r.body.toString(), r.ended]),
      [[['PATH_INFO', '/a'], 'hello', true]],
    );
  }
  // 64 KB of zeros: one empty packet is reported (the caller skips it), the rest is ignored
  const zeros = run([Buffer.alloc(65536)], { single: true });
  assert.equal(zeros.error, null);
  assert.equal(zeros.requests.length, 1);
  assert.deepEqual(zeros.requests[0]?.head.vars, []);
});

test('parseWholeRequest: a whole request in one buffer, or undefined for what the streaming parser must judge', () => {
  const vars = encodeUwsgiVars([
    ['REQUEST_METHOD', 'POST'],
    ['CONTENT_LENGTH', '5'],
  ]);
  const packet = Buffer.concat([encodeUwsgiPacket(0, 0, vars), Buffer.from('hello'), Buffer.from('junk')]);
  const whole = parseWholeRequest(packet, 4096, 64);
  assert.ok(whole);
  assert.equal(whole.head.vars.get('REQUEST_METHOD'), 'POST');
  assert.equal(whole.head.contentLength, 5);
  assert.equal(whole.head.varBytes, vars.length);
  assert.equal(whole.body.toString(), 'hello');
  // the body still on the wire, the head cut short, a block above buffer-size, bad vars
  assert.equal(parseWholeRequest(packet.subarray(0, packet.length - 6), 4096, 64), undefined);
  assert.equal(parseWholeRequest(packet.subarray(0, 10), 4096, 64), undefined);
  assert.equal(parseWholeRequest(packet, vars.length - 1, 64), undefined);
  const bad = Buffer.from(packet);
  bad.writeUInt16LE(0, 4);
  assert.equal(parseWholeRequest(bad, 4096, 64), undefined);
  assert.equal(parseWholeRequest(packet, 4096, 0), undefined);
});
