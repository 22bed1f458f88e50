// The request and response classes every http.Server of a worker creates (Node lets a server
// use subclasses): they carry the CGI vars (`req.env`, built on first use), the mountpoint, the
// start time and the body byte count the request log needs.

import { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHead } from '../protocol/request-head.js';
import { type HttpEnvContext, httpRequestVars } from './cgi-env.js';

export class UwsgiRequest extends IncomingMessage {
  startMs = 0;
  startPerf = 0;
  mountpoint = '';
  appId = -1;
  /** Which handler serves it (src/worker/modifier-table.ts): the packet's, the socket's, or setmodifier1's. */
  modifier1 = 0;
  /** The app threw or rejected while serving it (reload-on-exception). */
  failed = false;
  /** Set by the dispatcher before the app sees the request. */
  envContext: HttpEnvContext | undefined;
  /** Set when the dispatcher watches this request's end (request log, concurrency bound). */
  dispatcher: { finished(req: UwsgiRequest, res: UwsgiResponse): void } | undefined;
  /** `logvar:` values of the routing rules (`%(name)` in log-format); undefined when none. */
  logVars: Map<string, string> | undefined;
  /** `donotlog:`: a routing rule asked for no request log line. */
  noLog = false;
  /** When the routing rules first saw the request, µs since the epoch (${uwsgi[sor]}); 0 without rules. */
  routedAt = 0;
  /**
   * The request's head as the codec produced it, when it came over uwsgi/FastCGI/SCGI (set by
   * exchange.ts). An own field, not a getter: a framework that swaps the request's prototype
   * (Express) keeps it.
   */
  bridgedHead: RequestHead | undefined = undefined;
  /**
   * Bytes the client sent after the head of an upgrade request (http.Server's 'upgrade' event),
   * set when such a request is served as a plain one (src/worker/upgrades.ts): its socket then
   * belongs to no HTTP parser and can be taken over raw (src/worker/raw-connection.ts).
   */
  upgradeHead: Buffer | undefined = undefined;
  #vars: Map<string, string> | undefined;
  #env: Record<string, string> | undefined;

  /**
   * Whether the vars have been built (or came with the request): the request log counts them
   * then. Static, like `varsOf`: they work on a request whose prototype a framework swapped
   * (Express), where the getters below are gone.
   */
  static varsBuilt(req: UwsgiRequest): boolean {
    return req.#vars !== undefined || req.bridgedHead !== undefined;
  }

  /** The request is one of this class's (its prototype may have been swapped since). */
  static owns(req: object): req is UwsgiRequest {
    return #vars in req;
  }

  /** All CGI vars as received (before the mountpoint is applied). */
  static varsOf(req: UwsgiRequest): Map<string, string> {
    if (req.#vars) return req.#vars;
    const head = req.bridgedHead;
    req.#vars = head ? head.vars : httpRequestVars(req, req.envContext ?? { serverName: '', https: false });
    return req.#vars;
  }

  /** Whether `vars` has been built (or came with the request). */
  get varsBuilt(): boolean {
    return UwsgiRequest.varsBuilt(this);
  }

  /** All CGI vars as received (before the mountpoint is applied). */
  get vars(): Map<string, string> {
    return UwsgiRequest.varsOf(this);
  }

  /**
   * The vars as the routing rules left them (src/worker/request-router.ts): what the app, the
   * later chains and the request log see from now on.
   */
  replaceVars(vars: Map<string, string>): void {
    this.#vars = vars;
    this.#env = undefined;
  }

  /**
   * The same vars as an object that is only built when the app first looks at it (a fetch
   * handler's `env` is often never read; building it costs as much as a small response).
   */
  lazyEnv(): Record<string, string> {
    if (this.#env) return this.#env;
    const target: Record<string, string> = {};
    const materialize = () => this.env;
    return new Proxy(target, {
      get: (_t, key) => (typeof key === 'string' ? materialize()[key] : undefined),
      has: (_t, key) => typeof key === 'string' && key in materialize(),
      ownKeys: () => Reflect.ownKeys(materialize()),
      getOwnPropertyDescriptor: (_t, key) => {
        const value = typeof key === 'string' ? materialize()[key] : undefined;
        return value === undefined
          ? undefined
          : { value, writable: true, enumerable: true, configurable: true };
      },
      set: (_t, key, value) => {
        if (typeof key === 'string') materialize()[key] = String(value);
        return true;
      },
    });
  }

  /** CGI vars for the app, as a WSGI app gets `environ`: SCRIPT_NAME/PATH_INFO follow the mountpoint. */
  get env(): Record<string, string> {
    return UwsgiRequest.envOf(this);
  }

  /** `env`, static: it works on a request whose prototype a framework swapped. */
  static envOf(req: UwsgiRequest): Record<string, string> {
    if (req.#env) return req.#env;
    const env = Object.fromEntries(UwsgiRequest.varsOf(req)) as Record<string, string>;
    if (req.mountpoint !== '') {
      env['SCRIPT_NAME'] = req.mountpoint;
      env['PATH_INFO'] = (env['PATH_INFO'] ?? '').slice(req.mountpoint.length);
    }
    req.#env = env;
    return env;
  }
}

/**
 * `req.env` and `req.vars` for apps whose framework swaps the request's prototype: Express 5 sets
 * every request's prototype to its `app.request`, built on IncomingMessage.prototype, and the
 * getters of UwsgiRequest go with the old one. The same two accessors on IncomingMessage.prototype
 * (in workers only) reach the request's vars again; on any other IncomingMessage (an http client's
 * response) they are undefined, and an assignment makes an own property, as it would without them.
 */
export function installRequestAccessors(): void {
  const accessors = {
    env: (req: UwsgiRequest) => UwsgiRequest.envOf(req),
    vars: (req: UwsgiRequest) => UwsgiRequest.varsOf(req),
  };
  for (const [name, read] of Object.entries(accessors)) {
    if (Object.getOwnPropertyDescriptor(IncomingMessage.prototype, name)) continue;
    Object.defineProperty(IncomingMessage.prototype, name, {
      configurable: true,
      get(this: object) {
        return UwsgiRequest.owns(this) ? read(this) : undefined;
      },
      set(this: object, value: unknown) {
        Object.defineProperty(this, name, { value, writable: true, enumerable: true, configurable: true });
      },
    });
  }
}

/**
 * Takes over an app's response while routing rules act on it (src/worker/response-router.ts): the
 * head, then the body, reach it instead of the socket.
 */
export interface ResponseHook {
  writeHead(res: UwsgiResponse, args: readonly unknown[]): void;
  write(res: UwsgiResponse, chunk: unknown, encoding: unknown, callback: unknown): boolean;
  end(res: UwsgiResponse, chunk: unknown, encoding: unknown, callback: unknown): void;
}

/**
 * The response class when the request log, stats or routing are on: it counts body bytes
 * ("generated N bytes") and lets a routing hook take the response over. The hooks are own
 * properties set by the constructor, not methods: Express 5 swaps every response's prototype for
 * its app.response (built on Node's ServerResponse), and an own property survives that.
 */
export class UwsgiResponse extends ServerResponse<UwsgiRequest> {
  bodyBytes = 0;
  /** Set by routing for a response its rules act on; one comparison otherwise. */
  routing: ResponseHook | undefined = undefined;

  // http.Server also passes its options (highWaterMark, rejectNonStandardBodyWrites), which
  // @types/node 20 does not declare: passed on as they came
  constructor(...args: [UwsgiRequest]) {
    super(...args);
    const own = this as unknown as Record<'writeHead' | 'write' | 'end', unknown>;
    own.writeHead = hookedWriteHead;
    own.write = countedWrite;
    own.end = countedEnd;
  }
}

const nodeWriteHead = ServerResponse.prototype.writeHead as (
  this: ServerResponse,
  ...a: unknown[]
) => unknown;
const nodeWrite = ServerResponse.prototype.write as (this: ServerResponse, ...a: unknown[]) => boolean;
const nodeEnd = ServerResponse.prototype.end as (this: ServerResponse, ...a: unknown[]) => unknown;

// Node's implicit head (first write, end) also comes through writeHead
function hookedWriteHead(this: UwsgiResponse, ...args: unknown[]): UwsgiResponse {
  const hook = this.routing;
  if (hook !== undefined) {
    hook.writeHead(this, args);
    return this;
  }
  nodeWriteHead.apply(this, args);
  return this;
}

function countedWrite(this: UwsgiResponse, chunk: unknown, encoding?: unknown, callback?: unknown): boolean {
  this.bodyBytes += byteLength(chunk, encoding);
  const hook = this.routing;
  if (hook !== undefined) return hook.write(this, chunk, encoding, callback);
  return nodeWrite.call(this, chunk, encoding, callback);
}

function countedEnd(
  this: UwsgiResponse,
  chunk?: unknown,
  encoding?: unknown,
  callback?: unknown,
): UwsgiResponse {
  if (typeof chunk !== 'function') this.bodyBytes += byteLength(chunk, encoding);
  const hook = this.routing;
  if (hook !== undefined) {
    hook.end(this, chunk, encoding, callback);
    return this;
  }
  nodeEnd.call(this, chunk, encoding, callback);
  return this;
}

/** Node's own writeHead, for the routing hook (no byte counting, no hook). */
export function passWriteHead(
  res: UwsgiResponse,
  status: number,
  reason: string | undefined,
  headers: readonly string[],
): void {
  nodeWriteHead.call(res, status, reason, headers);
}

/** Node's own write, for the routing hook. */
export function passWrite(
  res: UwsgiResponse,
  chunk: Uint8Array | string,
  callback?: (err?: Error | null) => void,
): boolean {
  return nodeWrite.call(res, chunk, callback);
}

/** Node's own end, for the routing hook. */
export function passEnd(res: UwsgiResponse, chunk?: Uint8Array | string, callback?: () => void): void {
  if (chunk === undefined) nodeEnd.call(res, callback);
  else nodeEnd.call(res, chunk, callback);
}

function byteLength(chunk: unknown, encoding: unknown): number {
  if (typeof chunk === 'string')
    return Buffer.byteLength(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
  if (chunk instanceof Uint8Array) return chunk.byteLength;
  return 0;
}
