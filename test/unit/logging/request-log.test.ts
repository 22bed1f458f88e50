// uWSGI's log_request(): what disable-logging still logs (log-4xx, log-5xx, log-zero, log-slow,
// log-big, log-ioerror), and where the line is written.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RequestLog, type RequestLogSettings } from '../../../src/logging/request-log.js';

const NONE = { status4xx: false, status5xx: false, zero: false, slowMs: 0, bigBytes: 0, ioError: false };

function settings(over: Partial<RequestLogSettings> = {}): RequestLogSettings {
  return {
    all: false,
    micros: false,
    format: undefined,
    ftime: undefined,
    xForwardedFor: false,
    memoryReport: false,
    when: NONE,
    toMaster: false,
    ...over,
  };
}

describe('which requests are logged', () => {
  const log = (over: Partial<RequestLogSettings['when']>) =>
    new RequestLog(settings({ when: { ...NONE, ...over } }), () => {});

  it('everything without disable-logging', () => {
    assert.equal(new RequestLog(settings({ all: true }), () => {}).wants(200, 10, 1, 0), true);
  });

  it('nothing with disable-logging alone', () => {
    assert.equal(log({}).wants(500, 0, 10_000_000, 2), false);
  });

  const cases: ReadonlyArray<
    [string, Partial<RequestLogSettings['when']>, [number, number, number, number], boolean]
  > = [
    ['log-4xx: 404', { status4xx: true }, [404, 10, 1, 0], true],
    ['log-4xx: 500', { status4xx: true }, [500, 10, 1, 0], false],
    ['log-5xx: 503', { status5xx: true }, [503, 10, 1, 0], true],
    ['log-5xx: 499', { status5xx: true }, [499, 10, 1, 0], false],
    ['log-zero: no body', { zero: true }, [204, 0, 1, 0], true],
    ['log-zero: a body', { zero: true }, [200, 1, 1, 0], false],
    ['log-slow 200: 200 ms (>=, as uWSGI)', { slowMs: 200 }, [200, 1, 200_000, 0], true],
    ['log-slow 200: 199.9 ms', { slowMs: 200 }, [200, 1, 199_999, 0], false],
    ['log-big 4000: 4000 bytes (>=)', { bigBytes: 4000 }, [200, 4000, 1, 0], true],
    ['log-big 4000: 3999 bytes', { bigBytes: 4000 }, [200, 3999, 1, 0], false],
    ['log-ioerror: a write error', { ioError: true }, [200, 10, 1, 1], true],
    ['log-ioerror: none', { ioError: true }, [200, 10, 1, 0], false],
  ];
  for (const [name, when, [status, bytes, micros, io], expected] of cases) {
    it(name, () => assert.equal(log(when).wants(status, bytes, micros, io), expected));
  }
});

describe('writing request lines', () => {
  const facts = {
    pid: 1,
    wid: 1,
    appId: 0,
    appRequests: 1,
    workerRequests: 1,
    vars: new Map<string, string>(),
    remoteAddr: '127.0.0.1',
    method: 'GET',
    uri: '/',
    protocol: 'HTTP/1.1',
    status: 200,
    bodyBytes: 2,
    headerCount: 1,
    headerBytes: 40,
    varCount: 2,
    varBytes: 20,
    startMs: 0,
    startMicros: 0,
    elapsedMicros: 10,
    core: 0,
    readErrors: 0,
    writeErrors: 0,
    modifier1: 0,
    modifier2: 0,
    logvars: undefined,
  };

  it('the lines of one event-loop turn go out in one write', async () => {
    const writes: string[] = [];
    const log = new RequestLog(settings({ all: true, format: '%(uri) %(status)' }), (text) =>
      writes.push(text),
    );
    log.log(facts);
    log.log({ ...facts, uri: '/two' });
    assert.deepEqual(writes, []);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(writes, ['/ 200\n/two 200\n']);
  });

  it("memory-report puts uWSGI's memory prefix before the default line", async () => {
    const writes: string[] = [];
    new RequestLog(settings({ all: true, memoryReport: true }), (text) => writes.push(text)).log(facts);
    await new Promise((resolve) => setImmediate(resolve));
    assert.match(
      writes[0] ?? '',
      /^\{address space usage: \d+ bytes\/\d+MB\} \{rss usage: \d+ bytes\/\d+MB\} \[pid: 1\|app: 0\|req: 1\/1\] /,
    );
  });
});
