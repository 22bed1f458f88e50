// One entry for every RPC caller (the app API, the routing actions): no node calls the function
// registered in this process, in-process as uWSGI does (`uwsgi.rpc('', ...)`, `uwsgi.rpc(None,
// ...)`); a node calls it over the wire.

import { isUwsgiError } from '../errors.js';
import type { RpcRegistry } from './registry.js';
import { callRemote } from './rpc-client.js';

/** A call's arguments as the caller may give them: text is sent as UTF-8. */
export type RpcArgument = string | Uint8Array;

function bytes(value: RpcArgument): Buffer {
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  return Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

/** `node` empty or undefined: this process. `timeoutMs` is socket-timeout, for remote calls. */
export function callRpc(
  registry: RpcRegistry,
  node: string | undefined,
  name: RpcArgument,
  args: readonly RpcArgument[],
  timeoutMs: number,
): Promise<Buffer> {
  const argBytes = args.map(bytes);
  if (node === undefined || node === '') {
    return registry.call(typeof name === 'string' ? name : bytes(name), argBytes);
  }
  return callRemote(node, bytes(name), argBytes, timeoutMs);
}

/** The call of the routing actions (src/routing/host.ts RpcRequest), in its terms. */
export interface RoutingRpcRequest {
  readonly func: string;
  readonly node: string | undefined;
  /** Byte strings (one char per byte), as route variables are. */
  readonly args: readonly string[];
}

/**
 * What the `rpc`/`rpcret`/`rpcnext`/`rpcraw`/`rpcvar` actions call: the result, or undefined when
 * the function is unknown or failed (the action then sends nothing, as uWSGI's does). Failures
 * other than an unknown local function are logged.
 *
 * @example
 * host.rpc = (request) => routingRpc(workerRpc, request, plan.socketTimeout * 1000, log);
 */
export async function routingRpc(
  registry: RpcRegistry,
  request: RoutingRpcRequest,
  timeoutMs: number,
  log: (line: string) => void,
): Promise<Buffer | undefined> {
  const args = request.args.map((a) => Buffer.from(a, 'latin1'));
  try {
    return await callRpc(registry, request.node, Buffer.from(request.func, 'latin1'), args, timeoutMs);
  } catch (err) {
    if (!isUwsgiError(err) || err.code !== 'ERR_RPC_UNKNOWN_FUNCTION') {
      log(`[uwsgi-ts] ${err instanceof Error ? err.message : String(err)}\n`);
    }
    return undefined;
  }
}
