// The HTTP router's codecs (src/gateway/): PROXY headers, the uwsgi vars of a request, the head of
// a backend's answer and its chunked framing. Bytes in, facts out; no sockets.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Dechunker } from '../../../src/gateway/http/dechunk.js';
import {
  FastCgiAnswerParser,
  fastCgiHead,
  STDIN_END,
  stdinRecords,
} from '../../../src/gateway/http/fastcgi-client.js';
import { decodePath, requestVars } from '../../../src/gateway/http/request-vars.js';
import { ResponseHeadParser } from '../../../src/gateway/http/response-head.js';
import { looksLikeProxyHeader, parseProxyHeader } from '../../../src/gateway/proxy-protocol.js';
import { parseAnnounce, SubscriptionTable } from '../../../src/gateway/subscriptions.js';
import { encodeEndRequest, encodeStdout, FastCgiConnectionParser } from '../../../src/protocol/fastcgi.js';

describe('PROXY protocol headers', () => {
  it('v1 TCP4, UNKNOWN, partial, bad', () => {
    const line = Buffer.from('PROXY TCP4 1.2.3.4 5.6.7.8 1111 80\r\nGET');
    assert.deepEqual(parseProxyHeader(line), {
      kind: 'header',
      length: 36,
      peer: { address: '1.2.3.4', port: 1111 },
    });
    assert.deepEqual(parseProxyHeader(Buffer.from('PROXY UNKNOWN\r\n')), {
      kind: 'header',
      length: 15,
      peer: undefined,
    });
    assert.equal(parseProxyHeader(Buffer.from('PROXY TCP4 1.2')).kind, 'more');
    assert.equal(parseProxyHeader(Buffer.from('PRO')).kind, 'more');
    assert.equal(parseProxyHeader(Buffer.from('PROXY FOO\r\n')).kind, 'bad');
    assert.equal(parseProxyHeader(Buffer.from('GET / HTTP/1.1\r\n')).kind, 'none');
    assert.equal(parseProxyHeader(Buffer.from(`PROXY ${'x'.repeat(200)}`)).kind, 'bad');
  });
  it('v2 IPv4 PROXY and LOCAL', () => {
    const sig = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
    const addr = Buffer.from([10, 1, 2, 3, 10, 0, 0, 1, 0x30, 0x39, 0, 80]);
    const proxy = Buffer.concat([sig, Buffer.from([0x21, 0x11, 0, 12]), addr, Buffer.from('GET')]);
    assert.deepEqual(parseProxyHeader(proxy), {
      kind: 'header',
      length: 28,
      peer: { address: '10.1.2.3', port: 12345 },
    });
    const local = Buffer.concat([sig, Buffer.from([0x20, 0x00, 0, 0])]);
    assert.deepEqual(parseProxyHeader(local), { kind: 'header', length: 16, peer: undefined });
    assert.equal(parseProxyHeader(proxy.subarray(0, 20)).kind, 'more');
    assert.equal(looksLikeProxyHeader(proxy), true);
    assert.equal(looksLikeProxyHeader(Buffer.from('GET /')), false);
  });
});

describe('the vars of a routed request', () => {
  const ctx = {
    serverName: 'host',
    serverPort: '9090',
    serverNameFromHost: false,
    extra: [['K', 'V']] as const,
  };
  const req = {
    method: 'POST',
    url: '/a%20b?x=1',
    httpVersion: '1.1',
    rawHeaders: [
      'Host',
      'example.com:9090',
      'Content-Type',
      'text/plain',
      'Content-Length',
      '3',
      'X-A',
      '1',
      'x-a',
      '2',
    ],
    remoteAddress: '10.0.0.9',
    remotePort: 5555,
  };
  it("uWSGI's names and order, repeats joined, http-var last", () => {
    const vars = Object.fromEntries(requestVars(req, ctx, undefined));
    assert.deepEqual(vars, {
      REQUEST_METHOD: 'POST',
      REQUEST_URI: '/a%20b?x=1',
      PATH_INFO: '/a b',
      QUERY_STRING: 'x=1',
      SERVER_PROTOCOL: 'HTTP/1.1',
      HTTP_HOST: 'example.com:9090',
      CONTENT_TYPE: 'text/plain',
      CONTENT_LENGTH: '3',
      HTTP_X_A: '1, 2',
      REMOTE_ADDR: '10.0.0.9',
      REMOTE_PORT: '5555',
      SERVER_NAME: 'host',
      SERVER_PORT: '9090',
      UWSGI_ROUTER: 'http',
      K: 'V',
    });
  });
  it('a gathered chunked body: its length, no Transfer-Encoding; SERVER_NAME from Host when asked', () => {
    const chunked = { ...req, rawHeaders: ['Host', 'example.com:9090', 'Transfer-Encoding', 'chunked'] };
    const vars = Object.fromEntries(requestVars(chunked, { ...ctx, serverNameFromHost: true }, 42));
    assert.equal(vars['CONTENT_LENGTH'], '42');
    assert.equal(vars['HTTP_TRANSFER_ENCODING'], undefined);
    assert.equal(vars['SERVER_NAME'], 'example.com');
  });
  it('decodes %xx to bytes and leaves bad escapes', () => {
    assert.equal(decodePath('/%2Fx%zz%c3%a9'), '/\u002fx%zz\u00c3\u00a9');
  });
});

describe("a backend's answer", () => {
  it('parses the head across reads, drops hop-by-hop headers, keeps the body start', () => {
    const p = new ResponseHeadParser(1024);
    assert.equal(p.push(Buffer.from('HTTP/1.1 201 Created\r\nContent-Len')).kind, 'more');
    const h = p.push(Buffer.from('gth: 5\r\nConnection: close\r\nX-Y: z\r\n\r\nhello'));
    assert.equal(h.kind, 'head');
    if (h.kind !== 'head') return;
    assert.equal(h.status, 201);
    assert.equal(h.reason, 'Created');
    assert.deepEqual(h.headers, ['Content-Length', '5', 'X-Y', 'z']);
    assert.equal(h.contentLength, 5);
    assert.equal(h.rest.toString(), 'hello');
  });
  it('refuses a head without a status line, or too long', () => {
    assert.equal(new ResponseHeadParser(1024).push(Buffer.from('garbage\r\n\r\n')).kind, 'bad');
    assert.equal(new ResponseHeadParser(10).push(Buffer.from('HTTP/1.1 200 OK\r\nX: yyyyyyyy')).kind, 'bad');
  });
  it('undoes chunked framing split anywhere', () => {
    const framed = Buffer.from('5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nTrailer: x\r\n\r\n');
    for (let cut = 1; cut < framed.length; cut++) {
      const d = new Dechunker();
      const out = [...d.push(framed.subarray(0, cut)), ...d.push(framed.subarray(cut))];
      assert.equal(Buffer.concat(out).toString(), 'hello world', `cut at ${cut}`);
      assert.equal(d.done, true);
    }
    assert.throws(() => new Dechunker().push(Buffer.from('zz\r\n')));
  });
});

describe('the FastCGI way to the own workers', () => {
  it('an answer split anywhere: STDOUT data in order, then the end', () => {
    const answer = Buffer.concat([
      ...encodeStdout(1, Buffer.from('Status: 200 OK\r\n\r\nhello')),
      encodeEndRequest(1, 0, 0),
    ]);
    for (let cut = 1; cut < answer.length; cut++) {
      const p = new FastCgiAnswerParser();
      const got: string[] = [];
      const out = (e: { kind: string; data?: Buffer }) =>
        got.push(e.kind === 'stdout' ? String(e.data) : '<end>');
      p.push(answer.subarray(0, cut), out);
      p.push(answer.subarray(cut), out);
      assert.equal(got.join(''), 'Status: 200 OK\r\n\r\nhello<end>', `cut at ${cut}`);
    }
  });
  it("a request the workers' own parser reads back: vars, keep-conn, a streamed body", () => {
    const heads: Array<{ keepConn: boolean; vars: Map<string, string> }> = [];
    const bodies: Buffer[] = [];
    let ended = 0;
    const parser = new FastCgiConnectionParser({
      onHead: (_id: number, head: { vars: Map<string, string> }, keepConn: boolean) =>
        heads.push({ keepConn, vars: head.vars }),
      onBody: (_id: number, chunk: Buffer) => bodies.push(Buffer.from(chunk)),
      onBodyEnd: () => ended++,
      onAbort: () => {},
      onReject: () => assert.fail('rejected'),
      onGetValues: () => {},
      onUnknownType: () => {},
      onError: (e: unknown) => assert.fail(String(e)),
    } as never);
    const body = Buffer.alloc(100_000, 7);
    parser.push(
      Buffer.concat([
        fastCgiHead(
          [
            ['REQUEST_METHOD', 'POST'],
            ['CONTENT_LENGTH', '100000'],
          ],
          true,
          true,
        ),
        ...stdinRecords(body),
        STDIN_END,
      ]),
    );
    assert.equal(heads[0]?.keepConn, true);
    assert.equal(heads[0]?.vars.get('REQUEST_METHOD'), 'POST');
    assert.equal(Buffer.concat(bodies).equals(body), true);
    assert.equal(ended, 1);
  });
});

describe('subscription announces', () => {
  // the bytes uWSGI 2.0.21's subscribe-to sent (test/fixtures/gateway/http-router-uwsgi-2.0.21.json)
  const recorded = Buffer.from(
    'e0660000' +
      Buffer.from(
        '\x03\x00key\x0b\x00foo.example\x07\x00address\x0f\x00127.0.0.1:18701\t\x00modifier1\x01\x000\t\x00modifier2\x01\x000\x05\x00cores\x01\x001\x04\x00load\x01\x000\x06\x00weight\x01\x000',
        'latin1',
      ).toString('hex'),
    'hex',
  );
  it("reads uWSGI's packet; weight 0 counts as 1", () => {
    const a = parseAnnounce(recorded);
    assert.notEqual(typeof a, 'string');
    if (typeof a === 'string') return;
    assert.equal(a.key, 'foo.example');
    assert.equal(a.address, '127.0.0.1:18701');
    assert.equal(a.weight, 1);
    assert.equal(a.unsubscribe, false);
    assert.equal(typeof parseAnnounce(Buffer.from([0, 0, 0, 0])), 'string');
  });
  it('wrr by weight, expiry after the tolerance, unsubscribe', () => {
    let now = 0;
    const lines: string[] = [];
    const t = new SubscriptionTable(
      3000,
      (l) => lines.push(l),
      () => now,
    );
    const base = { unsubscribe: false, key: 'k', modifier1: 0, modifier2: 0, cores: 1, load: 0, backup: 0 };
    t.apply({ ...base, address: '127.0.0.1:1', weight: 2 });
    t.apply({ ...base, address: '127.0.0.1:2', weight: 1 });
    const picks = Array.from({ length: 6 }, () => t.order('k')[0]?.name);
    assert.equal(picks.filter((p) => p === '127.0.0.1:1').length, 4);
    now = 2000;
    t.apply({ ...base, address: '127.0.0.1:2', weight: 1 });
    now = 4000;
    t.expire();
    assert.deepEqual(
      t.order('k').map((n) => n.name),
      ['127.0.0.1:2'],
    );
    t.apply({ ...base, unsubscribe: true, address: '127.0.0.1:2', weight: 1 });
    assert.deepEqual(t.order('k'), []);
    assert.ok(lines.some((l) => l.includes('k => removing node 127.0.0.1:1 (no announce')));
  });
});
