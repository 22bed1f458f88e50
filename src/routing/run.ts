// The state of one chain run for one request: the vars as the rules change them (copied on the
// first write, so the caller's map is never touched), the captures `$0..$9` of the rule that
// matched, a pending goto, and the outcome being built.

import type { RoutingHost } from './host.js';
import { RouteOutcome } from './outcome.js';

/** The request as the engine sees it (built by the worker; see src/worker/cgi-env.ts for the vars). */
export interface RouteRequest {
  /** The request's CGI vars: REQUEST_METHOD, PATH_INFO, QUERY_STRING, REQUEST_URI, HTTP_*, ... */
  readonly vars: ReadonlyMap<string, string>;
  /** The response status so far (response/error/final chains); default 500, what uWSGI's request chain sees. */
  readonly status?: number;
  /** Start of the request in µs since the epoch (${uwsgi[sor]}, ${uwsgi[rtime]}). */
  readonly startMicros: number;
  /** Response body bytes so far (${uwsgi[rsize]}). */
  readonly responseSize?: number;
}

const NO_CAPTURES: readonly (string | undefined)[] = Object.freeze([]);

export class RouteRun {
  readonly outcome = new RouteOutcome();
  readonly host: RoutingHost;
  readonly request: RouteRequest;
  readonly status: number;
  /** `$0..$9` of the current rule (its regexp, or a `regexp:` condition). */
  captures: readonly (string | undefined)[] = NO_CAPTURES;
  /** A `goto` asked for this rule index (reference §4.2). */
  gotoTarget = 0;
  gotoPending = false;
  private vars: ReadonlyMap<string, string>;
  private copied = false;

  constructor(request: RouteRequest, host: RoutingHost) {
    this.request = request;
    this.host = host;
    this.vars = request.vars;
    this.status = request.status ?? 500;
  }

  /** A request var; missing is empty, as in uWSGI's translation. */
  get(name: string): string {
    return this.vars.get(name) ?? '';
  }

  has(name: string): boolean {
    return this.vars.has(name);
  }

  set(name: string, value: string): void {
    if (!this.copied) {
      const copy = new Map(this.vars);
      this.vars = copy;
      this.copied = true;
      this.outcome.vars = copy;
    }
    (this.vars as Map<string, string>).set(name, value);
  }

  goto(target: number): void {
    this.gotoTarget = target;
    this.gotoPending = true;
  }

  resetCaptures(): void {
    this.captures = NO_CAPTURES;
  }
}
