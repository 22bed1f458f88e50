// The spool file (reference §8): a uwsgi packet header `[17, u16 LE varslen, 0]`, the vars block
// (u16 LE key length, key, u16 LE value length, value; repeated) and an optional raw body (every
// byte after 4 + varslen). Sans-I/O: bytes in, a task out, and the other way round, so a file
// written by uWSGI 2.0.21 reads here and one written here reads in uWSGI.

import { UwsgiError } from '../errors.js';

/** modifier1 of a spool file and of a networked enqueue (reference §1.4). */
export const SPOOL_MODIFIER1 = 17;
/** uWSGI: `[uwsgi-spooler] args buffer is limited to 64k, use the 'body' for bigger values`. */
export const SPOOL_MAX_VARS = 0xffff;

export interface SpoolFile {
  /** The vars in file order; values as bytes (Python tasks write bytes). */
  readonly vars: ReadonlyMap<string, Buffer>;
  /** The raw body (the `body` key of the enqueue); undefined when the file has none. */
  readonly body: Buffer | undefined;
}

/** Encodes the vars block alone (the payload of a modifier1 17 packet, or a spool file's vars). */
export function encodeSpoolVars(vars: Iterable<readonly [string, Buffer | string]>): Buffer {
  const parts: Buffer[] = [];
  let size = 0;
  for (const [key, value] of vars) {
    const k = Buffer.from(key, 'utf8');
    const v = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
    if (k.length === 0 || k.length > 0xffff || v.length > 0xffff) {
      throw new UwsgiError(
        'ERR_SPOOL_ARGS_TOO_BIG',
        `spool argument "${key.slice(0, 40)}" is empty or longer than 65535 bytes: use 'body' for big values`,
      );
    }
    const head = Buffer.allocUnsafe(2);
    head.writeUInt16LE(k.length, 0);
    const vhead = Buffer.allocUnsafe(2);
    vhead.writeUInt16LE(v.length, 0);
    parts.push(head, k, vhead, v);
    size += 4 + k.length + v.length;
  }
  if (size > SPOOL_MAX_VARS) {
    throw new UwsgiError(
      'ERR_SPOOL_ARGS_TOO_BIG',
      `spool arguments take ${size} bytes: the args buffer is limited to 64k, use the 'body' for bigger values`,
    );
  }
  return Buffer.concat(parts, size);
}

/**
 * A whole spool file.
 *
 * @example
 * ```ts
 * encodeSpoolFile([['a', '1']], Buffer.from('BODYDATA'));
 * // <11 06 00 00 01 00 61 01 00 31 42 4f 44 59 44 41 54 41> (reference §8's hexdump)
 * ```
 */
export function encodeSpoolFile(vars: Iterable<readonly [string, Buffer | string]>, body?: Buffer): Buffer {
  const block = encodeSpoolVars(vars);
  const head = Buffer.from([SPOOL_MODIFIER1, block.length & 0xff, block.length >> 8, 0]);
  return body && body.length > 0 ? Buffer.concat([head, block, body]) : Buffer.concat([head, block]);
}

/** Decodes a vars block; throws ERR_SPOOL_BAD_FILE when it overruns itself. */
export function decodeSpoolVars(block: Buffer): Map<string, Buffer> {
  const vars = new Map<string, Buffer>();
  let at = 0;
  while (at < block.length) {
    if (at + 2 > block.length) throw bad('a key length is cut');
    const klen = block.readUInt16LE(at);
    at += 2;
    if (at + klen + 2 > block.length) throw bad('a key overruns the vars');
    const key = block.toString('utf8', at, at + klen);
    at += klen;
    const vlen = block.readUInt16LE(at);
    at += 2;
    if (at + vlen > block.length) throw bad(`the value of "${key}" overruns the vars`);
    vars.set(key, block.subarray(at, at + vlen));
    at += vlen;
  }
  return vars;
}

/** Decodes a spool file; throws ERR_SPOOL_BAD_FILE on a bad header or vars block. */
export function decodeSpoolFile(data: Buffer): SpoolFile {
  if (data.length < 4) throw bad(`${data.length} bytes is shorter than a header`);
  if (data[0] !== SPOOL_MODIFIER1) throw bad(`modifier1 ${data[0]} is not 17`);
  const size = data.readUInt16LE(1);
  if (4 + size > data.length) throw bad(`the vars (${size} bytes) overrun the file`);
  const vars = decodeSpoolVars(data.subarray(4, 4 + size));
  return { vars, body: data.length > 4 + size ? data.subarray(4 + size) : undefined };
}

function bad(why: string): UwsgiError {
  return new UwsgiError('ERR_SPOOL_BAD_FILE', `invalid spool file: ${why}`);
}
