// Sans-I/O codec for the FastCGI 1.0 responder role (FastCGI Specification 1.0, Open Market 1996;
// nginx `fastcgi_pass`): records from the web server in, request events out, plus encoders for
// the records an application sends back (and a client-side request encoder for tests/benchmarks).

import type { ProtocolError, RequestHead } from './request-head.js';

/** Record types (spec §8). */
export const FCGI_RECORD = {
  BEGIN_REQUEST: 1,
  ABORT_REQUEST: 2,
  END_REQUEST: 3,
  PARAMS: 4,
  STDIN: 5,
  STDOUT: 6,
  STDERR: 7,
  DATA: 8,
  GET_VALUES: 9,
  GET_VALUES_RESULT: 10,
  UNKNOWN_TYPE: 11,
} as const;

/** BEGIN_REQUEST roles (spec §5.1). Only the responder is served. */
export const FCGI_ROLE = { RESPONDER: 1, AUTHORIZER: 2, FILTER: 3 } as const;

/** END_REQUEST protocolStatus values (spec §5.5). */
export const FCGI_STATUS = { REQUEST_COMPLETE: 0, CANT_MPX_CONN: 1, OVERLOADED: 2, UNKNOWN_ROLE: 3 } as const;

/** BEGIN_REQUEST flag: keep the connection open after the request (spec §5.1). */
export const FCGI_KEEP_CONN = 1;

const VERSION = 1;
const HEADER_SIZE = 8;
const MAX_CONTENT = 0xffff;

/**
 * What the FastCGI parser reports, synchronously from push()/end(). Per request: `onHead`, then
 * `onBody` zero or more times, then `onBodyEnd`; `onAbort` may come at any point after `onHead`.
 * Body chunks are views into the pushed buffers (no copy). `onError` is final: close the connection.
 */
export interface FastCgiEvents {
  onHead(requestId: number, head: RequestHead, keepConn: boolean): void;
  onBody(requestId: number, chunk: Buffer): void;
  onBodyEnd(requestId: number): void;
  /** ABORT_REQUEST: stop the request and answer `encodeEndRequest(requestId, 0, REQUEST_COMPLETE)`. */
  onAbort(requestId: number): void;
  /**
   * A BEGIN_REQUEST we do not serve (a role other than responder, or a second concurrent request):
   * answer `encodeEndRequest(requestId, 0, protocolStatus)`. Its other records are skipped.
   */
  onReject(requestId: number, protocolStatus: number, keepConn: boolean): void;
  /** GET_VALUES: answer `encodeGetValuesResult(answerGetValues(names, limits))`. */
  onGetValues(names: readonly string[]): void;
  /** A record type this codec does not know: answer `encodeUnknownType(type)` (spec §4.2). */
  onUnknownType(type: number): void;
  onError(err: ProtocolError): void;
}

export interface FastCgiParserOptions {
  /** The most params bytes one request may carry (uWSGI `buffer-size`). Default 4096. */
  readonly bufferSize?: number;
}

// Record-level states. `CLOSED` follows an error or end(): nothing more is reported.
const HEADER = 0;
const CONTENT = 1;
const PADDING = 2;
const CLOSED = 3;
type State = typeof HEADER | typeof CONTENT | typeof PADDING | typeof CLOSED;

// Where a record's content goes.
const SKIP = 0;
const COLLECT = 1; // the whole record is needed at once (BEGIN_REQUEST, GET_VALUES)
const PARAMS = 2; // appended to the request's params stream, which may span records
const STREAM = 3; // handed on as it arrives (STDIN)
type Sink = typeof SKIP | typeof COLLECT | typeof PARAMS | typeof STREAM;

// Request phases on this connection.
const IDLE = 0;
const IN_PARAMS = 1;
const IN_STDIN = 2;
const ANSWERING = 3; // stdin done; the app may still be writing, and ABORT_REQUEST still applies
type Phase = typeof IDLE | typeof IN_PARAMS | typeof IN_STDIN | typeof ANSWERING;

const NO_REQUEST = -1;

/**
 * Parses the records of one FastCGI connection, one request at a time (we answer
 * FCGI_MPXS_CONNS=0, so web servers do not multiplex). With FCGI_KEEP_CONN the next request
 * follows on the same connection.
 *
 * Params pieces are kept as views into the pushed buffers until the empty PARAMS record, so pushed
 * buffers must not be reused (Node's socket chunks never are).
 *
 * @example
 * const parser = new FastCgiConnectionParser(events, { bufferSize: 8192 });
 * socket.on('data', (chunk) => parser.push(chunk));
 * socket.on('end', () => parser.end());
 */
export class FastCgiConnectionParser {
  private readonly events: FastCgiEvents;
  private readonly bufferSize: number;
  private state: State = HEADER;
  // The record being read.
  private readonly header = Buffer.alloc(HEADER_SIZE);
  private headerHave = 0;
  private type = 0;
  private id = 0;
  private contentLength = 0;
  private contentLeft = 0;
  private paddingLeft = 0;
  private sink: Sink = SKIP;
  private collected: Buffer | null = null;
  private collectedHave = 0;
  // The request being served.
  private requestId = NO_REQUEST;
  private keepConn = false;
  private phase: Phase = IDLE;
  private ignoredId = NO_REQUEST;
  /** A request without FCGI_KEEP_CONN was read whole: the connection serves nothing more. */
  private lastRequest = false;
  private readonly paramsPieces: Buffer[] = [];
  private paramsBytes = 0;

  constructor(events: FastCgiEvents, options: FastCgiParserOptions = {}) {
    this.events = events;
    this.bufferSize = options.bufferSize ?? 4096;
  }

  /** Feeds bytes as they arrive; events fire before push() returns. */
  push(chunk: Buffer): void {
    const len = chunk.length;
    let off = 0;
    while (off < len) {
      const state = this.state;
      if (state === HEADER) {
        let h = chunk;
        let at = off;
        if (this.headerHave === 0 && len - off >= HEADER_SIZE) {
          // Fast path: the whole header is in this chunk.
          off += HEADER_SIZE;
        } else {
          const n = Math.min(HEADER_SIZE - this.headerHave, len - off);
          chunk.copy(this.header, this.headerHave, off, off + n);
          this.headerHave += n;
          off += n;
          if (this.headerHave < HEADER_SIZE) return;
          this.headerHave = 0;
          h = this.header;
          at = 0;
        }
        this.openRecord(
          h[at]!,
          h[at + 1]!,
          (h[at + 2]! << 8) | h[at + 3]!,
          (h[at + 4]! << 8) | h[at + 5]!,
          h[at + 6]!,
        );
      } else if (state === CONTENT) {
        const n = Math.min(this.contentLeft, len - off);
        const start = off;
        off += n;
        this.contentLeft -= n;
        const done = this.contentLeft === 0;
        // State changes before each callback, so a callback that calls end() sees the truth.
        if (done) this.state = this.paddingLeft > 0 ? PADDING : HEADER;
        const sink = this.sink;
        if (sink === STREAM) {
          this.events.onBody(this.id, n === len ? chunk : chunk.subarray(start, off));
        } else if (sink === PARAMS) {
          this.paramsPieces.push(chunk.subarray(start, off));
        } else if (sink === COLLECT) {
          this.collect(chunk, start, off);
          if (done) this.closeRecord();
        }
      } else if (state === PADDING) {
        const n = Math.min(this.paddingLeft, len - off);
        off += n;
        this.paddingLeft -= n;
        if (this.paddingLeft === 0) this.state = HEADER;
      } else {
        return;
      }
    }
  }

  /** The peer closed its side. Inside a record or a request: ERR_PROTOCOL_TRUNCATED; otherwise nothing. */
  end(): void {
    if (this.state === CLOSED) return;
    const midRecord = this.state !== HEADER || this.headerHave > 0;
    const midRequest = this.phase === IN_PARAMS || this.phase === IN_STDIN;
    if (!midRecord && !midRequest) {
      this.state = CLOSED;
      return;
    }
    const where = midRecord
      ? 'in the middle of a record'
      : `before the end of request ${this.requestId}'s ${this.phase === IN_PARAMS ? 'params' : 'stdin'}`;
    this.fail('ERR_PROTOCOL_TRUNCATED', `fastcgi peer closed the connection ${where}`);
  }

  private openRecord(version: number, type: number, id: number, length: number, padding: number): void {
    this.type = type;
    this.id = id;
    this.contentLength = length;
    this.contentLeft = length;
    this.paddingLeft = padding;
    this.sink = SKIP;
    this.state = length > 0 ? CONTENT : padding > 0 ? PADDING : HEADER;
    if (version !== VERSION) {
      this.fail('ERR_FASTCGI_BAD_VERSION', `unsupported fastcgi version ${version} (only 1)`);
      return;
    }
    switch (type) {
      case FCGI_RECORD.BEGIN_REQUEST:
        if (id === 0 || length !== 8) {
          this.bad(`BEGIN_REQUEST with request id ${id} and ${length} content bytes`);
          return;
        }
        this.startCollecting();
        return;
      case FCGI_RECORD.ABORT_REQUEST:
        this.openAbort(id);
        return;
      case FCGI_RECORD.PARAMS:
        this.openParams(id, length);
        return;
      case FCGI_RECORD.STDIN:
        this.openStdin(id, length);
        return;
      case FCGI_RECORD.DATA:
        // Only the filter role reads DATA, and it is refused at BEGIN_REQUEST.
        return;
      case FCGI_RECORD.GET_VALUES:
        if (id !== 0) {
          this.bad(`GET_VALUES for request ${id} (management records use id 0)`);
          return;
        }
        this.startCollecting();
        return;
      case FCGI_RECORD.END_REQUEST:
      case FCGI_RECORD.STDOUT:
      case FCGI_RECORD.STDERR:
      case FCGI_RECORD.GET_VALUES_RESULT:
      case FCGI_RECORD.UNKNOWN_TYPE:
        this.bad(`record type ${type} travels from the application, not to it`);
        return;
      default:
        this.events.onUnknownType(type);
    }
  }

  /** Called once a COLLECT record's content is complete. */
  private closeRecord(): void {
    const content = this.collected ?? Buffer.alloc(0);
    this.collected = null;
    if (this.type === FCGI_RECORD.BEGIN_REQUEST) this.begin(content);
    else this.getValues(content);
  }

  private begin(content: Buffer): void {
    const id = this.id;
    const role = (content[0]! << 8) | content[1]!;
    const keepConn = (content[2]! & FCGI_KEEP_CONN) !== 0;
    if (this.lastRequest) {
      // spec §5.1: without FCGI_KEEP_CONN the application closes the connection after its
      // response; a request sent behind it is never answered (uWSGI 2.0.21 does the same)
      this.ignoredId = id;
      return;
    }
    if (this.phase === IN_PARAMS || this.phase === IN_STDIN) {
      if (id === this.requestId) {
        this.bad(`request ${id} begun twice`);
        return;
      }
      this.ignoredId = id;
      this.events.onReject(id, FCGI_STATUS.CANT_MPX_CONN, keepConn);
      return;
    }
    if (role !== FCGI_ROLE.RESPONDER) {
      this.ignoredId = id;
      this.events.onReject(id, FCGI_STATUS.UNKNOWN_ROLE, keepConn);
      return;
    }
    if (this.ignoredId === id) this.ignoredId = NO_REQUEST;
    this.requestId = id;
    this.keepConn = keepConn;
    this.phase = IN_PARAMS;
    this.paramsBytes = 0;
  }

  private openAbort(id: number): void {
    if (id !== this.requestId || this.phase === IDLE) return; // raced with our END_REQUEST: nothing to stop
    this.phase = IDLE;
    this.requestId = NO_REQUEST;
    this.ignoredId = id;
    this.paramsPieces.length = 0;
    this.events.onAbort(id);
  }

  private openParams(id: number, length: number): void {
    if (id === this.ignoredId) return;
    if (id !== this.requestId || this.phase !== IN_PARAMS) {
      this.bad(`PARAMS for request ${id}, which is not expecting params`);
      return;
    }
    if (length === 0) {
      this.closeParams();
      return;
    }
    this.paramsBytes += length;
    // Checked per record, so an oversized request is refused before it is buffered.
    if (this.paramsBytes > this.bufferSize) {
      this.fail(
        'ERR_FASTCGI_PARAMS_TOO_BIG',
        `fastcgi params of ${this.paramsBytes}+ bytes exceed buffer-size ${this.bufferSize}`,
      );
      return;
    }
    this.sink = PARAMS;
  }

  private closeParams(): void {
    const pieces = this.paramsPieces;
    const block = pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces, this.paramsBytes);
    pieces.length = 0;
    const vars = new Map<string, string>();
    const pairs = decodePairs(block, vars);
    if (pairs < 0) {
      this.bad(`malformed params for request ${this.requestId}`);
      return;
    }
    this.phase = IN_STDIN;
    const head: RequestHead = {
      vars,
      varCount: pairs * 2,
      varBytes: block.length,
      modifier1: 0,
      modifier2: 0,
    };
    this.events.onHead(this.requestId, head, this.keepConn);
  }

  private openStdin(id: number, length: number): void {
    if (id === this.ignoredId) return;
    if (id !== this.requestId || this.phase !== IN_STDIN) {
      this.bad(`STDIN for request ${id}, which is not expecting a body`);
      return;
    }
    if (length > 0) {
      this.sink = STREAM;
      return;
    }
    this.phase = ANSWERING;
    if (!this.keepConn) this.lastRequest = true;
    this.events.onBodyEnd(id);
  }

  private getValues(content: Buffer): void {
    const vars = new Map<string, string>();
    if (decodePairs(content, vars) < 0) {
      this.bad('malformed GET_VALUES record');
      return;
    }
    this.events.onGetValues([...vars.keys()]);
  }

  private startCollecting(): void {
    this.sink = COLLECT;
    this.collected = null;
    this.collectedHave = 0;
    if (this.contentLength === 0) this.closeRecord();
  }

  private collect(chunk: Buffer, start: number, end: number): void {
    if (this.collectedHave === 0 && end - start === this.contentLength) {
      // Fast path: the whole record content is in this chunk.
      this.collected = chunk.subarray(start, end);
      this.collectedHave = this.contentLength;
      return;
    }
    this.collected ??= Buffer.allocUnsafe(this.contentLength);
    chunk.copy(this.collected, this.collectedHave, start, end);
    this.collectedHave += end - start;
  }

  private bad(why: string): void {
    this.fail('ERR_FASTCGI_BAD_RECORD', `invalid fastcgi record: ${why}`);
  }

  private fail(code: ProtocolError['code'], message: string): void {
    this.state = CLOSED;
    this.paramsPieces.length = 0;
    this.events.onError({ code, message });
  }
}

/**
 * Decodes name-value pairs (spec §3.4: 1-byte lengths below 128, else 4 bytes with the top bit
 * set) into `vars`. Returns the number of pairs, or -1 on an overrun or an empty name.
 */
function decodePairs(buf: Buffer, vars: Map<string, string>): number {
  const end = buf.length;
  // One native call decodes the whole block, then each pair is a JS substring: latin1 is one char
  // per byte, so byte offsets are string offsets. 2-3x faster than one toString() per string.
  const text = buf.toString('latin1');
  let pairs = 0;
  let p = 0;
  while (p < end) {
    let nameLen = buf[p]!;
    if (nameLen & 0x80) {
      if (p + 4 > end) return -1;
      nameLen = ((nameLen & 0x7f) << 24) | (buf[p + 1]! << 16) | (buf[p + 2]! << 8) | buf[p + 3]!;
      p += 4;
    } else p++;
    if (p >= end) return -1;
    let valueLen = buf[p]!;
    if (valueLen & 0x80) {
      if (p + 4 > end) return -1;
      valueLen = ((valueLen & 0x7f) << 24) | (buf[p + 1]! << 16) | (buf[p + 2]! << 8) | buf[p + 3]!;
      p += 4;
    } else p++;
    if (nameLen === 0 || p + nameLen + valueLen > end) return -1;
    const name = text.slice(p, p + nameLen);
    p += nameLen;
    // Latin-1 keeps every byte (as node:http and PEP 3333 do); a later duplicate wins.
    vars.set(name, valueLen === 0 ? '' : text.slice(p, p + valueLen));
    p += valueLen;
    pairs++;
  }
  return pairs;
}

export interface FastCgiLimits {
  readonly maxConns: number;
  readonly maxReqs: number;
}

// The variables a GET_VALUES may ask about (spec §4.1); names not listed are left out of the answer.
const GET_VALUES_ANSWERS = new Map<string, (limits: FastCgiLimits) => string>([
  ['FCGI_MAX_CONNS', (limits) => String(limits.maxConns)],
  ['FCGI_MAX_REQS', (limits) => String(limits.maxReqs)],
  // One request at a time per connection; concurrency comes from more connections.
  ['FCGI_MPXS_CONNS', () => '0'],
]);

/**
 * The answer to a GET_VALUES query: the asked names this server knows, with their values.
 *
 * @example
 * answerGetValues(['FCGI_MPXS_CONNS', 'X'], { maxConns: 100, maxReqs: 100 }); // [['FCGI_MPXS_CONNS', '0']]
 */
export function answerGetValues(names: readonly string[], limits: FastCgiLimits): [string, string][] {
  const out: [string, string][] = [];
  for (const name of names) {
    const answer = GET_VALUES_ANSWERS.get(name);
    if (answer !== undefined) out.push([name, answer(limits)]);
  }
  return out;
}

function writeHeader(
  out: Buffer,
  at: number,
  type: number,
  requestId: number,
  length: number,
  padding: number,
): void {
  out[at] = VERSION;
  out[at + 1] = type;
  out.writeUInt16BE(requestId, at + 2);
  out.writeUInt16BE(length, at + 4);
  out[at + 6] = padding;
  out[at + 7] = 0;
}

/**
 * One record with its content copied in (content of at most 65535 bytes).
 *
 * @example
 * encodeRecord(FCGI_RECORD.STDERR, 1, Buffer.from('warning\n'));
 */
export function encodeRecord(type: number, requestId: number, content: Buffer): Buffer {
  if (content.length > MAX_CONTENT) throw new RangeError(`fastcgi record content of ${content.length} bytes`);
  const out = Buffer.allocUnsafe(HEADER_SIZE + content.length);
  writeHeader(out, 0, type, requestId, content.length, 0);
  content.copy(out, HEADER_SIZE);
  return out;
}

/**
 * STDOUT records carrying `data`, as [header, data slice, header, data slice...]: the data is not
 * copied, so write the list with writev/cork. Empty data gives []: an empty STDOUT record would end
 * the stream, which is encodeStdoutEnd's job.
 *
 * @example
 * for (const b of encodeStdout(1, Buffer.from('Status: 200 OK\r\n\r\nhi'))) socket.write(b);
 */
export function encodeStdout(requestId: number, data: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < data.length; at += MAX_CONTENT) {
    const piece = data.subarray(at, Math.min(at + MAX_CONTENT, data.length));
    const header = Buffer.allocUnsafe(HEADER_SIZE);
    writeHeader(header, 0, FCGI_RECORD.STDOUT, requestId, piece.length, 0);
    out.push(header, piece);
  }
  return out;
}

/** The empty STDOUT record that closes the response stream (spec §5.3). */
export function encodeStdoutEnd(requestId: number): Buffer {
  const out = Buffer.allocUnsafe(HEADER_SIZE);
  writeHeader(out, 0, FCGI_RECORD.STDOUT, requestId, 0, 0);
  return out;
}

/**
 * END_REQUEST (spec §5.5): appStatus is the CGI exit status, protocolStatus one of FCGI_STATUS.
 *
 * @example
 * socket.end(Buffer.concat([encodeStdoutEnd(1), encodeEndRequest(1, 0, FCGI_STATUS.REQUEST_COMPLETE)]));
 */
export function encodeEndRequest(requestId: number, appStatus: number, protocolStatus: number): Buffer {
  const out = Buffer.alloc(HEADER_SIZE + 8);
  writeHeader(out, 0, FCGI_RECORD.END_REQUEST, requestId, 8, 0);
  out.writeUInt32BE(appStatus >>> 0, HEADER_SIZE);
  out[HEADER_SIZE + 4] = protocolStatus;
  return out;
}

/** GET_VALUES_RESULT (spec §4.1), a management record (request id 0). */
export function encodeGetValuesResult(pairs: Iterable<readonly [string, string]>): Buffer {
  return encodeRecord(FCGI_RECORD.GET_VALUES_RESULT, 0, encodeFastCgiPairs(pairs));
}

/** UNKNOWN_TYPE (spec §4.2): the answer to a record type we do not know. */
export function encodeUnknownType(type: number): Buffer {
  const out = Buffer.alloc(HEADER_SIZE + 8);
  writeHeader(out, 0, FCGI_RECORD.UNKNOWN_TYPE, 0, 8, 0);
  out[HEADER_SIZE] = type;
  return out;
}

/**
 * Encodes name-value pairs (spec §3.4). Strings are byte strings: each char is one byte (latin1),
 * the way the parser decodes them.
 */
export function encodeFastCgiPairs(pairs: Iterable<readonly [string, string]>): Buffer {
  const list = Array.isArray(pairs) ? (pairs as readonly (readonly [string, string])[]) : [...pairs];
  let size = 0;
  for (const [name, value] of list) {
    if (name.length === 0) throw new RangeError('fastcgi param name cannot be empty');
    size += (name.length < 128 ? 1 : 4) + (value.length < 128 ? 1 : 4) + name.length + value.length;
  }
  const out = Buffer.allocUnsafe(size);
  let p = 0;
  for (const [name, value] of list) {
    p = writeLength(out, p, name.length);
    p = writeLength(out, p, value.length);
    p += out.write(name, p, 'latin1');
    p += out.write(value, p, 'latin1');
  }
  return out;
}

function writeLength(out: Buffer, at: number, length: number): number {
  if (length < 128) {
    out[at] = length;
    return at + 1;
  }
  return out.writeUInt32BE((length | 0x80000000) >>> 0, at);
}

export interface FastCgiRequestOptions {
  /** BEGIN_REQUEST role. Default FCGI_ROLE.RESPONDER. */
  readonly role?: number;
  /** Largest PARAMS/STDIN record content, to make the streams span records. Default 65535. */
  readonly recordSize?: number;
  /** Pad each record to a multiple of 8 bytes, as nginx does. Default false. */
  readonly pad?: boolean;
}

/**
 * A whole client request as a web server sends it: BEGIN_REQUEST, PARAMS records, an empty PARAMS,
 * STDIN records, an empty STDIN. For tests, benchmarks and a future FastCGI client.
 *
 * @example
 * encodeFastCgiRequest(1, [['REQUEST_METHOD', 'GET']], Buffer.alloc(0), true);
 */
export function encodeFastCgiRequest(
  requestId: number,
  params: Iterable<readonly [string, string]>,
  body: Buffer,
  keepConn: boolean,
  options: FastCgiRequestOptions = {},
): Buffer {
  const recordSize = Math.min(options.recordSize ?? MAX_CONTENT, MAX_CONTENT);
  if (recordSize < 1) throw new RangeError(`fastcgi record size ${recordSize}`);
  const pad = options.pad ?? false;
  const begin = Buffer.alloc(8);
  begin.writeUInt16BE(options.role ?? FCGI_ROLE.RESPONDER, 0);
  begin[2] = keepConn ? FCGI_KEEP_CONN : 0;
  const parts: Buffer[] = [encodeRecord(FCGI_RECORD.BEGIN_REQUEST, requestId, begin)];
  const stream = (type: number, data: Buffer): void => {
    for (let at = 0; at < data.length; at += recordSize) {
      const piece = data.subarray(at, Math.min(at + recordSize, data.length));
      const padding = pad ? (8 - (piece.length % 8)) % 8 : 0;
      const header = Buffer.allocUnsafe(HEADER_SIZE);
      writeHeader(header, 0, type, requestId, piece.length, padding);
      parts.push(header, piece);
      if (padding > 0) parts.push(Buffer.alloc(padding));
    }
    const end = Buffer.allocUnsafe(HEADER_SIZE);
    writeHeader(end, 0, type, requestId, 0, 0);
    parts.push(end);
  };
  stream(FCGI_RECORD.PARAMS, encodeFastCgiPairs(params));
  stream(FCGI_RECORD.STDIN, body);
  return Buffer.concat(parts);
}
