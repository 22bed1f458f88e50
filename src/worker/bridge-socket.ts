// A request that arrived over uwsgi, FastCGI or SCGI, presented to Node's http.Server as if it
// were an HTTP/1.0 connection: the readable side is the request rewritten as HTTP (head from the
// CGI vars, then the body as it streams in), the writable side is the HTTP response the server
// produces, handed to the transport (which may rewrite the status line or frame it in records).
// One bridge socket per request; HTTP/1.0 without keep-alive makes the response close-delimited,
// which is what uwsgi_pass/fastcgi_pass/scgi_pass expect.

import { Duplex } from 'node:stream';
import type { RequestHead } from '../protocol/request-head.js';
import { BRIDGED_HEAD } from './request.js';

export interface BridgeTransport {
  /** Response bytes from the http.Server. */
  write(chunk: Buffer, done: (err?: Error | null) => void): void;
  /** The response is complete. */
  end(): void;
  /** The request was abandoned (client gone, app error after headers). */
  abort(): void;
}

/** Headers that describe the original connection, not the request: never forwarded. */
const HOP_BY_HOP = new Set([
  'HTTP_CONNECTION',
  'HTTP_KEEP_ALIVE',
  'HTTP_TRANSFER_ENCODING',
  'HTTP_CONTENT_LENGTH',
  'HTTP_CONTENT_TYPE',
  'HTTP_UPGRADE',
  'HTTP_PROXY_CONNECTION',
  'HTTP_TE',
]);

function headerName(varName: string): string {
  return varName.slice(5).replaceAll('_', '-').toLowerCase();
}

/** The request as HTTP/1.0 text, from its CGI vars. */
export function requestHeadText(vars: ReadonlyMap<string, string>): string {
  const method = vars.get('REQUEST_METHOD') || 'GET';
  let uri = vars.get('REQUEST_URI');
  if (!uri) {
    const qs = vars.get('QUERY_STRING');
    uri = `${vars.get('SCRIPT_NAME') ?? ''}${vars.get('PATH_INFO') ?? '/'}${qs ? `?${qs}` : ''}`;
  }
  if (!uri.startsWith('/') && !uri.startsWith('http')) uri = `/${uri}`;
  let text = `${method} ${uri} HTTP/1.0\r\n`;
  for (const [key, value] of vars) {
    if (!key.startsWith('HTTP_') || HOP_BY_HOP.has(key)) continue;
    text += `${headerName(key)}: ${value.replace(/[\r\n]/g, ' ')}\r\n`;
  }
  const type = vars.get('CONTENT_TYPE');
  if (type) text += `content-type: ${type}\r\n`;
  const length = vars.get('CONTENT_LENGTH');
  text += `content-length: ${length && /^[0-9]+$/.test(length) ? length : '0'}\r\n\r\n`;
  return text;
}

export class BridgeSocket extends Duplex {
  readonly [BRIDGED_HEAD]: RequestHead;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localPort: number;
  readonly encrypted: boolean;
  private readonly transport: BridgeTransport;
  private readonly wantMore: () => void;

  /** `wantMore` is called when the app reads again after the body filled the buffer (resume the transport). */
  constructor(head: RequestHead, transport: BridgeTransport, wantMore: () => void) {
    super({ allowHalfOpen: true });
    this[BRIDGED_HEAD] = head;
    this.transport = transport;
    this.wantMore = wantMore;
    const vars = head.vars;
    this.remoteAddress = vars.get('REMOTE_ADDR') ?? '';
    this.remotePort = Number(vars.get('REMOTE_PORT') ?? 0);
    this.localPort = Number(vars.get('SERVER_PORT') ?? 0);
    this.encrypted = (vars.get('HTTPS') ?? '').toLowerCase() === 'on';
    // vars are latin1 (every byte kept, as in WSGI): write them back byte for byte
    this.push(Buffer.from(requestHeadText(vars), 'latin1'));
  }

  /** Body bytes from the codec; false when the transport should pause. */
  feed(chunk: Buffer): boolean {
    return this.push(chunk);
  }

  /**
   * The body is complete. Nothing to push: the http parser knows the length from the
   * Content-Length we wrote, and an EOF would make http.Server abort the request (it does not
   * allow half-open connections).
   */
  feedEnd(): void {}

  override _read(): void {
    // data is pushed by the codec as it arrives; the transport socket is paused while we are full
    this.wantMore();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    this.transport.write(chunk, callback);
  }

  /** http.Server writes the head and the body separately: one transport write for both. */
  override _writev(chunks: Array<{ chunk: Buffer }>, callback: (err?: Error | null) => void): void {
    this.transport.write(
      chunks.length === 1 ? (chunks[0]?.chunk ?? Buffer.alloc(0)) : Buffer.concat(chunks.map((c) => c.chunk)),
      callback,
    );
  }

  override _final(callback: (err?: Error | null) => void): void {
    this.transport.end();
    callback();
    // the readable side never ends (see feedEnd), so the socket would never close by itself:
    // close it now, which lets http.Server free its parser and forget the connection
    process.nextTick(() => this.destroy());
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    if (!this.writableFinished) this.transport.abort();
    callback(err);
  }

  // http.Server calls these on its sockets; the transport socket owns the real settings
  setTimeout(): this {
    return this;
  }
  setNoDelay(): this {
    return this;
  }
  setKeepAlive(): this {
    return this;
  }
  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }
}

/**
 * Rewrites the HTTP status line of a response into a CGI `Status:` header (FastCGI and SCGI
 * peers expect CGI responses). Stateful: the status line may be split across writes.
 */
export class StatusLineRewriter {
  private pending: Buffer | undefined;
  private done = false;

  rewrite(chunk: Buffer): Buffer {
    if (this.done) return chunk;
    const data = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    const eol = data.indexOf('\r\n');
    if (eol < 0) {
      this.pending = data;
      return Buffer.alloc(0);
    }
    this.done = true;
    this.pending = undefined;
    const line = data.subarray(0, eol).toString('latin1');
    const m = /^HTTP\/\d\.\d (\d{3}.*)$/.exec(line);
    if (!m) return data;
    return Buffer.concat([Buffer.from(`Status: ${m[1]}`, 'latin1'), data.subarray(eol)]);
  }
}
