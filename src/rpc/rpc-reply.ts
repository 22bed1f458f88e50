// Sans-I/O codec for RPC replies (reference §1.5): `[173, size, 0] + result` when the result fits
// in a u16, else `[173, dictsize, 5] + vars{CONTENT_LENGTH: N} + N bytes` (uWSGI 1.9.x "64bit
// return values", observed on 2.0.21 from 65,536 bytes up). The large form is laid out like a
// uwsgi request (header, vars, CONTENT_LENGTH body), so the request parser reads it.

import type { ProtocolError } from '../protocol/request-head.js';
import { encodeUwsgiPacket, encodeUwsgiVars, UwsgiRequestParser } from '../protocol/uwsgi.js';

export const RPC_MODIFIER1 = 173;

/** modifier2 of RPC requests and replies (reference §1.4); anything else is served as RAW. */
export const RPC_MODIFIER2 = {
  /** request: array, reply: header + result */
  NORMAL: 0,
  /** request: array, reply: the result bytes alone */
  RAW: 1,
  /** request: vars, PATH_INFO = /func/arg1/arg2; reply: HTTP */
  HTTP: 2,
  /** request: vars + XML-RPC body; reply: HTTP + XML */
  XMLRPC: 3,
  /** reply only: a result of more than 65535 bytes */
  LARGE: 5,
} as const;

/**
 * The reply to a NORMAL request. An empty result is `ad 0000 00`: uWSGI itself closes without a
 * reply (its clients read that as "no result"), which a uwsgi-ts client could not tell from a
 * failure; uWSGI's client reads the empty header as "no result" too (observed: Python gets None).
 *
 * @example
 * encodeRpcReply(Buffer.from('hello a,b')); // [<ad 09 00 00 'hello a,b'>]
 */
export function encodeRpcReply(result: Buffer): Buffer[] {
  if (result.length <= 0xffff) return [encodeUwsgiPacket(RPC_MODIFIER1, RPC_MODIFIER2.NORMAL, result)];
  const vars = encodeUwsgiVars([['CONTENT_LENGTH', String(result.length)]]);
  return [encodeUwsgiPacket(RPC_MODIFIER1, RPC_MODIFIER2.LARGE, vars), result];
}

export interface RpcReplyEvents {
  /** The whole result; fires once. */
  onReply(result: Buffer): void;
  /** The reply is malformed or cut short; final. */
  onError(err: ProtocolError): void;
}

const HEADER = 0;
const BODY = 1;
const LARGE = 2;
const DONE = 3;

/**
 * Reads one RPC reply. As uWSGI's client does (observed), the header's modifier1 is not checked
 * and any modifier2 but 5 means "size bytes follow"; the reply is complete once they have arrived,
 * whether or not the peer closes. A peer that closes first sent no (or half a) reply.
 *
 * @example
 * const parser = new RpcReplyParser({ onReply: resolve, onError: reject });
 * socket.on('data', (chunk) => parser.push(chunk));
 * socket.on('end', () => parser.end());
 */
export class RpcReplyParser {
  private state: typeof HEADER | typeof BODY | typeof LARGE | typeof DONE = HEADER;
  private header = Buffer.alloc(4);
  private headerHave = 0;
  private readonly chunks: Buffer[] = [];
  private left = 0;
  private large: UwsgiRequestParser | undefined;

  constructor(private readonly events: RpcReplyEvents) {}

  push(chunk: Buffer): void {
    let off = 0;
    if (this.state === HEADER) {
      const n = Math.min(4 - this.headerHave, chunk.length);
      chunk.copy(this.header, this.headerHave, 0, n);
      this.headerHave += n;
      off = n;
      if (this.headerHave < 4) return;
      if (this.header[3] === RPC_MODIFIER2.LARGE) this.startLarge();
      else {
        this.state = BODY;
        this.left = this.header.readUInt16LE(1);
        if (this.left === 0) {
          this.finish(Buffer.alloc(0));
          return;
        }
      }
    }
    if (off === chunk.length) return;
    const rest = off === 0 ? chunk : chunk.subarray(off);
    if (this.state === LARGE) this.large?.push(rest);
    else if (this.state === BODY) this.body(rest);
  }

  /** The peer closed: an error unless the reply was complete. */
  end(): void {
    if (this.state === DONE) return;
    if (this.state === LARGE) {
      this.large?.end();
      if (this.state !== LARGE) return;
    }
    const what =
      this.state === HEADER && this.headerHave === 0
        ? 'without a reply'
        : this.state === HEADER
          ? `after ${this.headerHave} of 4 reply header bytes`
          : `with ${this.left} reply bytes still expected`;
    this.fail({ code: 'ERR_PROTOCOL_TRUNCATED', message: `the rpc peer closed the connection ${what}` });
  }

  private body(bytes: Buffer): void {
    const take = Math.min(this.left, bytes.length);
    this.chunks.push(take === bytes.length ? bytes : bytes.subarray(0, take));
    this.left -= take;
    // bytes past the reply are ignored: the connection carries one call
    if (this.left === 0) this.finish(this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks));
  }

  private startLarge(): void {
    this.state = LARGE;
    const chunks = this.chunks;
    let expected = -1;
    const parser = new UwsgiRequestParser(
      {
        onHead: (head) => {
          expected = Number(head.vars.get('CONTENT_LENGTH') ?? 0);
        },
        onBody: (piece) => {
          chunks.push(piece);
        },
        onBodyEnd: () => {
          // the parser goes on to a next "request": stop it reporting anything after this one
          this.large = undefined;
          this.finish(Buffer.concat(chunks, expected));
        },
        onError: (err) => this.fail(err),
      },
      { bufferSize: 0xffff },
    );
    this.large = parser;
    parser.push(this.header);
  }

  private finish(result: Buffer): void {
    this.state = DONE;
    this.events.onReply(result);
  }

  private fail(err: ProtocolError): void {
    if (this.state === DONE) return;
    this.state = DONE;
    this.events.onError(err);
  }
}
