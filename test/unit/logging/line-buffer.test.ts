// The request log's byte writer: the default line written as bytes is byte for byte the string
// line (formatDefaultLine), for ASCII and non-ASCII fields, -1 and large numbers, micros or msecs;
// the buffer grows for a line longer than itself.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LineBuffer } from '../../../src/logging/line-buffer.js';
import { formatDefaultLine, type LoggedRequest, writeDefaultLine } from '../../../src/logging/request-log.js';

function facts(over: Partial<LoggedRequest> = {}): LoggedRequest {
  return {
    pid: 4242,
    wid: 1,
    appId: 0,
    appRequests: 7,
    workerRequests: 12,
    vars: new Map([['REMOTE_USER', 'alice']]),
    remoteAddr: '127.0.0.1',
    method: 'GET',
    uri: '/hello?x=1',
    protocol: 'HTTP/1.1',
    status: 200,
    bodyBytes: 11,
    headerCount: 5,
    headerBytes: 149,
    varCount: 24,
    varBytes: 235,
    startMs: Date.UTC(2026, 10, 21, 14, 50, 25),
    startMicros: 0,
    elapsedMicros: 1234,
    core: 0,
    readErrors: 0,
    writeErrors: 0,
    modifier1: 0,
    modifier2: 0,
    logvars: undefined,
    ...over,
  };
}

const CASES: ReadonlyArray<readonly [string, LoggedRequest, boolean]> = [
  ['a hello line', facts({ remoteUser: '' }), false],
  ['REMOTE_USER from the vars, micros', facts(), true],
  [
    'no request of the app yet (-1), zero everything',
    facts({
      appRequests: 0,
      workerRequests: 0,
      elapsedMicros: 0,
      bodyBytes: 0,
      headerCount: 0,
      headerBytes: 0,
    }),
    false,
  ],
  [
    'non-ASCII URI, address and user',
    facts({ uri: '/café/€/🙂?q=ä', remoteAddr: '::ffff:10.0.0.1', remoteUser: 'zoë' }),
    false,
  ],
  ['latin1 bytes as Node decodes a request line', facts({ uri: '/\u00ff\u00e9', method: 'PROPFIND' }), false],
  [
    'large numbers',
    facts({ bodyBytes: 9_007_199_254_740_991, elapsedMicros: 987_654_321_012, status: 599, appId: -1 }),
    true,
  ],
];

describe('writeDefaultLine', () => {
  for (const [name, r, micros] of CASES) {
    it(name, () => {
      const out = new LineBuffer(16);
      writeDefaultLine(out, r, micros);
      assert.equal(out.take().toString('utf8'), formatDefaultLine(r, micros));
    });
  }

  it('appends lines and empties on take()', () => {
    const out = new LineBuffer(8);
    writeDefaultLine(out, facts(), false);
    writeDefaultLine(out, facts({ uri: '/2' }), false);
    const text = out.take().toString('utf8');
    assert.equal(text, formatDefaultLine(facts(), false) + formatDefaultLine(facts({ uri: '/2' }), false));
    assert.equal(out.length, 0);
  });
});

describe('LineBuffer', () => {
  it('integers as String() prints them', () => {
    const out = new LineBuffer(4);
    for (const n of [0, 7, 10, 99, 100, -1, -10, 123456789, 2 ** 53 - 1, Number.NaN, 1.5, -0]) {
      out.int(n);
      assert.equal(out.take().toString('latin1'), String(n), String(n));
    }
  });

  it('a string longer than the buffer, ASCII then UTF-8', () => {
    const out = new LineBuffer(4);
    const s = `${'a'.repeat(1000)}é${'b'.repeat(1000)}`;
    out.text(s);
    assert.equal(out.take().toString('utf8'), s);
  });
});
