// Sans-I/O codec for uwsgi request packets, the protocol of nginx's `uwsgi_pass` (reference §1.1,
// §1.2): a 4-byte header, a vars block of u16 LE length-prefixed pairs, then CONTENT_LENGTH body
// bytes. Bytes in through push(), events out; the same encoders serve RPC and cache clients.

import type { ProtocolError, RequestHead } from './request-head.js';

/**
 * What a request codec reports. One object per connection, called synchronously from push()/end():
 * `onHead` once per request, then `onBody` zero or more times, then `onBodyEnd`. `onError` is final.
 *
 * Body chunks are views into the buffers given to push() (no copy), so a caller that keeps one
 * past the callback must not reuse the buffer it pushed; Node's socket chunks are never reused.
 */
export interface RequestEvents {
  onHead(head: RequestHead): void;
  onBody(chunk: Buffer): void;
  onBodyEnd(): void;
  onError(err: ProtocolError): void;
}

export interface UwsgiParserOptions {
  /** uWSGI `buffer-size`: the largest vars block (datasize) accepted. Default 4096. */
  readonly bufferSize?: number;
  /** uWSGI `max-vars`. Default 64, which (as in uWSGI) admits 128 pairs: see pairLimit below. */
  readonly maxVars?: number;
  /**
   * Packets whose datasize bytes are not a vars block (RPC arrays, cache keys, a signal number):
   * for these the parser reports `onPacket` with the raw payload and stops, leaving the connection
   * to the caller (reference §1.4, §1.5).
   */
  readonly rawPacket?: (modifier1: number, modifier2: number) => boolean;
  readonly onPacket?: (packet: UwsgiPacket, rest: Buffer) => void;
  /**
   * One request per connection, as uWSGI reads a uwsgi socket: after the first request's body the
   * parser reports nothing more, so bytes that follow a complete request (junk, a second packet)
   * never cost its answer. Default false (every packet in turn, as RPC and cache clients send).
   */
  readonly single?: boolean;
}

/** A packet that is not a request: header fields and its datasize bytes. */
export interface UwsgiPacket {
  readonly modifier1: number;
  readonly modifier2: number;
  readonly payload: Buffer;
}

// Parser states. `CLOSED` follows an error or end(): nothing more is reported.
const HEADER = 0;
const BLOCK = 1;
const BODY = 2;
const CLOSED = 3;
/** The datasize bytes of a raw packet (rawPacket option). */
const RAW = 4;
type State = typeof HEADER | typeof BLOCK | typeof BODY | typeof CLOSED | typeof RAW;

/**
 * Parses uwsgi request packets: header, vars, then exactly CONTENT_LENGTH body bytes; then the
 * next packet, if the peer sends one. Every modifier1 is parsed the same way: the caller looks at
 * `head.modifier1` and refuses what it does not serve.
 *
 * @example
 * const parser = new UwsgiRequestParser({ onHead, onBody, onBodyEnd, onError }, { bufferSize: 8192 });
 * socket.on('data', (chunk) => parser.push(chunk));
 * socket.on('end', () => parser.end());
 */
export class UwsgiRequestParser {
  private readonly events: RequestEvents;
  private readonly bufferSize: number;
  private readonly pairLimit: number;
  private state: State = HEADER;
  // Header fields, filled byte by byte when the header arrives split.
  private headerHave = 0;
  private modifier1 = 0;
  private modifier2 = 0;
  private dataSize = 0;
  // A vars block that arrives in pieces is copied here; reused by later packets that fit.
  private scratch: Buffer | null = null;
  private blockHave = 0;
  private bodyLeft = 0;
  private readonly rawPacket: UwsgiParserOptions['rawPacket'];
  private readonly onPacket: UwsgiParserOptions['onPacket'];
  private readonly single: boolean;

  constructor(events: RequestEvents, options: UwsgiParserOptions = {}) {
    this.events = events;
    this.bufferSize = options.bufferSize ?? 4096;
    // uWSGI 2.0.21 (observed): its iovec vector holds 4 * max-vars entries and counts keys and
    // values separately, so max-vars 64 admits 128 pairs and refuses the 129th.
    this.pairLimit = 2 * (options.maxVars ?? 64);
    this.rawPacket = options.rawPacket;
    this.onPacket = options.onPacket;
    this.single = options.single ?? false;
  }

  /** Feeds bytes as they arrive; events fire before push() returns. */
  push(chunk: Buffer): void {
    const len = chunk.length;
    let off = 0;
    while (off < len) {
      if (this.state === HEADER) {
        if (this.headerHave === 0 && len - off >= 4) {
          // Fast path: the whole header is in this chunk.
          this.modifier1 = chunk[off]!;
          this.dataSize = chunk[off + 1]! | (chunk[off + 2]! << 8);
          this.modifier2 = chunk[off + 3]!;
          off += 4;
        } else {
          off = this.takeHeaderByte(chunk, off);
          if (this.headerHave < 4) continue;
          this.headerHave = 0;
        }
        // uWSGI 2.0.21 (observed): datasize == buffer-size is served, buffer-size + 1 is refused.
        if (this.dataSize > this.bufferSize) {
          this.fail(
            'ERR_UWSGI_BLOCK_TOO_BIG',
            `invalid request block size: ${this.dataSize} (max ${this.bufferSize})`,
          );
          return;
        }
        this.state = BLOCK;
        this.blockHave = 0;
        if (this.rawPacket?.(this.modifier1, this.modifier2)) {
          this.state = RAW;
          if (this.blockHave === this.dataSize) {
            this.finishRaw(Buffer.alloc(0), chunk.subarray(off));
            return;
          }
          continue;
        }
        // An empty vars block (a ping, a signal) is complete now, not when more bytes arrive.
        if (this.dataSize === 0 && !this.finishBlock(chunk, off, off)) return;
      } else if (this.state === BLOCK) {
        const size = this.dataSize;
        if (this.blockHave === 0 && len - off >= size) {
          // Fast path: the whole vars block is in this chunk, parse it where it lies.
          if (!this.finishBlock(chunk, off, off + size)) return;
          off += size;
        } else {
          // Sized to this block, not to buffer-size: small blocks come from Node's buffer pool.
          if (this.blockHave === 0 && (this.scratch === null || this.scratch.length < size)) {
            this.scratch = Buffer.allocUnsafe(size);
          }
          const scratch = this.scratch!;
          const n = Math.min(size - this.blockHave, len - off);
          chunk.copy(scratch, this.blockHave, off, off + n);
          this.blockHave += n;
          off += n;
          if (this.blockHave < size) return;
          if (!this.finishBlock(scratch, 0, size)) return;
        }
      } else if (this.state === RAW) {
        const size = this.dataSize;
        if (this.blockHave === 0 && len - off >= size) {
          this.finishRaw(chunk.subarray(off, off + size), chunk.subarray(off + size));
          return;
        }
        if (this.blockHave === 0) this.scratch = Buffer.allocUnsafe(size);
        const scratch = this.scratch!;
        const n = Math.min(size - this.blockHave, len - off);
        chunk.copy(scratch, this.blockHave, off, off + n);
        this.blockHave += n;
        off += n;
        if (this.blockHave < size) return;
        this.scratch = null;
        this.finishRaw(scratch.subarray(0, size), chunk.subarray(off));
        return;
      } else if (this.state === BODY) {
        const n = Math.min(this.bodyLeft, len - off);
        const piece = n === len ? chunk : chunk.subarray(off, off + n);
        off += n;
        // State changes before each callback, so a callback that calls end() sees the truth.
        this.bodyLeft -= n;
        if (this.bodyLeft === 0) this.state = HEADER;
        this.events.onBody(piece);
        if (this.bodyLeft === 0 && this.state === HEADER) this.bodyEnd();
      } else {
        return;
      }
    }
  }

  /** The peer closed its side. Mid-request this reports ERR_PROTOCOL_TRUNCATED; between requests, nothing. */
  end(): void {
    const state = this.state;
    if (state === CLOSED) return;
    if (state === HEADER && this.headerHave === 0) {
      this.state = CLOSED;
      return;
    }
    const where =
      state === HEADER
        ? `after ${this.headerHave} of 4 header bytes`
        : state === BLOCK || state === RAW
          ? `after ${this.blockHave} of ${this.dataSize} ${state === RAW ? 'packet' : 'vars'} bytes`
          : `with ${this.bodyLeft} body bytes still expected`;
    this.fail('ERR_PROTOCOL_TRUNCATED', `uwsgi peer closed the connection ${where}`);
  }

  /** A raw packet is complete: the caller owns the connection from here (`rest` = bytes after it). */
  private finishRaw(payload: Buffer, rest: Buffer): void {
    this.state = CLOSED;
    this.onPacket?.({ modifier1: this.modifier1, modifier2: this.modifier2, payload }, rest);
  }

  private takeHeaderByte(chunk: Buffer, off: number): number {
    const byte = chunk[off]!;
    const i = this.headerHave++;
    if (i === 0) this.modifier1 = byte;
    else if (i === 1) this.dataSize = byte;
    else if (i === 2) this.dataSize |= byte << 8;
    else this.modifier2 = byte;
    return off + 1;
  }

  /** Decodes the vars block in buf[start, end), reports the head, and arms the body. */
  private finishBlock(buf: Buffer, start: number, end: number): boolean {
    const head = decodeRequestBlock(buf, start, end, this.pairLimit, this.modifier1, this.modifier2);
    if ('code' in head) return this.fail(head.code, head.message);
    const contentLength = head.contentLength;
    this.state = contentLength === 0 ? HEADER : BODY;
    this.bodyLeft = contentLength;
    this.events.onHead(head);
    if (contentLength === 0 && this.state === HEADER) this.bodyEnd();
    return true;
  }

  /** A request is complete; with `single`, so is the connection (later bytes are ignored). */
  private bodyEnd(): void {
    if (this.single) this.state = CLOSED;
    this.events.onBodyEnd();
  }

  private fail(code: ProtocolError['code'], message: string): false {
    this.state = CLOSED;
    this.events.onError({ code, message });
    return false;
  }
}

/** A request's head with its body length (what decodeRequestBlock finds). */
export interface UwsgiRequestHead extends RequestHead {
  readonly contentLength: number;
}

/**
 * Decodes a request's vars block, buf[start, end) (reference §1.2), with its CONTENT_LENGTH
 * checked; the error uWSGI's refusal maps to when it does not read. `pairLimit` is 2 * max-vars
 * (see the parser's constructor).
 */
export function decodeRequestBlock(
  buf: Buffer,
  start: number,
  end: number,
  pairLimit: number,
  modifier1: number,
  modifier2: number,
): UwsgiRequestHead | ProtocolError {
  // One native call decodes the whole block, then each var is a JS substring: latin1 is one char
  // per byte, so byte offsets are string offsets. 2-3x faster than one toString() per var.
  const text = buf.toString('latin1', start, end);
  const vars = new Map<string, string>();
  let pairs = 0;
  let p = start;
  while (p < end) {
    if (p + 2 > end) return badVars(p - start);
    const keyLen = buf[p]! | (buf[p + 1]! << 8);
    p += 2;
    // uWSGI refuses the request (not just the var) on an empty key.
    if (keyLen === 0) return { code: 'ERR_UWSGI_BAD_VARS', message: 'uwsgi key cannot be null' };
    if (p + keyLen + 2 > end) return badVars(keyLen);
    const key = text.slice(p - start, p - start + keyLen);
    p += keyLen;
    const valueLen = buf[p]! | (buf[p + 1]! << 8);
    p += 2;
    if (p + valueLen > end) return badVars(valueLen);
    if (++pairs > pairLimit) {
      return {
        code: 'ERR_UWSGI_TOO_MANY_VARS',
        message: `max vec size reached: more than ${pairLimit} uwsgi vars`,
      };
    }
    // Latin-1 keeps every byte (as node:http and PEP 3333 do); a later duplicate wins (§1.2).
    vars.set(key, valueLen === 0 ? '' : text.slice(p - start, p - start + valueLen));
    p += valueLen;
  }
  const contentLength = parseContentLength(vars.get('CONTENT_LENGTH'));
  if (contentLength < 0) {
    return {
      code: 'ERR_UWSGI_BAD_VARS',
      message: `invalid CONTENT_LENGTH ${JSON.stringify(vars.get('CONTENT_LENGTH'))}`,
    };
  }
  return { vars, varCount: pairs * 2, varBytes: end - start, modifier1, modifier2, contentLength };
}

function badVars(strsize: number): ProtocolError {
  return { code: 'ERR_UWSGI_BAD_VARS', message: `invalid uwsgi request (current strsize: ${strsize})` };
}

/**
 * A whole request in one buffer (a uwsgi socket read in C: native-bridge.ts): its head and its
 * body, or undefined when the bytes are not one whole request within the limits (the streaming
 * parser then says what it says of them). Bytes behind the body are not looked at.
 */
export function parseWholeRequest(
  bytes: Buffer,
  bufferSize: number,
  maxVars: number,
): { head: UwsgiRequestHead; body: Buffer } | undefined {
  if (bytes.length < 4) return undefined;
  const dataSize = bytes[1]! | (bytes[2]! << 8);
  if (dataSize > bufferSize || bytes.length < 4 + dataSize) return undefined;
  const head = decodeRequestBlock(bytes, 4, 4 + dataSize, 2 * maxVars, bytes[0]!, bytes[3]!);
  if ('code' in head) return undefined;
  const bodyEnd = 4 + dataSize + head.contentLength;
  if (bytes.length < bodyEnd) return undefined;
  return { head, body: bytes.subarray(4 + dataSize, bodyEnd) };
}

/**
 * CONTENT_LENGTH as a byte count: 0 when absent or empty, -1 when it is not a plain non-negative
 * decimal integer. Stricter than uWSGI (which reads `3x` as 3 and `abc` as 0): a length two
 * parties could read differently is how request smuggling starts.
 */
export function parseContentLength(value: string | undefined): number {
  if (value === undefined) return 0;
  const len = value.length;
  // 15 digits stay below 2^53, so the sum below is exact.
  if (len > 15) return -1;
  let n = 0;
  for (let i = 0; i < len; i++) {
    const digit = value.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    n = n * 10 + digit;
  }
  return n;
}

/**
 * Encodes a vars block (reference §1.2). Strings are byte strings: each char is one byte
 * (latin1), the way the parser decodes them; convert UTF-8 text first if needed.
 *
 * @example
 * encodeUwsgiVars([['REQUEST_METHOD', 'GET']]); // <0e 00 'REQUEST_METHOD' 03 00 'GET'>
 */
export function encodeUwsgiVars(vars: Iterable<readonly [string, string]>): Buffer {
  const pairs = Array.isArray(vars) ? (vars as readonly (readonly [string, string])[]) : [...vars];
  let size = 0;
  for (const [key, value] of pairs) {
    if (key.length === 0) throw new RangeError('uwsgi var key cannot be empty');
    if (key.length > 0xffff || value.length > 0xffff) {
      throw new RangeError(`uwsgi var ${key.slice(0, 40)} is longer than 65535 bytes`);
    }
    size += 4 + key.length + value.length;
  }
  const out = Buffer.allocUnsafe(size);
  let p = 0;
  for (const [key, value] of pairs) {
    p = out.writeUInt16LE(key.length, p);
    p += out.write(key, p, 'latin1');
    p = out.writeUInt16LE(value.length, p);
    p += out.write(value, p, 'latin1');
  }
  return out;
}

/**
 * Prepends the 4-byte header (reference §1.1) to a packet body: a vars block for requests, or a
 * modifier-specific payload (RPC array, cache key...).
 *
 * @example
 * encodeUwsgiPacket(0, 0, encodeUwsgiVars(vars)); // then write the request body after it
 */
export function encodeUwsgiPacket(modifier1: number, modifier2: number, body: Buffer): Buffer {
  if (body.length > 0xffff) throw new RangeError(`uwsgi packet body of ${body.length} bytes exceeds 65535`);
  const out = Buffer.allocUnsafe(4 + body.length);
  out[0] = modifier1;
  out.writeUInt16LE(body.length, 1);
  out[3] = modifier2;
  body.copy(out, 4);
  return out;
}
