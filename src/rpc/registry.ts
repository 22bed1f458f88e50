// The RPC functions of one process (uWSGI: `uwsgi.register_rpc`, the per-worker rpc table,
// reference §2.9). Names are byte strings on the wire, so a function is found by the bytes of its
// UTF-8 name; arguments arrive as bytes and the result leaves as bytes.

import { UwsgiError } from '../errors.js';

/** What an RPC function may return: text (sent as UTF-8) or bytes. */
export type RpcResult = string | Uint8Array;

/** An RPC function: arguments as Buffers, a result now or later. */
export type RpcFunction = (...args: Buffer[]) => RpcResult | PromiseLike<RpcResult>;

/** uWSGI 2.0.21 (observed): a 256-byte name is refused, "max size is 255". */
export const RPC_NAME_MAX = 255;
/** `rpc-max` default (reference §2.9). */
export const RPC_MAX_DEFAULT = 64;

interface Entry {
  readonly name: string;
  fn: RpcFunction;
}

/** A name as the wire carries it: its UTF-8 bytes, one char per byte. */
function wireKey(name: string): string {
  return Buffer.from(name, 'utf8').toString('latin1');
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/** A function's result as bytes; a coded error for anything that is not text or bytes. */
function resultBytes(name: string, value: unknown): Buffer {
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  throw new UwsgiError(
    'ERR_RPC_FAILED',
    `rpc function "${name}" returned ${value === null ? 'null' : typeof value}, not a string or bytes`,
  );
}

/**
 * The RPC function table. Registering a name again replaces its function in the same slot (as
 * uWSGI does); a new name beyond `max` slots is refused.
 *
 * @example
 * const registry = new RpcRegistry();
 * registry.register('hello', (who) => `hello ${who}`);
 * await registry.call('hello', [Buffer.from('world')]); // <Buffer 'hello world'>
 */
export class RpcRegistry {
  private readonly entries = new Map<string, Entry>();

  constructor(private slots: number = RPC_MAX_DEFAULT) {}

  /** How many names fit (`rpc-max`). */
  get max(): number {
    return this.slots;
  }

  /** Sets `rpc-max` before the apps load (names already registered stay). */
  setMax(slots: number): void {
    this.slots = slots;
  }

  /** Adds or replaces `name`; true when it was new. */
  register(name: string, fn: RpcFunction): boolean {
    if (typeof name !== 'string' || name === '') {
      throw new UwsgiError('ERR_API_BAD_ARGUMENT', 'registerRpc(): the name must be a non-empty string');
    }
    const key = wireKey(name);
    if (key.length > RPC_NAME_MAX) {
      throw new UwsgiError(
        'ERR_API_BAD_ARGUMENT',
        `registerRpc(): the name "${name.slice(0, 40)}..." is ${key.length} bytes, max size is ${RPC_NAME_MAX}`,
      );
    }
    if (typeof fn !== 'function') {
      throw new UwsgiError('ERR_API_BAD_ARGUMENT', `registerRpc("${name}"): the function is a ${typeof fn}`);
    }
    const entry = this.entries.get(key);
    if (entry) {
      entry.fn = fn;
      return false;
    }
    if (this.entries.size >= this.slots) {
      throw new UwsgiError(
        'ERR_RPC_SLOTS_FULL',
        `registerRpc("${name}"): all ${this.slots} rpc slots are taken (rpc-max)`,
      );
    }
    this.entries.set(key, { name, fn });
    return true;
  }

  /** Registered names, in registration order (uWSGI `rpc_list()`). */
  names(): string[] {
    return [...this.entries.values()].map((e) => e.name);
  }

  /** Calls `name` (as text, or as the bytes a packet carried) in this process. */
  call(name: string | Buffer, args: readonly Buffer[]): Promise<Buffer> {
    const key = typeof name === 'string' ? wireKey(name) : name.toString('latin1');
    const entry = this.entries.get(key);
    if (!entry) {
      const shown = typeof name === 'string' ? name : name.toString('utf8');
      return Promise.reject(
        new UwsgiError(
          'ERR_RPC_UNKNOWN_FUNCTION',
          `rpc function "${shown}" is not registered in this process`,
        ),
      );
    }
    let value: unknown;
    try {
      value = entry.fn(...args);
    } catch (err) {
      return Promise.reject(failed(entry.name, err));
    }
    if (!isThenable(value)) {
      try {
        return Promise.resolve(resultBytes(entry.name, value));
      } catch (err) {
        return Promise.reject(err);
      }
    }
    return Promise.resolve(value).then(
      (settled) => resultBytes(entry.name, settled),
      (err: unknown) => {
        throw failed(entry.name, err);
      },
    );
  }
}

function failed(name: string, err: unknown): UwsgiError {
  const message = err instanceof Error ? err.message : String(err);
  return new UwsgiError('ERR_RPC_FAILED', `rpc function "${name}" failed: ${message}`, { cause: err });
}
