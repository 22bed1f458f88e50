// The app API of RPC (src/api/rpc.ts): arguments checked before the worker sees them, rpc() always
// answers with a Promise (a rejection, never a throw), the calls reach the runtime in the global
// slot, and outside a worker everything is ERR_API_OUTSIDE_SERVER.
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { RUNTIME_KEY, uninstallRuntime } from '../../../src/api/runtime.js';
import { registerRpc, rpc, rpcList } from '../../../src/index.js';

afterEach(() => uninstallRuntime());

const code = async (fn: () => unknown) => {
  try {
    await fn();
  } catch (err) {
    return (err as { code?: unknown }).code;
  }
  return 'no error';
};

test('outside a worker: ERR_API_OUTSIDE_SERVER, and rpc() rejects rather than throws', async () => {
  assert.equal(await code(() => registerRpc('f', () => '')), 'ERR_API_OUTSIDE_SERVER');
  assert.equal(await code(rpcList), 'ERR_API_OUTSIDE_SERVER');
  const pending = rpc('', 'f');
  assert.ok(pending instanceof Promise);
  assert.equal(await code(() => pending), 'ERR_API_OUTSIDE_SERVER');
});

test('bad names, functions, nodes and arguments are ERR_API_BAD_ARGUMENT', async () => {
  assert.equal(await code(() => registerRpc('', () => '')), 'ERR_API_BAD_ARGUMENT');
  assert.equal(await code(() => registerRpc('f', 'x' as unknown as () => string)), 'ERR_API_BAD_ARGUMENT');
  assert.equal(await code(() => rpc('', '')), 'ERR_API_BAD_ARGUMENT');
  assert.equal(await code(() => rpc(3 as unknown as string, 'f')), 'ERR_API_BAD_ARGUMENT');
  assert.equal(await code(() => rpc('', 'f', 'ok', 5 as unknown as string)), 'ERR_API_BAD_ARGUMENT');
});

test('the calls reach the runtime in the slot; null and undefined nodes mean this worker', async () => {
  const calls: unknown[][] = [];
  (globalThis as Record<symbol, unknown>)[RUNTIME_KEY] = {
    version: 'test',
    registerRpc: (...args: unknown[]) => calls.push(['registerRpc', ...args]),
    rpc: async (...args: unknown[]) => {
      calls.push(['rpc', ...args]);
      return Buffer.from('result');
    },
    rpcList: () => ['f'],
  };
  const fn = () => 'x';
  registerRpc('f', fn);
  assert.equal((await rpc('127.0.0.1:3031', 'f', 'a', Buffer.from('b'))).toString(), 'result');
  await rpc(null, 'f');
  await rpc(undefined, 'f');
  assert.deepEqual(rpcList(), ['f']);
  assert.deepEqual(calls, [
    ['registerRpc', 'f', fn],
    ['rpc', '127.0.0.1:3031', 'f', ['a', Buffer.from('b')]],
    ['rpc', undefined, 'f', []],
    ['rpc', undefined, 'f', []],
  ]);
});
