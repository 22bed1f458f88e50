// Sans-I/O codec for SCGI requests (the SCGI protocol by Neil Schemenauer; nginx `scgi_pass`): a
// netstring `LEN:` + NUL-terminated key/value strings + `,`, then CONTENT_LENGTH body bytes.
// Bytes in through push(), the same events as the uwsgi codec out.

import type { ProtocolError, RequestHead } from './request-head.js';
import { parseContentLength, type RequestEvents } from './uwsgi.js';

export interface ScgiParserOptions {
  /** The largest netstring length accepted (uWSGI `buffer-size`). Default 4096. */
  readonly bufferSize?: number;
  /**
   * One request per connection (the SCGI spec: the server closes the connection after its
   * response; uWSGI reads one): bytes after the first request are ignored. Default false.
   */
  readonly single?: boolean;
}

// Parser states. `CLOSED` follows an error or end(): nothing more is reported.
const LENGTH = 0;
const BLOCK = 1;
const BODY = 2;
const CLOSED = 3;
type State = typeof LENGTH | typeof BLOCK | typeof BODY | typeof CLOSED;

const COLON = 0x3a;
const COMMA = 0x2c;

/**
 * Parses SCGI requests. As in uWSGI, CONTENT_LENGTH may appear anywhere among the headers (the spec
 * wants it first); unlike uWSGI it must be present, as the spec requires. `SCGI=1` is not checked.
 *
 * @example
 * const parser = new ScgiRequestParser({ onHead, onBody, onBodyEnd, onError });
 * socket.on('data', (chunk) => parser.push(chunk));
 * socket.on('end', () => parser.end());
 */
export class ScgiRequestParser {
  private readonly events: RequestEvents;
  private readonly bufferSize: number;
  private state: State = LENGTH;
  private lengthDigits = 0;
  private netLength = 0;
  // A netstring that arrives in pieces is copied here; reused by later requests that fit.
  private scratch: Buffer | null = null;
  private blockHave = 0;
  private bodyLeft = 0;
  private readonly single: boolean;

  constructor(events: RequestEvents, options: ScgiParserOptions = {}) {
    this.events = events;
    this.bufferSize = options.bufferSize ?? 4096;
    this.single = options.single ?? false;
  }

  /** Feeds bytes as they arrive; events fire before push() returns. */
  push(chunk: Buffer): void {
    const len = chunk.length;
    let off = 0;
    while (off < len) {
      if (this.state === LENGTH) {
        off = this.takeLength(chunk, off);
      } else if (this.state === BLOCK) {
        // The netstring's payload plus its closing comma.
        const size = this.netLength + 1;
        if (this.blockHave === 0 && len - off >= size) {
          // Fast path: the whole netstring is in this chunk, parse it where it lies.
          if (!this.finishBlock(chunk, off, off + this.netLength)) return;
          off += size;
        } else {
          // Sized to this netstring, not to buffer-size: small ones come from Node's buffer pool.
          if (this.blockHave === 0 && (this.scratch === null || this.scratch.length < size)) {
            this.scratch = Buffer.allocUnsafe(size);
          }
          const scratch = this.scratch!;
          const n = Math.min(size - this.blockHave, len - off);
          chunk.copy(scratch, this.blockHave, off, off + n);
          this.blockHave += n;
          off += n;
          if (this.blockHave < size) return;
          if (!this.finishBlock(scratch, 0, this.netLength)) return;
        }
      } else if (this.state === BODY) {
        const n = Math.min(this.bodyLeft, len - off);
        const piece = n === len ? chunk : chunk.subarray(off, off + n);
        off += n;
        // State changes before each callback, so a callback that calls end() sees the truth.
        this.bodyLeft -= n;
        if (this.bodyLeft === 0) this.state = LENGTH;
        this.events.onBody(piece);
        if (this.bodyLeft === 0 && this.state === LENGTH) this.bodyEnd();
      } else {
        return;
      }
    }
  }

  /** The peer closed its side. Mid-request this reports ERR_PROTOCOL_TRUNCATED; between requests, nothing. */
  end(): void {
    const state = this.state;
    if (state === CLOSED) return;
    if (state === LENGTH && this.lengthDigits === 0) {
      this.state = CLOSED;
      return;
    }
    const where =
      state === LENGTH
        ? 'inside the netstring length'
        : state === BLOCK
          ? `after ${this.blockHave} of ${this.netLength + 1} netstring bytes`
          : `with ${this.bodyLeft} body bytes still expected`;
    this.fail('ERR_PROTOCOL_TRUNCATED', `scgi peer closed the connection ${where}`);
  }

  /** Reads length digits up to the colon; the length is checked as it grows, not after. */
  private takeLength(chunk: Buffer, off: number): number {
    const len = chunk.length;
    let n = this.netLength;
    while (off < len) {
      const byte = chunk[off++]!;
      const digit = byte - 48;
      if (digit >= 0 && digit <= 9) {
        n = n * 10 + digit;
        // Leading zeros do not grow n, so the digit count needs its own bound.
        if (++this.lengthDigits > 10) {
          this.fail('ERR_SCGI_BAD_NETSTRING', 'invalid scgi netstring length (more than 10 digits)');
          return len;
        }
        if (n > this.bufferSize) {
          this.fail('ERR_SCGI_HEADERS_TOO_BIG', `scgi headers of ${n}+ bytes exceed ${this.bufferSize}`);
          return len;
        }
      } else if (byte === COLON && this.lengthDigits > 0) {
        this.netLength = n;
        this.state = BLOCK;
        this.blockHave = 0;
        return off;
      } else {
        this.fail('ERR_SCGI_BAD_NETSTRING', `invalid scgi netstring length (byte 0x${byte.toString(16)})`);
        return len;
      }
    }
    this.netLength = n;
    return off;
  }

  /** Decodes the netstring payload buf[start, end) (its comma is at `end`) and reports the head. */
  private finishBlock(buf: Buffer, start: number, end: number): boolean {
    if (buf[end] !== COMMA) return this.bad('the netstring does not end with a comma');
    // One native call decodes the whole payload, then each string is a JS substring found with
    // indexOf: 2-3x faster than one toString() per string. Latin-1 keeps every byte, as node:http
    // and PEP 3333 do.
    const text = buf.toString('latin1', start, end);
    const size = text.length;
    const vars = new Map<string, string>();
    let pairs = 0;
    let p = 0;
    while (p < size) {
      const keyEnd = text.indexOf('\0', p);
      if (keyEnd < 0) return this.bad('a header name is not NUL-terminated');
      if (keyEnd === p) return this.bad('a header name is empty');
      const valueEnd = text.indexOf('\0', keyEnd + 1);
      if (valueEnd < 0) return this.bad('odd number of strings (a name without a value)');
      // A later duplicate wins.
      vars.set(text.slice(p, keyEnd), valueEnd === keyEnd + 1 ? '' : text.slice(keyEnd + 1, valueEnd));
      pairs++;
      p = valueEnd + 1;
    }
    const raw = vars.get('CONTENT_LENGTH');
    // The SCGI spec makes CONTENT_LENGTH mandatory, "0" when there is no body.
    const contentLength = raw === undefined || raw === '' ? -1 : parseContentLength(raw);
    if (contentLength < 0) return this.bad(`invalid or missing CONTENT_LENGTH ${JSON.stringify(raw)}`);
    const head: RequestHead = {
      vars,
      varCount: pairs * 2,
      varBytes: end - start,
      modifier1: 0,
      modifier2: 0,
    };
    this.state = contentLength === 0 ? LENGTH : BODY;
    this.bodyLeft = contentLength;
    this.lengthDigits = 0;
    this.netLength = 0;
    this.events.onHead(head);
    if (contentLength === 0 && this.state === LENGTH) this.bodyEnd();
    return true;
  }

  /** A request is complete; with `single`, so is the connection (later bytes are ignored). */
  private bodyEnd(): void {
    if (this.single) this.state = CLOSED;
    this.events.onBodyEnd();
  }

  private bad(why: string): false {
    return this.fail('ERR_SCGI_BAD_NETSTRING', `invalid scgi request: ${why}`);
  }

  private fail(code: ProtocolError['code'], message: string): false {
    this.state = CLOSED;
    this.events.onError({ code, message });
    return false;
  }
}

/**
 * Encodes an SCGI request: the netstring of `vars`, written in the given order (put
 * CONTENT_LENGTH first, as the spec asks), then `body`. Strings are byte strings (latin1).
 *
 * @example
 * encodeScgiRequest([['CONTENT_LENGTH', '2'], ['SCGI', '1'], ['REQUEST_METHOD', 'POST']], Buffer.from('hi'));
 */
export function encodeScgiRequest(vars: Iterable<readonly [string, string]>, body: Buffer): Buffer {
  let headers = '';
  for (const [key, value] of vars) {
    if (key.length === 0 || key.includes('\0') || value.includes('\0')) {
      throw new RangeError(`scgi header ${JSON.stringify(key)} is empty or contains NUL`);
    }
    headers += key + '\0' + value + '\0';
  }
  const prefix = `${headers.length}:`;
  const out = Buffer.allocUnsafe(prefix.length + headers.length + 1 + body.length);
  let p = out.write(prefix, 0, 'latin1');
  p += out.write(headers, p, 'latin1');
  out[p++] = COMMA;
  body.copy(out, p);
  return out;
}
