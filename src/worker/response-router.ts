// The routing rules' side of an app's response (reference §4.1, §4.4): attached to a response
// (UwsgiResponse.routing) only when rules act on it, it takes the app's head when the app writes
// it, applies the request chain's header edits, runs the error and response chains (with the
// collect-header vars), then lets the body out as the outcome says: as it is, through the
// transformations, dropped, replaced by an offload or a routed response, or raw on the connection.
// A chain that suspends (a stat, an RPC) holds the app's writes until it is done.

import type { Writable } from 'node:stream';
import { Writable as WritableStream } from 'node:stream';
import { RouteCode, type RouteOutcome, type Transform } from '../routing/outcome.js';
import { RoutingProgram } from '../routing/program.js';
import { passEnd, passWrite, type ResponseHook, type UwsgiRequest, type UwsgiResponse } from './request.js';
import type { RequestRouter } from './request-router.js';
import {
  clearHeaders,
  closeConnection,
  connectionOf,
  drained,
  parseStatusLine,
  sendRouted,
  setHeaders,
  writeHeadExact,
  writeRaw,
} from './routing-output.js';
import { connectStages, transformHead, transformStages } from './routing-transforms.js';

/** Waiting for the app's head. */
const HEAD = 0;
/** A chain is running: the app's writes wait in the queue. */
const PENDING = 1;
/** The head is out: the body goes out as the app writes it. */
const PASS = 2;
/** The head is decided: the body goes through the transformations. */
const PIPE = 3;
/** The head is out, the body is dropped (BREAK on the response chain); the app's end ends it. */
const DROP = 4;
/** The rules answered instead (offload, return, error BREAK): the app's writes vanish. */
const SWALLOW = 5;
/** No head (send on the request chain, disableheaders): the body goes onto the connection. */
const RAW = 6;

interface Queued {
  readonly end: boolean;
  readonly chunk: unknown;
  readonly encoding: unknown;
  readonly callback: unknown;
}

type Callback = (err?: Error | null) => void;

function bytesOf(chunk: unknown, encoding: unknown): Buffer | undefined {
  if (typeof chunk === 'string')
    return Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  return undefined;
}

function callbackOf(encoding: unknown, callback: unknown): Callback | undefined {
  if (typeof callback === 'function') return callback as Callback;
  if (typeof encoding === 'function') return encoding as Callback;
  return undefined;
}

/** Node's writeHead(status[, reason][, headers]) applied to the response's own header map. */
function applyHeadArgs(res: UwsgiResponse, args: readonly unknown[]): void {
  const [status, second, third] = args;
  if (typeof status === 'number') res.statusCode = status;
  let headers = third;
  if (typeof second === 'string') res.statusMessage = second;
  else if (second !== undefined && headers === undefined) headers = second;
  if (Array.isArray(headers)) {
    const pairs: [string, unknown][] = Array.isArray(headers[0])
      ? (headers as [string, unknown][])
      : Array.from({ length: headers.length >> 1 }, (_, i) => [String(headers[2 * i]), headers[2 * i + 1]]);
    // as Node: the list replaces same-name headers set before, duplicates in it are kept
    for (const [name] of pairs) res.removeHeader(name);
    for (const [name, value] of pairs) res.appendHeader(name, value as string);
  } else if (headers !== null && typeof headers === 'object') {
    for (const [name, value] of Object.entries(headers)) {
      if (value !== undefined) res.setHeader(name, value as string);
    }
  }
}

/** Node's implicit Content-Length for `end(body)` without a head: a body it can count. */
function implicitLength(req: UwsgiRequest, res: UwsgiResponse, body: Buffer | undefined): void {
  if (body === undefined || req.method === 'HEAD') return;
  const s = res.statusCode;
  if (s === 204 || s === 304 || (s >= 100 && s < 200)) return;
  if (res.hasHeader('content-length') || res.hasHeader('transfer-encoding')) return;
  res.setHeader('Content-Length', body.length);
}

export class ResponseRouter implements ResponseHook {
  private mode: number;
  private queue: Queued[] = [];
  /** addheader of every chain so far: after the app's headers, in rule order (flat list). */
  private readonly adds: string[] = [];
  /** delheader/remheader of the request chain: the app's headers of these names are dropped. */
  private readonly removes: string[] = [];
  private readonly transforms: Transform[] = [];
  private dropBody = false;
  private entry: Writable | undefined = undefined;

  constructor(
    private readonly router: RequestRouter,
    private readonly req: UwsgiRequest,
    request: RouteOutcome | undefined,
    raw: boolean,
  ) {
    this.mode = raw ? RAW : HEAD;
    if (request !== undefined) {
      this.edits(request, true);
      this.transforms.push(...request.transforms);
    }
  }

  writeHead(res: UwsgiResponse, args: readonly unknown[]): void {
    // RAW: the app's status and headers are never sent; later calls: the head is decided
    if (this.mode !== HEAD) return;
    applyHeadArgs(res, args);
    this.mode = PENDING;
    this.guard(res, () => this.errorChain(res));
  }

  write(res: UwsgiResponse, chunk: unknown, encoding: unknown, callback: unknown): boolean {
    const cb = callbackOf(encoding, callback);
    switch (this.mode) {
      case HEAD:
        this.writeHead(res, [res.statusCode]);
        return this.write(res, chunk, encoding, callback);
      case PENDING:
        this.queue.push({ end: false, chunk, encoding, callback });
        return true;
      case PASS:
        return passWrite(res, bytesOf(chunk, encoding) ?? Buffer.alloc(0), cb);
      case PIPE: {
        const entry = this.entry as Writable;
        if (entry.write(bytesOf(chunk, encoding) ?? Buffer.alloc(0), cb)) return true;
        // an app that waits for the response's 'drain' hears the transformations' one
        entry.once('drain', () => res.emit('drain'));
        return false;
      }
      case RAW: {
        const socket = connectionOf(this.req);
        const bytes = bytesOf(chunk, encoding);
        if (bytes === undefined || !socket.writable) {
          if (cb) process.nextTick(cb);
          return true;
        }
        return socket.write(bytes, cb);
      }
      default:
        if (cb) process.nextTick(cb);
        return true;
    }
  }

  end(res: UwsgiResponse, chunk: unknown, encoding: unknown, callback: unknown): void {
    const body = typeof chunk === 'function' ? undefined : bytesOf(chunk, encoding);
    const cb = typeof chunk === 'function' ? (chunk as Callback) : callbackOf(encoding, callback);
    switch (this.mode) {
      case HEAD:
        implicitLength(this.req, res, body);
        this.writeHead(res, [res.statusCode]);
        this.end(res, chunk, encoding, callback);
        return;
      case PENDING:
        this.queue.push({ end: true, chunk, encoding, callback });
        return;
      case PASS:
        passEnd(res, body, cb);
        return;
      case PIPE:
        if (body === undefined) (this.entry as Writable).end(cb);
        else (this.entry as Writable).end(body, cb);
        return;
      case DROP:
        passEnd(res, undefined, cb);
        return;
      case RAW:
        closeConnection(this.req, body);
        if (cb) process.nextTick(cb);
        return;
      default:
        if (cb) process.nextTick(cb);
    }
  }

  /** The app's writes that waited for a chain, replayed in the mode the chains decided. */
  private replay(res: UwsgiResponse): void {
    const queued = this.queue;
    this.queue = [];
    for (const q of queued) {
      if (q.end) this.end(res, q.chunk, q.encoding, q.callback);
      else this.write(res, q.chunk, q.encoding, q.callback);
    }
  }

  /** A failure of our own (never the app's): a log line, and the connection goes. */
  private guard(res: UwsgiResponse, step: () => void): void {
    try {
      step();
    } catch (err) {
      this.router.log(
        `[uwsgi-route] response routing failed: ${err instanceof Error ? err.stack : String(err)}\n`,
      );
      this.mode = SWALLOW;
      this.queue = [];
      res.destroy();
    }
  }

  /** Runs `chain` and continues with `next`, now or when the chain's I/O is done. */
  private chain(
    res: UwsgiResponse,
    name: 'error' | 'response',
    vars: ReadonlyMap<string, string>,
    next: (o: RouteOutcome) => void,
  ): void {
    const out = this.router.runChain(name, this.req, vars, res.statusCode, res.bodyBytes);
    if (out instanceof Promise)
      out.then(
        (o) => this.guard(res, () => next(o)),
        (err: unknown) =>
          this.guard(res, () => {
            throw err;
          }),
      );
    else next(out);
  }

  /** Header edits of a chain; `request`: the request chain's (removes act, resets do not). */
  private edits(o: RouteOutcome, request: boolean, res?: UwsgiResponse): void {
    for (const e of o.headers) {
      if (e.op === 'add') this.adds.push(e.name, e.value);
      else if (e.op === 'remove') {
        // on the response side the app's headers are already set: 2.0.21 ignores it there
        if (request) this.removes.push(e.name);
      } else if (!request && res !== undefined) {
        const [status, reason] = parseStatusLine(e.statusLine);
        res.statusCode = status;
        res.statusMessage = reason ?? '';
        clearHeaders(res);
      }
    }
  }

  /** The error chain: run each time a status line is prepared, whatever the status. */
  private errorChain(res: UwsgiResponse): void {
    for (const name of this.removes) res.removeHeader(name);
    if (!this.router.hasErrorChain) {
      this.responseChain(res);
      return;
    }
    this.chain(res, 'error', this.req.vars, (o) => {
      this.router.apply(o, this.req, res);
      this.edits(o, false, res);
      if (o.code === RouteCode.BREAK) {
        // 2.0.21 drops the head and body: the client gets the head's last CRLF, then the close
        // (recorded: error-chain)
        this.mode = SWALLOW;
        closeConnection(this.req, '\r\n');
        this.replay(res);
        return;
      }
      this.responseChain(res);
    });
  }

  /** collect-header/pull-header, then the response chain. */
  private responseChain(res: UwsgiResponse): void {
    const r = this.router;
    let vars: ReadonlyMap<string, string> = this.req.vars;
    if (r.collect.length > 0 || r.pull.length > 0) {
      const copy = new Map(vars);
      for (const { header, name } of r.collect) {
        const value = res.getHeader(header);
        if (value !== undefined) copy.set(name, Array.isArray(value) ? value.join(', ') : String(value));
      }
      for (const { header, name } of r.pull) {
        const value = res.getHeader(header);
        if (value === undefined) continue;
        copy.set(name, Array.isArray(value) ? value.join(', ') : String(value));
        res.removeHeader(header);
      }
      vars = copy;
    }
    if (!r.hasResponseChain) {
      this.head(res, undefined);
      return;
    }
    this.chain(res, 'response', vars, (o) => this.afterResponse(res, o, vars));
  }

  private afterResponse(res: UwsgiResponse, o: RouteOutcome, vars: ReadonlyMap<string, string>): void {
    const r = this.router;
    r.apply(o, this.req, res);
    if (o.offload !== undefined) {
      // the file or the backend replaces the app's response (the X-Sendfile emulation)
      this.mode = SWALLOW;
      this.replay(res);
      r.offload(o.offload, this.req, res, o.vars ?? vars, () => this.headOnly(res));
      return;
    }
    if (o.response !== undefined) {
      this.mode = SWALLOW;
      this.replay(res);
      sendRouted(this.req, res, o.response, r.log);
      return;
    }
    this.edits(o, false, res);
    this.transforms.push(...o.transforms);
    if (o.headersDisabled) {
      // the head counts as sent: raw bytes, then the body, on the connection
      if (o.raw.length > 0) writeRaw(this.req, o.raw.join(''));
      this.mode = RAW;
      this.replay(res);
      return;
    }
    if (o.code === RouteCode.BREAK) this.dropBody = true;
    this.head(res, o.raw.length > 0 ? o.raw.join('') : undefined);
  }

  /** The app's head (an offload found no file): the head goes, with no body. */
  private headOnly(res: UwsgiResponse): void {
    res.shouldKeepAlive = false;
    if (
      writeHeadExact(res, res.statusCode, res.statusMessage || undefined, this.headers(res), this.router.log)
    )
      passEnd(res);
  }

  /** The app's headers, then every added one. */
  private headers(res: UwsgiResponse): string[] {
    const flat = setHeaders(res);
    for (const v of this.adds) flat.push(v);
    return flat;
  }

  /** Sends (or, for a buffered transformation, prepares) the head and opens the body's way. */
  private head(res: UwsgiResponse, raw: string | undefined): void {
    const log = this.router.log;
    const status = res.statusCode;
    const reason = res.statusMessage || undefined;
    let flat = this.headers(res);
    if (this.dropBody) {
      // the announced length will not come: the connection closes after the head
      res.shouldKeepAlive = false;
      this.mode = writeHeadExact(res, status, reason, flat, log) ? DROP : SWALLOW;
      this.replay(res);
      return;
    }
    let buffer = false;
    if (this.transforms.length > 0) {
      const head = transformHead(this.transforms, flat);
      flat = head.headers;
      buffer = head.buffer;
      const request = { vars: this.req.vars, status, startMicros: this.router.startOf(this.req) };
      const stages = transformStages(this.transforms, {
        expand: (text) => RoutingProgram.expand(text, request, this.router.host),
        store: (t, body) => this.router.cacheStore(t, status, body),
        log,
      });
      this.entry = connectStages(stages, this.sink(res, status, reason, flat, buffer), (err) => {
        log(`[uwsgi-route] transformation failed: ${err.message}\n`);
        res.destroy();
      });
    }
    if (!buffer) {
      if (!writeHeadExact(res, status, reason, flat, log)) {
        this.mode = SWALLOW;
        this.queue = [];
        return;
      }
      if (raw !== undefined) {
        // send on the response chain: after the app's head, before its body; the body's length
        // no longer frames the response
        res.shouldKeepAlive = false;
        res.flushHeaders();
        writeRaw(this.req, raw);
      }
    }
    this.mode = this.entry === undefined ? PASS : PIPE;
    this.replay(res);
  }

  /** Where the transformed body goes: the response, or a buffer that learns its length first. */
  private sink(
    res: UwsgiResponse,
    status: number,
    reason: string | undefined,
    flat: readonly string[],
    buffer: boolean,
  ): Writable {
    const log = this.router.log;
    const parts: Buffer[] = [];
    return new WritableStream({
      write(chunk: Buffer, _enc, cb) {
        if (buffer) {
          parts.push(chunk);
          cb();
        } else if (passWrite(res, chunk)) cb();
        else drained(res).then(() => cb());
      },
      final(cb) {
        if (buffer) {
          const body = Buffer.concat(parts);
          if (writeHeadExact(res, status, reason, [...flat, 'Content-Length', String(body.length)], log))
            passEnd(res, body);
        } else passEnd(res);
        cb();
      },
    });
  }
}
