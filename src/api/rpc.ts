// RPC (uWSGI: `uwsgi.register_rpc`, `uwsgi.rpc`, `uwsgi.rpc_list`; reference §1.5, §2.9): a
// function registered by name in a worker can be called from this worker, from another uwsgi-ts
// instance, or from a real uWSGI (`uwsgi.rpc('host:port', 'name', ...)`), over a uwsgi socket with
// modifier1 173. Arguments and results are bytes.

import { UwsgiError } from '../errors.js';
import type { RpcFunction, RpcResult } from '../rpc/registry.js';
import { callRuntime } from './runtime.js';

export type { RpcFunction, RpcResult };

/** An RPC argument: bytes, or text (sent as UTF-8). */
export type RpcArgument = string | Uint8Array;

function checkName(what: string, name: unknown): asserts name is string {
  if (typeof name !== 'string' || name === '') {
    throw new UwsgiError('ERR_API_BAD_ARGUMENT', `${what}(): the function name must be a non-empty string`);
  }
}

/**
 * Registers `fn` as RPC function `name` (at most 255 bytes as UTF-8) in this worker; registering
 * a name again replaces it. `fn` gets its arguments as Buffers and returns a string (sent as
 * UTF-8), bytes, or a Promise of either: a remote caller waits for it. An app registers at import
 * time, so every worker has the function (uWSGI: `uwsgi.register_rpc`). At most `rpc-max` (64)
 * names per worker: ERR_RPC_SLOTS_FULL beyond.
 *
 * @example
 * ```ts
 * import { registerRpc } from 'uwsgi-ts';
 * registerRpc('hello', (...args) => `hello ${args.map(String).join(',')}`);
 * registerRpc('user', async (id) => JSON.stringify(await db.user(id.toString())));
 * export default (request) => new Response('ok');
 * ```
 */
export function registerRpc(name: string, fn: RpcFunction): void {
  checkName('registerRpc', name);
  if (typeof fn !== 'function') {
    throw new UwsgiError('ERR_API_BAD_ARGUMENT', `registerRpc("${name}"): the function is a ${typeof fn}`);
  }
  callRuntime('registerRpc', name, fn);
}

/**
 * Calls RPC function `name` with `args`; resolves with its result as a Buffer. `node` is where:
 * `''`, `null` or `undefined` call the function registered in this worker, in-process; an address
 * (`'127.0.0.1:3031'`, `'/run/app.sock'`, `'@abstract'`) calls it on the uwsgi socket of another
 * uwsgi-ts or uWSGI instance (uWSGI: `uwsgi.rpc(node, name, ...)`). `socket-timeout` (4 s) bounds
 * a remote call. Rejects with a coded UwsgiError: ERR_RPC_UNKNOWN_FUNCTION (local name not
 * registered), ERR_RPC_FAILED (the function threw; or the node closed without a reply: unknown
 * or failing function), ERR_RPC_CONNECT, ERR_RPC_TIMEOUT, ERR_RPC_TOO_LARGE (more than 65535
 * bytes or 254 arguments). On the wire an empty argument disappears (uWSGI's arrays skip them).
 *
 * @example
 * ```ts
 * import { rpc } from 'uwsgi-ts';
 * // Node-style app
 * export default async function app(req, res) {
 *   const greeting = await rpc('127.0.0.1:3031', 'hello', 'a', Buffer.from('b'));
 *   res.end(greeting); // "hello a,b"
 * }
 * // in-process: rpc('', 'hello', 'x')
 * ```
 */
export async function rpc(
  node: string | null | undefined,
  name: string,
  ...args: RpcArgument[]
): Promise<Buffer> {
  checkName('rpc', name);
  if (node !== null && node !== undefined && typeof node !== 'string') {
    throw new UwsgiError(
      'ERR_API_BAD_ARGUMENT',
      `rpc("${name}"): the node must be a string address, '' or null`,
    );
  }
  for (const [i, arg] of args.entries()) {
    if (typeof arg !== 'string' && !(arg instanceof Uint8Array)) {
      throw new UwsgiError(
        'ERR_API_BAD_ARGUMENT',
        `rpc("${name}"): argument ${i + 1} is a ${arg === null ? 'null' : typeof arg}, not a string or bytes`,
      );
    }
  }
  return callRuntime('rpc', node ?? undefined, name, args);
}

/**
 * The RPC function names registered in this worker, in registration order (uWSGI: `uwsgi.rpc_list`).
 *
 * @example
 * ```ts
 * import { rpcList } from 'uwsgi-ts';
 * rpcList(); // ['hello', 'user']
 * ```
 */
export function rpcList(): string[] {
  return callRuntime('rpcList');
}
