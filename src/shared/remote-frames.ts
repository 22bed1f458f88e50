// The frames of the shared services' IPC fallback (src/shared/remote-host.ts, remote-client.ts):
// a u32 LE length and a v8-serialized value (Buffers and bigints survive, as the API needs).

import { deserialize, serialize } from 'node:v8';

/** A call: `target` names the object (`['caches', 'mycache']`), `method` its method. */
export interface RemoteCall {
  readonly target: ReadonlyArray<string | number>;
  readonly method: string;
  readonly args: readonly unknown[];
}

export type RemoteAnswer = { readonly ok: unknown } | { readonly error: { code: string; message: string } };

export function frame(value: unknown): Buffer {
  const body = serialize(value);
  const out = Buffer.allocUnsafe(4 + body.length);
  out.writeUInt32LE(body.length, 0);
  body.copy(out, 4);
  return out;
}

/** Cuts whole frames off the bytes received so far; returns the values and the rest. */
export function unframe(buffered: Buffer): { values: unknown[]; rest: Buffer } {
  const values: unknown[] = [];
  let p = 0;
  while (buffered.length - p >= 4) {
    const length = buffered.readUInt32LE(p);
    if (buffered.length - p - 4 < length) break;
    values.push(deserialize(buffered.subarray(p + 4, p + 4 + length)));
    p += 4 + length;
  }
  return { values, rest: buffered.subarray(p) };
}

export { deserialize, serialize };
