// The RPC function table (reference §2.9; limits observed on uWSGI 2.0.21): names of 1 to 255
// UTF-8 bytes, rpc-max slots, registering again replaces, results as bytes, failures coded.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RPC_MAX_DEFAULT, RPC_NAME_MAX, RpcRegistry } from '../../../src/rpc/registry.js';

const code = async (p: Promise<unknown> | (() => unknown)) => {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (err) {
    return (err as { code?: unknown }).code;
  }
  return 'no error';
};

test('a name of 255 bytes is accepted, 256 is refused; the empty name too', async () => {
  const r = new RpcRegistry();
  assert.equal(RPC_NAME_MAX, 255);
  assert.equal(
    r.register('x'.repeat(255), () => 'ok'),
    true,
  );
  assert.equal(await code(() => r.register('x'.repeat(256), () => 'no')), 'ERR_API_BAD_ARGUMENT');
  // bytes, not characters: 128 two-byte characters are 256 bytes
  assert.equal(await code(() => r.register('é'.repeat(128), () => 'no')), 'ERR_API_BAD_ARGUMENT');
  assert.equal(
    r.register('é'.repeat(127), () => 'ok'),
    true,
  );
  assert.equal(await code(() => r.register('', () => 'no')), 'ERR_API_BAD_ARGUMENT');
  assert.equal(await code(() => r.register('f', 'nope' as unknown as () => string)), 'ERR_API_BAD_ARGUMENT');
});

test('rpc-max slots (default 64); registering a name again replaces it in its slot', async () => {
  assert.equal(new RpcRegistry().max, RPC_MAX_DEFAULT);
  const r = new RpcRegistry(3);
  r.register('a', () => 'a1');
  r.register('b', () => 'b');
  r.register('c', () => 'c');
  assert.equal(await code(() => r.register('d', () => 'd')), 'ERR_RPC_SLOTS_FULL');
  assert.equal(
    r.register('a', () => 'a2'),
    false,
  );
  assert.deepEqual(r.names(), ['a', 'b', 'c']);
  assert.equal((await r.call('a', [])).toString(), 'a2');
});

test('arguments arrive as Buffers; strings and bytes come back as Buffers', async () => {
  const r = new RpcRegistry();
  r.register('join', (...args) => {
    assert.ok(args.every((a) => Buffer.isBuffer(a)));
    return `got ${args.map(String).join(',')} ✓`;
  });
  r.register('bytes', () => new Uint8Array([1, 2, 3]).subarray(1));
  r.register('async', async (a) => Buffer.concat([a ?? Buffer.alloc(0), Buffer.from('!')]));
  assert.equal((await r.call('join', [Buffer.from('a'), Buffer.from('b')])).toString(), 'got a,b ✓');
  assert.deepEqual([...(await r.call('bytes', []))], [2, 3]);
  assert.equal((await r.call('async', [Buffer.from('hi')])).toString(), 'hi!');
});

test('a name from the wire is looked up by its bytes (UTF-8 names included)', async () => {
  const r = new RpcRegistry();
  r.register('héllo', () => 'ok');
  assert.equal((await r.call(Buffer.from('héllo', 'utf8'), [])).toString(), 'ok');
  assert.equal(await code(r.call(Buffer.from('héllo', 'latin1'), [])), 'ERR_RPC_UNKNOWN_FUNCTION');
});

test('unknown names, throwing, rejecting and bad results are coded errors', async () => {
  const r = new RpcRegistry();
  r.register('throws', () => {
    throw new Error('boom');
  });
  r.register('rejects', () => Promise.reject(new Error('later boom')));
  r.register('undef', (() => undefined) as unknown as () => string);
  r.register('number', (async () => 42) as unknown as () => string);
  assert.equal(await code(r.call('nope', [])), 'ERR_RPC_UNKNOWN_FUNCTION');
  assert.equal(await code(r.call('throws', [])), 'ERR_RPC_FAILED');
  assert.equal(await code(r.call('rejects', [])), 'ERR_RPC_FAILED');
  assert.equal(await code(r.call('undef', [])), 'ERR_RPC_FAILED');
  assert.equal(await code(r.call('number', [])), 'ERR_RPC_FAILED');
  const err = await r.call('throws', []).catch((e: unknown) => e);
  assert.equal((err as { cause?: Error }).cause?.message, 'boom');
});

test('a function runs when called, not later', () => {
  const r = new RpcRegistry();
  let ran = false;
  r.register('now', () => {
    ran = true;
    return '';
  });
  void r.call('now', []);
  assert.equal(ran, true);
});
