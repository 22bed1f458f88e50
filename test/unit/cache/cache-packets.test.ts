// The cache wire protocol (modifier1 111, reference §1.5) against uWSGI 2.0.21's bytes
// (scripts/record-uwsgi-cache.mjs): our client requests are what uWSGI's Python client sends, our
// reply parser reads what uWSGI's server answers as the Python client does, and our server, fed
// the recorded request sequence, answers uWSGI's bytes (except where uwsgi-ts fixes its bugs).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { serveCachePacket } from '../../../src/cache/cache-server.js';
import { Caches } from '../../../src/cache/caches.js';
import {
  type CacheClientRequest,
  type CacheCommand,
  cacheRequestLength,
  decodeCacheRequest,
  encodeCacheRequest,
  parseCacheAddress,
  parseCacheReply,
} from '../../../src/protocol/cache-packets.js';
import { makeCaches, type Result, recorded } from './cache-kit.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const fromHex = (h: string) => Buffer.from(h, 'hex');

/** A recorded Python call as our client request. */
function clientRequest(op: (string | number)[]): CacheClientRequest {
  const name = String(op[0]);
  const { cache } = parseCacheAddress(String(op.at(-1)));
  if (name === 'clear') return { command: 'clear', cache };
  if (name === 'set' || name === 'update')
    return {
      command: name,
      key: String(op[1]),
      value: Buffer.from(String(op[2]), 'latin1'),
      expires: Number(op[3]),
      cache,
    };
  if (name === 'inc') {
    // uWSGI's client has no remote math: it sends an update whose value is the amount
    const amount = Buffer.from(new BigInt64Array([BigInt(op[2] as number)]).buffer);
    return { command: 'update', key: String(op[1]), value: amount, cache };
  }
  return { command: (name === 'num' ? 'get' : name) as CacheCommand, key: String(op[1]), cache };
}

/** What uWSGI's Python API returns for a parsed reply. */
function pythonResult(op: (string | number)[], bytes: Buffer): Result {
  const reply = parseCacheReply(bytes, true);
  assert.ok(reply, 'a closed connection always gives a result');
  const name = String(op[0]);
  if (name === 'get') return reply.ok && reply.value ? { b: reply.value.toString('latin1') } : null;
  if (name === 'num') return reply.ok && reply.value?.length === 8 ? Number(reply.value.readBigInt64LE()) : 0;
  return reply.ok ? true : null;
}

test('our requests are the bytes uWSGI 2.0.21 Python client sends', () => {
  let compared = 0;
  for (const c of recorded.clientSends) {
    if (c.exchanges.length === 0) {
      assert.equal(parseCacheAddress(String(c.op.at(-1))).node, undefined, `${c.case}: no @, a local cache`);
      continue;
    }
    const [exchange] = c.exchanges;
    assert.ok(exchange);
    assert.equal(hex(encodeCacheRequest(clientRequest(c.op))), exchange.request, c.case);
    compared++;
  }
  assert.equal(compared, 15);
});

test('we read uWSGI server replies as its Python client does', () => {
  for (const c of recorded.clientSends) {
    const [exchange] = c.exchanges;
    if (!exchange) continue;
    assert.deepEqual(pythonResult(c.op, fromHex(exchange.reply)), c.result, c.case);
  }
});

test('we read the fake node replies as uWSGI Python client does', () => {
  for (const c of recorded.clientReads) {
    assert.deepEqual(pythonResult(c.op, fromHex(c.reply)), c.result, c.case);
    const op = c.op.map((a) => (a === 'CACHE' ? 'mycache@127.0.0.1:1' : a));
    assert.equal(hex(encodeCacheRequest(clientRequest(op))), c.sent, `${c.case}: what Python sent`);
  }
});

test('a reply arriving in pieces: undefined until whole, then the same result', () => {
  const get = recorded.clientSends.find((c) => c.case === 'get with expires')?.exchanges[0];
  assert.ok(get);
  const bytes = fromHex(get.reply);
  const whole = parseCacheReply(bytes, false);
  assert.ok(whole?.ok);
  assert.equal(whole.value?.toString(), 'ee');
  assert.ok(whole.expires > 1_700_000_000);
  for (let i = 0; i < bytes.length; i++) {
    assert.equal(parseCacheReply(bytes.subarray(0, i), false), undefined, `${i} bytes`);
    assert.equal(parseCacheReply(bytes.subarray(0, i), true)?.ok, false, `${i} bytes then closed`);
  }
});

/** uWSGI 2.0.21 bugs that uwsgi-ts fixes on the server side: [case, our reply (hex), why]. */
const FIXED: Record<string, [(ours: Buffer, uwsgi: Buffer) => void, string]> = {
  'simple get (m2 0): hit': [
    (ours, uwsgi) => {
      assert.equal(hex(ours.subarray(0, 4)), '6f040000', '[111, vallen, 0]');
      assert.deepEqual(ours.subarray(4), uwsgi.subarray(4));
    },
    'uWSGI writes 4 bytes of a pointer instead of the header',
  ],
  'get+stream (m2 5): hit': [
    (ours, uwsgi) => {
      assert.equal(hex(ours.subarray(0, 4)), '6f000001', '[111, 0, 1]');
      assert.deepEqual(ours.subarray(4), uwsgi.subarray(4));
    },
    'same pointer bug',
  ],
  'get+stream (m2 5): miss': [
    (ours, uwsgi) => {
      assert.equal(hex(ours), '6f000000', '[111, 0, 0]');
      assert.equal(uwsgi.length, 4);
    },
    'same pointer bug',
  ],
  'dict get (m2 3) key=': [
    (ours, uwsgi) => {
      assert.equal(ours.toString(), 'bar2');
      assert.equal(uwsgi.length, 0);
    },
    'uWSGI looks the key up with length 0 and never finds it',
  ],
  'dict get (m2 4) get=: hit': [
    (ours, uwsgi) => {
      assert.equal(ours.toString(), 'bar2');
      assert.match(uwsgi.toString(), /^HTTP\/1.0 404/);
    },
    'same lookup bug',
  ],
};

test('our server answers the recorded request sequence with uWSGI bytes', () => {
  const kit = makeCaches(['name=mycache,items=10', 'name=other,items=10,blocksize=8']);
  const caches = new Caches(kit.plans, kit.region, { now: () => kit.clock });
  for (const c of recorded.server) {
    kit.clock = c.now;
    const request = fromHex(c.request);
    assert.equal(cacheRequestLength(request), request.length, `${c.case}: whole`);
    const ours = serveCachePacket(caches.lookup, request) ?? Buffer.alloc(0);
    const uwsgi = fromHex(c.reply);
    const fixed = FIXED[c.case];
    if (fixed) fixed[0](ours, uwsgi);
    else if (c.case === 'magic get with expires') {
      assert.equal(
        ours.toString('latin1').replace(/\d{10}/, 'E'),
        uwsgi.toString('latin1').replace(/\d{10}/, 'E'),
      );
      assert.ok(ours.toString('latin1').includes(`expires\u000a\u0000${c.now + 100}`), 'now + 100, absolute');
    } else assert.equal(hex(ours), c.reply, c.case);
  }
  const stats = caches.stats();
  const expected = recorded.serverStats.map((s) => ({ ...s }));
  // uwsgi-ts finds the keys of the m2 3/4 requests (2 hits instead of 2 misses), and counts no
  // miss for a magic get without a key (it is refused before any lookup)
  expected[0] = { ...expected[0], hits: Number(expected[0]?.hits) + 2, miss: Number(expected[0]?.miss) - 3 };
  assert.deepEqual(stats, expected);
});

test('requests: the length of a magic set includes its value; pieces, limits, bad sizes', () => {
  const set = encodeCacheRequest({ command: 'set', key: 'k', value: 'value', expires: 9, cache: 'c' });
  for (let i = 0; i < set.length; i++) assert.equal(cacheRequestLength(set.subarray(0, i)), -1, `${i} bytes`);
  assert.equal(cacheRequestLength(set), set.length);
  assert.equal(cacheRequestLength(Buffer.concat([set, Buffer.from('next')])), set.length);
  assert.equal(cacheRequestLength(set, 4), -2, 'a value over the limit');
  const bad = fromHex('6f130011' + '0300636d6403007365740400' + '73697a6501007a');
  assert.equal(cacheRequestLength(bad), -2, 'size=z');
  const decoded = decodeCacheRequest(set);
  assert.deepEqual(decoded && { ...decoded, key: decoded.key.toString(), value: decoded.value?.toString() }, {
    form: 'magic',
    command: 'set',
    key: 'k',
    cache: 'c',
    expires: 9,
    value: 'value',
  });
});

test('requests: forms and refusals', () => {
  // m2 1: empty items vanish (uWSGI array), a third item is ignored
  const overrun = decodeCacheRequest(fromHex('6f080001' + '0000' + '01006b' + '020076'));
  assert.equal(overrun, undefined, 'an item overrunning the payload');
  const ok = decodeCacheRequest(fromHex('6f0c0001' + '0000' + '01006b' + '02007631' + '01007a'));
  assert.equal(ok?.key.toString(), 'k');
  assert.equal(ok?.value?.toString(), 'v1');
  assert.equal(decodeCacheRequest(fromHex('6f000006')), undefined, 'dump (m2 6) is not served');
  assert.equal(decodeCacheRequest(fromHex('6f000009')), undefined, 'unknown modifier2');
  assert.equal(decodeCacheRequest(fromHex('70030000666f6f')), undefined, 'not modifier1 111');
  assert.equal(decodeCacheRequest(encodeCacheRequest({ command: 'clear', cache: '' }))?.command, 'clear');
  assert.deepEqual(parseCacheAddress('mycache@127.0.0.1:3031'), { cache: 'mycache', node: '127.0.0.1:3031' });
  assert.deepEqual(parseCacheAddress('@/tmp/sock'), { cache: '', node: '/tmp/sock' });
  assert.deepEqual(parseCacheAddress('local'), { cache: 'local', node: undefined });
});

test('round trip: our client, our server, our parser (binary keys and values, the default cache)', () => {
  const kit = makeCaches(['name=first,items=4', 'name=second,items=4,blocksize=4']);
  const caches = new Caches(kit.plans, kit.region, { now: () => kit.clock });
  const call = (r: CacheClientRequest) =>
    parseCacheReply(serveCachePacket(caches.lookup, encodeCacheRequest(r)) ?? Buffer.alloc(0), true);
  const key = Buffer.from([0, 1, 2, 0xff]);
  const value = Buffer.from([0xde, 0xad, 0, 0xbe, 0xef]);
  assert.equal(call({ command: 'set', key, value, cache: '' })?.ok, true);
  assert.deepEqual(call({ command: 'get', key, cache: 'first' })?.value, value);
  assert.deepEqual(caches.get('first')?.get(key), value, 'the default cache is the first');
  assert.equal(call({ command: 'set', key, value, cache: 'second' })?.ok, false, 'over blocksize 4');
  assert.equal(call({ command: 'set', key, value, cache: 'nope' })?.ok, false, 'unknown cache');
  assert.equal(call({ command: 'update', key, value: 'é', expires: 5, cache: '' })?.ok, true);
  assert.deepEqual(call({ command: 'get', key, cache: '' }), {
    ok: true,
    value: Buffer.from('é'),
    expires: kit.clock + 5,
  });
  assert.equal(call({ command: 'exists', key, cache: '' })?.ok, true);
  assert.equal(call({ command: 'del', key, cache: '' })?.ok, true);
  assert.equal(call({ command: 'exists', key, cache: '' })?.ok, false);
  assert.equal(call({ command: 'clear', cache: 'first' })?.ok, true);
});
