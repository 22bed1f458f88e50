// What a routing run tells the worker to do (the engine decides, the worker acts): how the chain
// ended, what to answer instead of the app, what to change on the app's response, what to log,
// and the typed instructions for everything that needs I/O (a file, a proxy, a transformation).
// One class with a stable shape (STYLE.md rule 6); an instance exists only when rules ran.

/** The return codes of reference §4.2 (uwsgi_apply_routes_do). */
export const RouteCode = {
  /** Go on with the next rule; at the end of the chain: run the request normally. */
  NEXT: 0,
  /** Stop the chain, run the request normally (the app for the request chain). */
  CONTINUE: 1,
  /** Stop the chain and end the request (what was produced is all the client gets). */
  BREAK: 2,
} as const;
export type RouteCode = (typeof RouteCode)[keyof typeof RouteCode];

/** A response produced by routing itself (return, redirect, break:STATUS, basicauth, cache hit, rpc...). */
export interface RoutedResponse {
  readonly status: number;
  /** `404 Not Found`: the status line without the protocol (the worker prefixes the request's). */
  readonly statusLine: string;
  /** In order, as uWSGI writes them; no Content-Length unless listed. */
  readonly headers: readonly (readonly [string, string])[];
  readonly body: string | Uint8Array;
  /** `break:` sends `Connection: close`; the worker must close after it. */
  readonly close: boolean;
}

/**
 * An edit of the app's response headers, as 2.0.21 applies them (recorded: core-headers,
 * core-clearheaders, response-chain, response-clearheaders-disable):
 * - `add` (any chain before the headers are written): appended after the app's own headers, in
 *   rule order, whatever resets happen (uWSGI keeps them in a separate list).
 * - `remove` (request chain): the app's headers of that name (case-insensitive) are dropped as it
 *   sets them; on the response chain it is too late and does nothing.
 * - `reset` (clearheaders/resetheaders, response chain): the status line becomes `statusLine`
 *   and the app's headers are dropped; on the request chain it does nothing (the app sets both
 *   afterwards).
 */
export type HeaderEdit =
  | { readonly op: 'add'; readonly name: string; readonly value: string }
  | { readonly op: 'remove'; readonly name: string }
  | { readonly op: 'reset'; readonly statusLine: string };

/** Offloads: serve a file or proxy the request; each ends the request (the run ends with BREAK). */
export type Offload =
  /**
   * static:PATH, as uWSGI's static file server (recorded: static-actions, static-with-mime,
   * response-xsendfile): `Content-Type` (only when the mime dictionary exists), `Content-Length`,
   * `Last-Modified`; HEAD gets no body. Nothing is sent for a missing file, a directory, or a
   * path refused (2.0.21 refuses a relative path or one through `..` unless under static-safe).
   */
  | { readonly kind: 'static'; readonly path: string }
  /**
   * file/sendfile/fastfile (recorded: static-file-action, static-sendfile-fastfile): `status`, then
   * `Content-Length` (unless !contentLength) and `Content-Type` (text/html unless contentType, or
   * the mime type with mime=1 when a dictionary exists); !headers sends the body alone; a missing
   * file sends nothing.
   */
  | {
      readonly kind: 'file';
      readonly variant: 'file' | 'sendfile' | 'fastfile';
      readonly path: string;
      readonly status: number;
      readonly contentType: string | undefined;
      readonly mime: boolean;
      readonly contentLength: boolean;
      readonly headers: boolean;
    }
  /** http/proxyhttp (HTTP/1.0 to the backend), httpdumb (the request as received), httpconnect. */
  | {
      readonly kind: 'http';
      readonly mode: 'http' | 'dumb' | 'connect';
      readonly address: string;
      readonly host: string | undefined;
      readonly uri: string | undefined;
    }
  /** uwsgi/proxyuwsgi: forward as a uwsgi packet with these modifiers (and UWSGI_APPID when set). */
  | {
      readonly kind: 'uwsgi';
      readonly address: string;
      readonly modifier1: number;
      readonly modifier2: number;
      readonly appId: string | undefined;
    };

/** Response transformations, applied to the app's body in the order the rules added them. */
export type Transform =
  | { readonly kind: 'chunked' | 'gzip' | 'toupper' | 'template' | 'flush' | 'fixcl' | 'forcecl' | 'offload' }
  | { readonly kind: 'tofile'; readonly filename: string; readonly mode: number | undefined }
  | {
      readonly kind: 'cachestore';
      readonly cache: string | undefined;
      readonly key: string;
      readonly expires: number;
      /** Also store a gzipped copy under this key. */
      readonly gzipKey: string | undefined;
      /** Only store responses with this status (default 200). */
      readonly status: number;
    };

/** Side effects with no answer the chain waits for. */
export type Effect =
  | { readonly kind: 'signal'; readonly signal: number }
  | { readonly kind: 'alarm'; readonly alarm: string; readonly message: string }
  | { readonly kind: 'setprocname'; readonly name: string };

export class RouteOutcome {
  /** How the chain ended. */
  code: RouteCode = RouteCode.NEXT;
  /** Answer this instead of running the app (set by return, redirect, basicauth, a cache hit...). */
  response: RoutedResponse | undefined = undefined;
  /** Serve a file or proxy; ends the request. */
  offload: Offload | undefined = undefined;
  /**
   * send/send-crnl bytes (latin1), in order. Request chain: written at once, and the app's status
   * and headers are then never sent (only its body). Response chain: the app's pending headers go
   * out first, then these bytes, then the body (recorded: core-send, response-clearheaders-disable).
   */
  readonly raw: string[] = [];
  /** The request vars after the chain when a rule changed one (a new map: the input is never mutated). */
  vars: Map<string, string> | undefined = undefined;
  readonly headers: HeaderEdit[] = [];
  readonly transforms: Transform[] = [];
  /** Lines for the log (the `log:` action), without the newline. */
  readonly log: string[] = [];
  /** `logvar:` values for the request log (`%(name)` in log-format). */
  readonly logVars: [string, string][] = [];
  readonly effects: Effect[] = [];
  /** donotlog: no request log line. */
  noLog = false;
  /** donotoffload: serve without offload threads. */
  noOffload = false;
  /**
   * disableheaders: the status line and headers count as already sent. Response chain: only the
   * body goes out. Request chain: 2.0.21's WSGI start_response then fails, so nothing is sent.
   */
  headersDisabled = false;
  /** Per-request harakiri in seconds (the `harakiri:` action). */
  harakiri: number | undefined = undefined;
  modifier1: number | undefined = undefined;
  modifier2: number | undefined = undefined;
}
