// log-format compiled once (reference §9): every variable, `-` for empty values, uWSGI's parser
// quirks as recorded from uWSGI 2.0.21 (test/fixtures/logging/uwsgi-2.0.21.json).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileLogFormat, parseLogFormat } from '../../../src/logging/log-format.js';
import type { RequestFacts } from '../../../src/logging/request-facts.js';
import { formatDefaultLine } from '../../../src/logging/request-log.js';

process.env['TZ'] = 'UTC';

// Sat Nov 21 10:47:34 2026 UTC, 123456 µs into that second
const START_MICROS = 1_795_258_054_123_456;

function facts(over: Partial<RequestFacts> = {}): RequestFacts {
  return {
    pid: 5031,
    wid: 2,
    appId: 0,
    appRequests: 3,
    workerRequests: 7,
    vars: new Map([
      ['REQUEST_URI', '/foo?x=1'],
      ['PATH_INFO', '/foo'],
      ['HTTP_HOST', 'example.com'],
      ['HTTP_USER_AGENT', 'curl/7.88.1'],
      ['CONTENT_LENGTH', '12'],
      ['REMOTE_USER', 'bob'],
    ]),
    remoteAddr: '127.0.0.1',
    method: 'POST',
    uri: '/foo?x=1',
    protocol: 'HTTP/1.1',
    status: 201,
    bodyBytes: 12,
    headerCount: 3,
    headerBytes: 98,
    varCount: 24,
    varBytes: 257,
    startMs: Math.floor(START_MICROS / 1000),
    startMicros: START_MICROS,
    elapsedMicros: 2418,
    core: 0,
    readErrors: 0,
    writeErrors: 1,
    modifier1: 0,
    modifier2: 0,
    logvars: new Map([['mylv', 'set']]),
    ...over,
  };
}

describe('log-format variables', () => {
  const cases: ReadonlyArray<[string, string]> = [
    ['uri', '/foo?x=1'],
    ['method', 'POST'],
    ['user', 'bob'],
    ['addr', '127.0.0.1'],
    ['host', 'example.com'],
    ['proto', 'HTTP/1.1'],
    ['uagent', 'curl/7.88.1'],
    ['referer', '-'],
    ['status', '201'],
    ['rsize', '12'],
    ['hsize', '98'],
    ['size', '110'],
    ['cl', '12'],
    ['micros', '2418'],
    ['msecs', '2'],
    ['secs', '0.002418'],
    ['time', '1795258054'],
    ['tmsecs', '1795258054123'],
    ['tmicros', '1795258054123456'],
    ['ltime', '21/Nov/2026:10:47:34 +0000'],
    ['ftime', '21/Nov/2026:10:47:34 +0000'],
    ['ctime', 'Sat Nov 21 10:47:34 2026'],
    ['pid', '5031'],
    ['wid', '2'],
    ['core', '0'],
    ['switches', '1'],
    ['vars', '24'],
    ['pktsize', '257'],
    ['modifier1', '0'],
    ['modifier2', '0'],
    ['headers', '3'],
    ['werr', '1'],
    ['rerr', '0'],
    ['ioerr', '1'],
    ['var.PATH_INFO', '/foo'],
    ['var.NOPE', '-'],
    // uWSGI prints 0 for a metric that does not exist (recorded)
    ['metric.requests', '0'],
    ['mylv', 'set'],
    ['unknown', '-'],
  ];
  for (const [name, expected] of cases) {
    it(`%(${name})`, () => {
      assert.equal(compileLogFormat(`[%(${name})]`)(facts()), `[${expected}]\n`);
    });
  }

  it('epoch is the time of logging; vsz/rss are numbers', () => {
    const line = compileLogFormat('%(epoch) %(vsz) %(rss) %(vszM) %(rssM)')(facts());
    const [epoch, vsz, rss, vszM, rssM] = line.trim().split(' ').map(Number);
    assert.ok(Math.abs((epoch ?? 0) - Date.now() / 1000) < 5);
    assert.ok((rss ?? 0) > 0 && (vsz ?? 0) >= (rss ?? 0));
    assert.equal(rssM, Math.floor((rss ?? 0) / 1024 / 1024));
    assert.equal(vszM, Math.floor((vsz ?? 0) / 1024 / 1024));
  });

  it('ftime follows the log-date format with logformat-strftime', () => {
    assert.equal(compileLogFormat('%(ftime)', { ftime: '%Y-%m-%d' })(facts()), '2026-11-21\n');
  });

  it('secs always has six decimals (printf %f)', () => {
    assert.equal(compileLogFormat('%(secs)')(facts({ elapsedMicros: 1_500_000 })), '1.500000\n');
  });

  it("the recorded combined format (reference §9's observed line)", () => {
    const format =
      '%(addr) - %(user) [%(ltime)] "%(method) %(uri) %(proto)" %(status) %(size) "%(referer)" "%(uagent)" msecs=%(msecs) var=%(var.PATH_INFO) lv=%(nope)';
    assert.equal(
      compileLogFormat(format)(
        facts({ method: 'GET', uri: '/auth', status: 200, bodyBytes: 147, headerBytes: 45 }),
      ),
      '127.0.0.1 - bob [21/Nov/2026:10:47:34 +0000] "GET /auth HTTP/1.1" 200 192 "-" "curl/7.88.1" msecs=2 var=/foo lv=-\n',
    );
  });
});

describe("uWSGI's template parser, quirks included", () => {
  it('splits literals and names', () => {
    assert.deepEqual(parseLogFormat('a %(x) b%(y)c'), [
      { text: 'a ' },
      { name: 'x' },
      { text: ' b' },
      { name: 'y' },
      { text: 'c' },
    ]);
  });

  it('reproduces uWSGI 2.0.21 on %%(, an unclosed %(, and %() (recorded)', () => {
    const format = 'z %(ftime) %%(status) %(status %(pid)x %() %(ioerr';
    const line = compileLogFormat(format)(facts({ status: 200, pid: 2515, readErrors: 0, writeErrors: 0 }));
    // recorded: "z 21/Nov/2026:12:43:39 +0000 %200  %(status 2515x %x %() x %() %(ioerr"
    assert.equal(line, 'z 21/Nov/2026:10:47:34 +0000 %200  %(status 2515x %x %() x %() %(ioerr\n');
  });
});

describe("uWSGI's default line", () => {
  it('in msecs, and in micros with log-micros', () => {
    const r = facts({ method: 'GET', status: 200 });
    assert.equal(
      formatDefaultLine(r, false),
      '[pid: 5031|app: 0|req: 3/7] 127.0.0.1 (bob) {24 vars in 257 bytes} [Sat Nov 21 10:47:34 2026] GET /foo?x=1 => generated 12 bytes in 2 msecs (HTTP/1.1 200) 3 headers in 98 bytes (1 switches on core 0)\n',
    );
    assert.match(formatDefaultLine(r, true), / in 2418 micros /);
  });

  it('an app that served nothing yet counts -1', () => {
    assert.match(
      formatDefaultLine(facts({ appRequests: 0, appId: -1 }), false),
      /^\[pid: 5031\|app: -1\|req: -1\/7\]/,
    );
  });
});
