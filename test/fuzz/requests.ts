// Valid requests for the four protocols the workers serve, written byte by byte here (not with
// src/protocol's encoders, so a codec bug cannot hide itself), with the offsets the mutations
// need: the boundaries between fields (where truncation cuts) and the length fields (what an
// oversize mutation rewrites). Layouts: /work/shared/reference/uwsgi-reference.md section 1
// (uwsgi), the FastCGI 1.0 spec (records, name-value pairs) and the SCGI spec (netstring head).
import type { Rng } from './random.js';

export type Protocol = 'http' | 'uwsgi' | 'fastcgi' | 'scgi';
export const PROTOCOLS: readonly Protocol[] = ['http', 'uwsgi', 'fastcgi', 'scgi'];

/** A request before it is framed: what every protocol can carry. */
export interface PlainRequest {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly headers: readonly (readonly [string, string])[];
  readonly body: Buffer;
  /** HTTP only: send the body chunked. */
  readonly chunked: boolean;
  /** FastCGI only: the BEGIN_REQUEST keep-connection flag. */
  readonly keepConn: boolean;
}

/** A length the receiver trusts: how to rewrite it. */
export type LengthField =
  | { readonly kind: 'u8' | 'u16le' | 'u16be'; readonly at: number }
  /** FastCGI name-value length: 1 byte, or 4 bytes with the top bit set. */
  | { readonly kind: 'fcgi-nv'; readonly at: number; readonly size: 1 | 4 }
  /** ASCII digits from `at` to `end` (Content-Length, CONTENT_LENGTH, the SCGI netstring length). */
  | { readonly kind: 'decimal' | 'hex'; readonly at: number; readonly end: number };

export interface Encoded {
  readonly bytes: Buffer;
  /** Offsets between fields, ascending, 0 and bytes.length included. */
  readonly boundaries: readonly number[];
  readonly lengths: readonly LengthField[];
}

/** CGI vars of a request, as nginx's uwsgi_params / fastcgi_params / scgi_params send them. */
export function cgiVars(req: PlainRequest): [string, string][] {
  const uri = req.query ? `${req.path}?${req.query}` : req.path;
  const vars: [string, string][] = [
    ['REQUEST_METHOD', req.method],
    ['REQUEST_URI', uri],
    ['PATH_INFO', req.path],
    ['QUERY_STRING', req.query],
    ['SERVER_PROTOCOL', 'HTTP/1.1'],
    ['SERVER_NAME', 'fuzz.test'],
    ['SERVER_PORT', '80'],
    ['REMOTE_ADDR', '127.0.0.1'],
    ['REMOTE_PORT', '40000'],
  ];
  if (req.body.length > 0 || req.method === 'POST') {
    vars.push(['CONTENT_LENGTH', String(req.body.length)], ['CONTENT_TYPE', 'application/octet-stream']);
  }
  for (const [name, value] of req.headers)
    vars.push([`HTTP_${name.toUpperCase().replaceAll('-', '_')}`, value]);
  return vars;
}

/** Collects bytes with the offsets the mutations need. */
class Writer {
  private readonly parts: Buffer[] = [];
  private length = 0;
  readonly boundaries: number[] = [0];
  readonly lengths: LengthField[] = [];

  get offset(): number {
    return this.length;
  }

  put(bytes: Buffer | string, boundaryAfter = true): number {
    const buf = typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes;
    const at = this.length;
    this.parts.push(buf);
    this.length += buf.length;
    if (boundaryAfter) this.boundaries.push(this.length);
    return at;
  }

  /** Writes digits and records them as a decimal length field. */
  digits(n: number, kind: 'decimal' | 'hex' = 'decimal'): void {
    const text = kind === 'hex' ? n.toString(16) : String(n);
    const at = this.put(text);
    this.lengths.push({ kind, at, end: at + text.length });
  }

  done(): Encoded {
    const bytes = Buffer.concat(this.parts, this.length);
    // offsets arrive in order: drop repeats in one pass (sort only if a writer broke the order)
    const all = [...this.boundaries, bytes.length];
    const boundaries: number[] = [];
    let ordered = true;
    for (const b of all) {
      const last = boundaries[boundaries.length - 1];
      if (last !== undefined && b < last) ordered = false;
      if (b !== last) boundaries.push(b);
    }
    if (!ordered)
      return { bytes, boundaries: [...new Set(boundaries)].sort((a, b) => a - b), lengths: this.lengths };
    return { bytes, boundaries, lengths: this.lengths };
  }
}

function u16le(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n & 0xffff);
  return b;
}

/** Adds the var `CONTENT_LENGTH`'s value as a decimal length field when `w` just wrote it. */
function noteContentLength(w: Writer, name: string, valueAt: number, value: string): void {
  if (name === 'CONTENT_LENGTH')
    w.lengths.push({ kind: 'decimal', at: valueAt, end: valueAt + value.length });
}

// --- uwsgi: [modifier1 u8][datasize u16 LE][modifier2 u8] then {u16 LE key size, key, u16 LE val size, val}*

export function encodeUwsgi(req: PlainRequest, vars = cgiVars(req)): Encoded {
  const w = new Writer();
  const block = new Writer();
  for (const [k, v] of vars) {
    const key = Buffer.from(k, 'latin1');
    const value = Buffer.from(v, 'latin1');
    block.lengths.push({ kind: 'u16le', at: block.put(u16le(key.length)) });
    block.put(key);
    block.lengths.push({ kind: 'u16le', at: block.put(u16le(value.length)) });
    const valueAt = block.put(value);
    noteContentLength(block, k, valueAt, v);
  }
  const vb = block.done();
  w.put(Buffer.from([0]));
  w.lengths.push({ kind: 'u16le', at: w.put(u16le(vb.bytes.length)) });
  w.put(Buffer.from([0]));
  const base = w.offset;
  w.put(vb.bytes, false);
  for (const b of vb.boundaries) w.boundaries.push(base + b);
  for (const f of vb.lengths) w.lengths.push(shift(f, base));
  putBody(w, req.body);
  return w.done();
}

function shift(f: LengthField, by: number): LengthField {
  if (f.kind === 'decimal' || f.kind === 'hex') return { kind: f.kind, at: f.at + by, end: f.end + by };
  if (f.kind === 'fcgi-nv') return { kind: f.kind, at: f.at + by, size: f.size };
  return { kind: f.kind, at: f.at + by };
}

function putBody(w: Writer, body: Buffer): void {
  if (body.length === 0) return;
  const mid = body.length >> 1;
  w.put(body.subarray(0, mid));
  w.put(body.subarray(mid));
}

// --- SCGI: "<len>:" + NUL-separated head (CONTENT_LENGTH first, SCGI=1) + "," + body

export function encodeScgi(req: PlainRequest, vars = cgiVars(req)): Encoded {
  const all: [string, string][] = [
    ['CONTENT_LENGTH', String(req.body.length)],
    ['SCGI', '1'],
    ...vars.filter(([k]) => k !== 'CONTENT_LENGTH'),
  ];
  const head = new Writer();
  for (const [k, v] of all) {
    head.put(`${k}\0`);
    const at = head.put(`${v}\0`);
    noteContentLength(head, k, at, v);
  }
  const hb = head.done();
  const w = new Writer();
  w.digits(hb.bytes.length);
  w.put(':');
  const base = w.offset;
  w.put(hb.bytes, false);
  for (const b of hb.boundaries) w.boundaries.push(base + b);
  for (const f of hb.lengths) w.lengths.push(shift(f, base));
  w.put(',');
  putBody(w, req.body);
  return w.done();
}

// --- FastCGI: 8-byte record headers {version 1, type, requestId u16 BE, contentLength u16 BE, padding u8, 0}

const FCGI = { BEGIN_REQUEST: 1, PARAMS: 4, STDIN: 5 } as const;

function fcgiPairs(vars: readonly (readonly [string, string])[]): Encoded {
  const w = new Writer();
  const len = (n: number): void => {
    if (n < 128) {
      w.lengths.push({ kind: 'fcgi-nv', at: w.put(Buffer.from([n])), size: 1 });
    } else {
      const b = Buffer.alloc(4);
      b.writeUInt32BE((n | 0x80000000) >>> 0);
      w.lengths.push({ kind: 'fcgi-nv', at: w.put(b), size: 4 });
    }
  };
  for (const [k, v] of vars) {
    len(Buffer.byteLength(k, 'latin1'));
    len(Buffer.byteLength(v, 'latin1'));
    w.put(k);
    const at = w.put(v);
    noteContentLength(w, k, at, v);
  }
  return w.done();
}

function fcgiRecord(w: Writer, type: number, id: number, content: Encoded | Buffer, pad: number): void {
  const body = Buffer.isBuffer(content) ? content : content.bytes;
  const header = Buffer.from([1, type, id >> 8, id & 0xff, body.length >> 8, body.length & 0xff, pad, 0]);
  const at = w.offset;
  w.put(header.subarray(0, 4));
  w.lengths.push({ kind: 'u16be', at: at + 4 }, { kind: 'u8', at: at + 6 });
  w.put(header.subarray(4));
  const base = w.offset;
  w.put(body, false);
  if (!Buffer.isBuffer(content)) {
    for (const b of content.boundaries) w.boundaries.push(base + b);
    for (const f of content.lengths) w.lengths.push(shift(f, base));
  }
  w.boundaries.push(w.offset);
  if (pad > 0) w.put(Buffer.alloc(pad));
}

/** Splits an encoded stream into records of at most `size` bytes (boundaries kept where they fall). */
function slices(e: Encoded, size: number): Encoded[] {
  // one pass over the sorted offsets: many-vars requests cut into 1-byte records make 100k slices
  const fieldEnd = (f: LengthField): number => (f.kind === 'decimal' || f.kind === 'hex' ? f.end : f.at + 4);
  const lengths = [...e.lengths].sort((a, b) => a.at - b.at);
  const out: Encoded[] = [];
  let b = 0;
  let l = 0;
  for (let at = 0; at < e.bytes.length; at += size) {
    const end = Math.min(at + size, e.bytes.length);
    const boundaries: number[] = [];
    while (b < e.boundaries.length && (e.boundaries[b] ?? 0) < at) b++;
    for (let k = b; k < e.boundaries.length && (e.boundaries[k] ?? 0) <= end; k++) {
      boundaries.push((e.boundaries[k] ?? 0) - at);
    }
    const inside: LengthField[] = [];
    while (l < lengths.length && (lengths[l]?.at ?? 0) < at) l++;
    for (let k = l; k < lengths.length; k++) {
      const f = lengths[k];
      if (f === undefined || f.at >= end) break;
      if (fieldEnd(f) <= end) inside.push(shift(f, -at));
    }
    out.push({ bytes: e.bytes.subarray(at, end), boundaries, lengths: inside });
  }
  return out;
}

export function encodeFastCgi(req: PlainRequest, vars = cgiVars(req), rng?: Rng): Encoded {
  const id = rng
    ? rng.weighted([
        [8, 1],
        [1, rng.between(2, 0xffff)],
      ])
    : 1;
  const pairs = fcgiPairs(vars);
  // small records make the streams span many of them, but not more than a few hundred
  const fewest = Math.ceil(Math.max(pairs.bytes.length, req.body.length) / 256);
  const recordSize = rng?.chance(0.2) ? Math.max(rng.between(1, 512), fewest) : 65535;
  const pad = (n: number): number => (rng?.chance(0.5) ? (8 - (n % 8)) % 8 : 0);
  const w = new Writer();
  fcgiRecord(w, FCGI.BEGIN_REQUEST, id, Buffer.from([0, 1, req.keepConn ? 1 : 0, 0, 0, 0, 0, 0]), 0);
  for (const part of slices(pairs, recordSize)) fcgiRecord(w, FCGI.PARAMS, id, part, pad(part.bytes.length));
  fcgiRecord(w, FCGI.PARAMS, id, Buffer.alloc(0), 0);
  for (let at = 0; at < req.body.length; at += recordSize) {
    const piece = req.body.subarray(at, at + recordSize);
    fcgiRecord(w, FCGI.STDIN, id, piece, pad(piece.length));
  }
  fcgiRecord(w, FCGI.STDIN, id, Buffer.alloc(0), 0);
  return w.done();
}

// --- HTTP/1.1 on http-socket

export function encodeHttp(req: PlainRequest): Encoded {
  const w = new Writer();
  w.put(req.method);
  w.put(' ');
  w.put(req.query ? `${req.path}?${req.query}` : req.path);
  w.put(' HTTP/1.1\r\n');
  w.put('Host: fuzz.test\r\n');
  for (const [name, value] of req.headers) {
    w.put(`${name}:`);
    w.put(` ${value}\r\n`);
  }
  if (req.chunked) {
    w.put('Transfer-Encoding: chunked\r\n\r\n');
    let at = 0;
    while (at < req.body.length) {
      const n = Math.min(req.body.length - at, 1 + ((at * 7919) % 700));
      w.digits(n, 'hex');
      w.put('\r\n');
      w.put(req.body.subarray(at, at + n));
      w.put('\r\n');
      at += n;
    }
    w.put('0\r\n\r\n');
  } else {
    if (req.body.length > 0 || req.method === 'POST') {
      w.put('Content-Length: ');
      w.digits(req.body.length);
      w.put('\r\n');
    }
    w.put('\r\n');
    putBody(w, req.body);
  }
  return w.done();
}

export function encode(protocol: Protocol, req: PlainRequest, rng?: Rng): Encoded {
  switch (protocol) {
    case 'http':
      return encodeHttp(req);
    case 'uwsgi':
      return encodeUwsgi(req);
    case 'scgi':
      return encodeScgi(req);
    case 'fastcgi':
      return encodeFastCgi(req, cgiVars(req), rng);
  }
}

/** A valid request with random method, path, query, headers and body. */
export function randomRequest(rng: Rng, path: string): PlainRequest {
  const method = rng.weighted([
    [6, 'GET'],
    [3, 'POST'],
    [1, rng.pick(['HEAD', 'PUT', 'DELETE', 'OPTIONS', 'PATCH'])],
  ]);
  const headers: [string, string][] = [];
  const n = rng.weighted([
    [5, rng.between(0, 3)],
    [2, rng.between(4, 20)],
  ]);
  for (let i = 0; i < n; i++)
    headers.push([`x-${rng.token(rng.between(1, 12))}`, rng.token(rng.between(0, 40))]);
  if (rng.chance(0.3)) headers.push(['user-agent', 'fuzz/1.0']);
  const size =
    method === 'POST' || method === 'PUT'
      ? rng.weighted([
          [5, rng.between(0, 64)],
          [3, rng.between(65, 4096)],
          [1, rng.between(4097, 70_000)],
        ])
      : 0;
  return {
    method,
    path,
    query: rng.chance(0.5) ? `q=${rng.token(rng.between(1, 20))}&n=${rng.below(1000)}` : '',
    headers,
    body: rng.bytes(size),
    chunked: size > 0 && rng.chance(0.3),
    keepConn: rng.chance(0.15),
  };
}

/** A request with a huge number of (tiny) vars or headers. */
export function manyVarsRequest(rng: Rng, path: string): PlainRequest {
  const count = rng.weighted([
    [3, rng.between(100, 800)],
    [2, rng.between(801, 4000)],
    // past a uwsgi packet's 65,535 bytes; 12,000 keeps building one cheap for the client
    [1, rng.between(4001, 12_000)],
  ]);
  const headers: [string, string][] = [];
  for (let i = 0; i < count; i++) headers.push([`x${i.toString(36)}`, rng.chance(0.5) ? '' : 'v']);
  return { method: 'GET', path, query: '', headers, body: Buffer.alloc(0), chunked: false, keepConn: false };
}
