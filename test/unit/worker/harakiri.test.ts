// The worker's harakiri with fake responses, mocked interval and an injected clock: the global
// limit and setUserHarakiri() limits end requests alone (504 or closed), whichever expires first;
// the master hears of each change of the earliest per-request limit.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { type TestContext, test } from 'node:test';
import type { WorkerMessage } from '../../../src/ipc/messages.js';
import { WorkerHarakiri } from '../../../src/worker/harakiri.js';
import type { HarakiriWatchdog } from '../../../src/worker/harakiri-watchdog.js';
import type { UwsgiRequest } from '../../../src/worker/request.js';

class FakeResponse extends EventEmitter {
  statusCode = 200;
  shouldKeepAlive = true;
  headersSent = false;
  writableEnded = false;
  destroyed = false;
  body: string | undefined;
  constructor(
    readonly req: { method: string; url: string; startMs: number; socket: { remoteAddress: string } },
  ) {
    super();
  }
  setHeader(): void {}
  end(body?: string): void {
    this.body = body;
    this.writableEnded = true;
    this.emit('close');
  }
  destroy(): void {
    this.destroyed = true;
    this.emit('close');
  }
}

function harness(t: TestContext, seconds: number) {
  t.mock.timers.enable({ apis: ['setInterval'] });
  let now = 100_000;
  const sent: WorkerMessage[] = [];
  const lines: string[] = [];
  const h = new WorkerHarakiri(
    seconds,
    (m) => sent.push(m),
    (l) => lines.push(l),
    false,
    () => now,
  );
  const response = (url: string, startMs = 0) =>
    new FakeResponse({ method: 'GET', url, startMs, socket: { remoteAddress: '127.0.0.1' } });
  const asRes = (r: FakeResponse) => r as unknown as ServerResponse<UwsgiRequest>;
  const advance = (ms: number) => {
    now += ms;
    t.mock.timers.tick(ms);
  };
  const userMessages = () => sent.filter((m) => m.t === 'user-harakiri');
  return { h, sent, lines, response, asRes, advance, userMessages, now: () => now };
}

test('setUserHarakiri with no global harakiri: 504 after the limit, the master told each change', (t) => {
  const x = harness(t, 0);
  const slow = x.response('/slow');
  x.h.setUser(x.asRes(slow), 2);
  assert.deepEqual(x.userMessages(), [
    { t: 'user-harakiri', ms: 2000, method: 'GET', uri: '/slow', addr: '127.0.0.1', since: 100 },
  ]);
  x.advance(1000);
  assert.equal(slow.body, undefined, 'not yet');
  x.advance(1000);
  assert.equal(slow.statusCode, 504);
  assert.match(
    x.lines[0] ?? '',
    /^HARAKIRI: GET \/slow from 127\.0\.0\.1 ran past its user harakiri of 2 seconds: answered 504/,
  );
  assert.deepEqual(x.userMessages().at(-1), {
    t: 'user-harakiri',
    ms: 0,
    method: '',
    uri: '',
    addr: '',
    since: 0,
  });
  assert.equal(x.h.userLimits, 0);
  x.h.close();
});

test('clearing, an ended response, and the earliest of two limits', (t) => {
  const x = harness(t, 0);
  const a = x.response('/a');
  const b = x.response('/b');
  x.h.setUser(x.asRes(a), 10);
  x.h.setUser(x.asRes(b), 3);

  const last = () => x.userMessages().at(-1) as Extract<WorkerMessage, { t: 'user-harakiri' }>;
  assert.equal(last().uri, '/b');
  assert.equal(last().ms, 3000);
  x.h.setUser(x.asRes(b), 0);
  assert.equal(last().uri, '/a', 'cleared: the next earliest is sent');
  assert.equal(last().ms, 10_000);
  a.end('done');
  assert.equal(last().ms, 0, 'the request ended: no limit left');
  const before = x.sent.length;
  x.h.setUser(x.asRes(a), 5);
  assert.equal(x.sent.length, before, 'an ended response is left alone');
  x.advance(20_000);
  assert.deepEqual(x.lines, []);
  x.h.close();
});

test('global and user limits are two timers: the first to expire ends the request', (t) => {
  const x = harness(t, 2);
  const start = x.now();
  const extended = x.response('/extended', start);
  const shortened = x.response('/shortened', start);
  x.h.started(extended.req as unknown as UwsgiRequest, x.asRes(extended));
  x.h.started(shortened.req as unknown as UwsgiRequest, x.asRes(shortened));
  x.h.setUser(x.asRes(extended), 60);
  x.h.setUser(x.asRes(shortened), 1);
  x.advance(1000);
  assert.equal(shortened.statusCode, 504);
  assert.equal(extended.body, undefined);
  x.advance(1000);
  assert.equal(extended.statusCode, 504, 'the app cannot lift the global limit (uWSGI 2.0)');
  assert.match(x.lines[1] ?? '', /GET \/extended .* ran past 2 seconds: answered 504/);
  x.h.close();
});

test('a response already started is closed, not answered', (t) => {
  const x = harness(t, 0);
  const streaming = x.response('/stream');
  streaming.headersSent = true;
  x.h.setUser(x.asRes(streaming), 1);
  x.advance(1000);
  assert.equal(streaming.destroyed, true);
  assert.match(x.lines[0] ?? '', /connection closed/);
  x.h.close();
});

test('with a watchdog a request start is no IPC message, and the loop beats; without, one message', (t) => {
  t.mock.timers.enable({ apis: ['setInterval'] });
  const calls: string[] = [];
  const watchdog = {
    request: (method: string, uri: string, addr: string, startMs: number) =>
      calls.push(`request ${method} ${uri} ${addr} ${startMs}`),
    beat: () => calls.push('beat'),
    close: () => calls.push('close'),
  } as unknown as HarakiriWatchdog;
  const sent: WorkerMessage[] = [];
  const now = () => 100_000;
  const h = new WorkerHarakiri(
    30,
    (m) => sent.push(m),
    () => {},
    false,
    now,
    watchdog,
  );
  const res = new FakeResponse({
    method: 'GET',
    url: '/a',
    startMs: 99_500,
    socket: { remoteAddress: '::1' },
  });
  h.started(res.req as unknown as UwsgiRequest, res as unknown as ServerResponse<UwsgiRequest>);
  assert.deepEqual(calls, ['request GET /a ::1 99500']);
  assert.deepEqual(sent, []);
  t.mock.timers.tick(250);
  assert.deepEqual(calls.at(-1), 'beat');
  assert.deepEqual(sent, [{ t: 'ping' }], 'the master still hears the loop turn');
  h.finished(res as unknown as ServerResponse<UwsgiRequest>);
  h.close();
  assert.equal(calls.at(-1), 'close');

  const fallback: WorkerMessage[] = [];
  const plain = new WorkerHarakiri(
    30,
    (m) => fallback.push(m),
    () => {},
    false,
    now,
  );
  plain.started(res.req as unknown as UwsgiRequest, res as unknown as ServerResponse<UwsgiRequest>);
  assert.deepEqual(fallback, [{ t: 'req', method: 'GET', uri: '/a', addr: '::1', since: 99, blockedMs: 0 }]);
  plain.close();
});

test('a finished request is no longer swept', (t) => {
  const x = harness(t, 1);
  const done = x.response('/done', x.now());
  x.h.started(done.req as unknown as UwsgiRequest, x.asRes(done));
  x.h.finished(x.asRes(done));
  x.advance(3000);
  assert.equal(done.body, undefined);
  assert.deepEqual(x.lines, []);
  x.h.close();
});
