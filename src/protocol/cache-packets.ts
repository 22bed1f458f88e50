// Sans-I/O codec of the cache packets (modifier1 111, reference §1.5), checked byte for byte
// against uWSGI 2.0.21 (test/fixtures/cache/uwsgi-2.0.21-cache.json): the requests a server
// decodes (simple get/set/del, dict get, stream get, and the "magic" vars form that uWSGI's own
// clients send), the replies it encodes, and the client side (requests as uWSGI's Python client
// writes them, replies as it reads them).

import { decodeUwsgiArray } from './uwsgi-array.js';

export const CACHE_MODIFIER1 = 111;

/** modifier2 of cache requests (reference §1.5). */
export const CACHE_MODIFIER2 = {
  /** body = key; reply [111, vallen, 0] + value, miss: closed */
  GET: 0,
  /** body = array(key, value[, ignored]); set without overwrite; no reply */
  SET: 1,
  /** body = key; no reply */
  DEL: 2,
  /** body = vars key=K; reply: the value or nothing */
  DICT_KEY: 3,
  /** body = vars get=K; reply: the value or an HTTP 404 */
  DICT_GET: 4,
  /** body = key; reply [111, 0, 1] + value, miss [111, 0, 0] */
  STREAM_GET: 5,
  /** body = cache name; a raw dump of uWSGI's memory layout (not served) */
  DUMP: 6,
  /** vars cmd, key, cache, expires, size (+ size raw bytes for set/update); reply vars status=ok */
  MAGIC: 17,
} as const;

export type CacheCommand = 'get' | 'set' | 'update' | 'del' | 'exists' | 'clear';

/** The request forms, by modifier2. */
export type CacheRequestForm = 'get' | 'set' | 'del' | 'dict-key' | 'dict-get' | 'stream-get' | 'magic';

/** A decoded request. Bytes are views into the request (no copy). */
export interface CacheRequest {
  readonly form: CacheRequestForm;
  readonly command: CacheCommand;
  /** The key's bytes (empty for clear). */
  readonly key: Buffer;
  /** The cache name; '' = the instance's default cache. */
  readonly cache: string;
  /** Relative expiry in seconds (magic set/update), 0 = never. */
  readonly expires: number;
  /** The value of a set/update. */
  readonly value: Buffer | undefined;
}

const FORMS: Readonly<Record<number, CacheRequestForm>> = {
  [CACHE_MODIFIER2.GET]: 'get',
  [CACHE_MODIFIER2.SET]: 'set',
  [CACHE_MODIFIER2.DEL]: 'del',
  [CACHE_MODIFIER2.DICT_KEY]: 'dict-key',
  [CACHE_MODIFIER2.DICT_GET]: 'dict-get',
  [CACHE_MODIFIER2.STREAM_GET]: 'stream-get',
  [CACHE_MODIFIER2.MAGIC]: 'magic',
};

const COMMANDS: ReadonlySet<string> = new Set<CacheCommand>([
  'get',
  'set',
  'update',
  'del',
  'exists',
  'clear',
]);

/** A vars block as pairs (keys latin-1, values as byte views); undefined when it overruns itself. */
export function decodeCacheVars(block: Buffer): [string, Buffer][] | undefined {
  const out: [string, Buffer][] = [];
  let p = 0;
  while (p < block.length) {
    if (p + 2 > block.length) return undefined;
    const kl = block[p]! | (block[p + 1]! << 8);
    if (p + 2 + kl + 2 > block.length) return undefined;
    const key = block.toString('latin1', p + 2, p + 2 + kl);
    p += 2 + kl;
    const vl = block[p]! | (block[p + 1]! << 8);
    if (p + 2 + vl > block.length) return undefined;
    out.push([key, block.subarray(p + 2, p + 2 + vl)]);
    p += 2 + vl;
  }
  return out;
}

/** The last value of a var (uWSGI re-applies each one as it parses: the later one wins). */
function lastVar(vars: readonly [string, Buffer][], name: string): Buffer | undefined {
  let found: Buffer | undefined;
  for (const [key, value] of vars) if (key === name) found = value;
  return found;
}

/** A decimal count; -1 when it is not one. */
function decimal(bytes: Buffer | undefined): number {
  if (bytes === undefined || bytes.length === 0 || bytes.length > 15) return -1;
  let n = 0;
  for (const c of bytes) {
    if (c < 0x30 || c > 0x39) return -1;
    n = n * 10 + (c - 0x30);
  }
  return n;
}

/** A magic set/update: how many value bytes follow the vars (0 for other requests; -1 bad size). */
function magicValueSize(vars: readonly [string, Buffer][]): number {
  const cmd = lastVar(vars, 'cmd')?.toString('latin1');
  if (cmd !== 'set' && cmd !== 'update') return 0;
  const size = lastVar(vars, 'size');
  return size === undefined ? 0 : decimal(size);
}

/**
 * Length of the whole request at the start of `bytes`: the 4-byte header, its datasize bytes and,
 * for a magic set/update, the `size` value bytes after them. -1 while more bytes are needed; -2
 * when the request can never be served (a bad `size`, a value over `maxValue`): close the connection.
 *
 * @example
 * const n = cacheRequestLength(buffered, 1 << 20);
 * if (n >= 0) reply = serveCachePacket(lookup, buffered.subarray(0, n));
 */
export function cacheRequestLength(bytes: Uint8Array, maxValue = Number.MAX_SAFE_INTEGER): number {
  if (bytes.length < 4) return -1;
  const datasize = bytes[1]! | (bytes[2]! << 8);
  const head = 4 + datasize;
  if (bytes.length < head) return -1;
  if (bytes[3] !== CACHE_MODIFIER2.MAGIC) return head;
  const block = Buffer.from(bytes.buffer, bytes.byteOffset + 4, datasize);
  const vars = decodeCacheVars(block);
  if (vars === undefined) return head;
  const size = magicValueSize(vars);
  if (size < 0 || size > maxValue) return -2;
  return bytes.length < head + size ? -1 : head + size;
}

/**
 * Decodes a whole request (`cacheRequestLength` bytes). Undefined: a request uWSGI answers by
 * closing the connection (an unknown modifier2 or command, no key, a dump request).
 */
export function decodeCacheRequest(bytes: Uint8Array): CacheRequest | undefined {
  if (bytes.length < 4 || bytes[0] !== CACHE_MODIFIER1) return undefined;
  const datasize = bytes[1]! | (bytes[2]! << 8);
  if (bytes.length < 4 + datasize) return undefined;
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  return decodeCacheRequestParts(bytes[3]!, buf.subarray(4, 4 + datasize), buf.subarray(4 + datasize));
}

/**
 * Decodes a request from its parts, for a caller whose uwsgi parser already split the packet
 * (src/protocol/uwsgi.ts `rawPacket`): `payload` = the datasize bytes, `tail` = what follows
 * (a magic set's value: `cacheRequestLength` says how long).
 */
export function decodeCacheRequestParts(
  modifier2: number,
  payload: Buffer,
  tail: Buffer,
): CacheRequest | undefined {
  const form = FORMS[modifier2];
  if (form === undefined) return undefined;
  const empty = payload.subarray(0, 0);
  switch (form) {
    case 'get':
    case 'stream-get':
      return { form, command: 'get', key: payload, cache: '', expires: 0, value: undefined };
    case 'del':
      return { form, command: 'del', key: payload, cache: '', expires: 0, value: undefined };
    case 'set': {
      const array = decodeUwsgiArray(payload);
      if (!array.ok || array.items.length < 2) return undefined;
      return { form, command: 'set', key: array.items[0]!, cache: '', expires: 0, value: array.items[1]! };
    }
    case 'dict-key':
    case 'dict-get': {
      const vars = decodeCacheVars(payload);
      const key = vars && lastVar(vars, form === 'dict-key' ? 'key' : 'get');
      if (key === undefined || key.length === 0) return undefined;
      return { form, command: 'get', key, cache: '', expires: 0, value: undefined };
    }
    case 'magic': {
      const vars = decodeCacheVars(payload);
      if (vars === undefined) return undefined;
      const command = lastVar(vars, 'cmd')?.toString('latin1') ?? '';
      if (!COMMANDS.has(command)) return undefined;
      const key = lastVar(vars, 'key') ?? empty;
      if (command !== 'clear' && key.length === 0) return undefined;
      const cache = lastVar(vars, 'cache')?.toString('latin1') ?? '';
      const expires = Math.max(0, decimal(lastVar(vars, 'expires')));
      const size = magicValueSize(vars);
      if (size < 0 || tail.length < size) return undefined;
      const value = command === 'set' || command === 'update' ? tail.subarray(0, size) : undefined;
      return { form, command: command as CacheCommand, key, cache, expires, value };
    }
  }
}

/** A vars block from pairs whose values are bytes or latin-1 strings. */
function encodeVars(pairs: readonly (readonly [string, Uint8Array | string])[]): Buffer {
  let size = 0;
  for (const [key, value] of pairs) size += 4 + key.length + value.length;
  if (size > 0xffff) throw new RangeError(`cache request vars of ${size} bytes exceed 65535`);
  const out = Buffer.allocUnsafe(size);
  let p = 0;
  for (const [key, value] of pairs) {
    p = out.writeUInt16LE(key.length, p);
    p += out.write(key, p, 'latin1');
    p = out.writeUInt16LE(value.length, p);
    if (typeof value === 'string') p += out.write(value, p, 'latin1');
    else {
      out.set(value, p);
      p += value.length;
    }
  }
  return out;
}

function packet(modifier2: number, body: Uint8Array, tail?: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(4 + body.length + (tail?.length ?? 0));
  out[0] = CACHE_MODIFIER1;
  out.writeUInt16LE(body.length & 0xffff, 1);
  out[3] = modifier2;
  out.set(body, 4);
  if (tail) out.set(tail, 4 + body.length);
  return out;
}

/** `[111, 12, 17] + {status: ok}`: a magic set/update/del/exists/clear that succeeded. */
export const CACHE_REPLY_OK: Buffer = packet(CACHE_MODIFIER2.MAGIC, encodeVars([['status', 'ok']]));

/** A magic get hit: `{status: ok, size: N[, expires: E]}` + the value (E absolute, if set). */
export function encodeCacheGetReply(value: Uint8Array, expires = 0): Buffer {
  const vars: [string, string][] = [
    ['status', 'ok'],
    ['size', String(value.length)],
  ];
  if (expires > 0) vars.push(['expires', String(expires)]);
  return packet(CACHE_MODIFIER2.MAGIC, encodeVars(vars), value);
}

/**
 * A simple get hit: `[111, vallen, 0] + value`, the documented header (uWSGI 2.0.21 sends 4 bytes
 * of pointer garbage instead, reference §1.5; a value over 65535 bytes wraps the u16 size field,
 * as the documented C header would).
 */
export function encodeCacheSimpleReply(value: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(4 + value.length);
  out[0] = CACHE_MODIFIER1;
  out.writeUInt16LE(value.length & 0xffff, 1);
  out[3] = CACHE_MODIFIER2.GET;
  out.set(value, 4);
  return out;
}

/** A stream get: `[111, 0, 1] + value` on a hit, `[111, 0, 0]` on a miss (documented headers). */
export function encodeCacheStreamReply(value: Uint8Array | undefined): Buffer {
  const out = Buffer.allocUnsafe(4 + (value?.length ?? 0));
  out[0] = CACHE_MODIFIER1;
  out[1] = 0;
  out[2] = 0;
  out[3] = value === undefined ? 0 : 1;
  if (value) out.set(value, 4);
  return out;
}

/** A dict get (m2 4) miss, as uWSGI 2.0.21 writes it. */
export const CACHE_DICT_NOT_FOUND: Buffer = Buffer.from(
  'HTTP/1.0 404 Not Found\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\nNot Found',
  'latin1',
);

// --- the client side ---

export interface CacheClientRequest {
  readonly command: CacheCommand;
  /** Required except for clear; a string is sent as UTF-8. */
  readonly key?: string | Uint8Array;
  /** set/update; a string is sent as UTF-8. */
  readonly value?: string | Uint8Array;
  /** set/update: seconds from now, 0 = never. */
  readonly expires?: number;
  /** The remote cache's name ('' = its default cache). */
  readonly cache: string;
}

const utf8 = (v: string | Uint8Array): Uint8Array => (typeof v === 'string' ? Buffer.from(v, 'utf8') : v);

/**
 * A magic request exactly as uWSGI 2.0.21's clients write it (`uwsgi.cache_get(key,
 * "name@host:port")` and friends, fixtures clientSends): `cmd, key, cache` for get/del/exists,
 * `cmd, cache` for clear, and for set/update `cmd, key, size[, expires], size, cache` (size twice,
 * as uWSGI does) followed by the value.
 *
 * @example
 * socket.write(encodeCacheRequest({ command: 'get', key: 'foo', cache: 'mycache' }));
 */
export function encodeCacheRequest(request: CacheClientRequest): Buffer {
  const { command, cache } = request;
  if (command === 'clear')
    return packet(
      CACHE_MODIFIER2.MAGIC,
      encodeVars([
        ['cmd', command],
        ['cache', cache],
      ]),
    );
  if (request.key === undefined) throw new TypeError(`cache ${command} needs a key`);
  const key = utf8(request.key);
  if (command !== 'set' && command !== 'update')
    return packet(
      CACHE_MODIFIER2.MAGIC,
      encodeVars([
        ['cmd', command],
        ['key', key],
        ['cache', cache],
      ]),
    );
  if (request.value === undefined) throw new TypeError(`cache ${command} needs a value`);
  const value = utf8(request.value);
  const size = String(value.length);
  const vars: [string, Uint8Array | string][] = [
    ['cmd', command],
    ['key', key],
    ['size', size],
  ];
  if (request.expires !== undefined && request.expires > 0) vars.push(['expires', String(request.expires)]);
  vars.push(['size', size], ['cache', cache]);
  return packet(CACHE_MODIFIER2.MAGIC, encodeVars(vars), value);
}

export interface CacheReply {
  /** The server answered `status: ok`. */
  readonly ok: boolean;
  /** A get's value (undefined when the reply has none, or `size` 0: uWSGI's client reads both as a miss). */
  readonly value: Buffer | undefined;
  /** A get's absolute expiry, 0 when none. */
  readonly expires: number;
}

const FAILED: CacheReply = Object.freeze({ ok: false, value: undefined, expires: 0 });

/**
 * Reads a magic reply from the bytes received so far. Undefined while more are needed (pass
 * `ended` when the peer closed: a short or empty reply is then a failure, as uWSGI's client
 * reads a closed connection).
 *
 * @example
 * const reply = parseCacheReply(received, ended);
 * if (reply) resolve(reply.ok ? reply.value : undefined);
 */
export function parseCacheReply(bytes: Uint8Array, ended: boolean): CacheReply | undefined {
  const more = ended ? FAILED : undefined;
  if (bytes.length < 4) return more;
  const datasize = bytes[1]! | (bytes[2]! << 8);
  if (bytes.length < 4 + datasize) return more;
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  if (buf[0] !== CACHE_MODIFIER1 || buf[3] !== CACHE_MODIFIER2.MAGIC) return FAILED;
  const vars = decodeCacheVars(buf.subarray(4, 4 + datasize));
  if (vars === undefined) return FAILED;
  const ok = lastVar(vars, 'status')?.toString('latin1') === 'ok';
  if (!ok) return FAILED;
  const size = decimal(lastVar(vars, 'size'));
  const expires = Math.max(0, decimal(lastVar(vars, 'expires')));
  if (size <= 0) return { ok, value: undefined, expires };
  if (buf.length < 4 + datasize + size) return more;
  return { ok, value: Buffer.from(buf.subarray(4 + datasize, 4 + datasize + size)), expires };
}

/** `name@host:port` -> the remote cache and its node; a name without `@` is a local cache. */
export function parseCacheAddress(spec: string): {
  readonly cache: string;
  readonly node: string | undefined;
} {
  const at = spec.indexOf('@');
  return at < 0 ? { cache: spec, node: undefined } : { cache: spec.slice(0, at), node: spec.slice(at + 1) };
}
