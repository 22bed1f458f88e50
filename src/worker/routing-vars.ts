// The request vars as the routing rules read them, for a request that came over HTTP: the vars of
// the request line and the client address are read straight from the request, the whole CGI map
// (src/worker/cgi-env.ts) is built only when a rule reads another var, changes one or iterates.
// Why: most rules test PATH_INFO, REQUEST_URI, HTTP_HOST or the method, and building the map
// costs as much as running 20 rules (~1.5-2.5 µs a request on the dev box: bench/routing-rules.mjs).
// uwsgi/FastCGI/SCGI requests carry their vars already: the codec's map is used as it is.

import { decodePath } from './cgi-env.js';
import type { UwsgiRequest } from './request.js';

type Direct = (req: UwsgiRequest) => string;

function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

/** Vars read without the map, with exactly the values httpRequestVars() gives them. */
const DIRECT: Readonly<Record<string, Direct>> = {
  REQUEST_METHOD: (req) => req.method ?? 'GET',
  REQUEST_URI: (req) => req.url ?? '/',
  PATH_INFO: (req) => decodePath(pathOf(req.url ?? '/')),
  QUERY_STRING: (req) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    return q < 0 ? '' : url.slice(q + 1);
  },
  REMOTE_ADDR: (req) => req.socket.remoteAddress ?? '',
  // the route-host subject; several Host lines join with ', ' as in the map
  HTTP_HOST: (req) => {
    const raw = req.rawHeaders;
    let value: string | undefined;
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i] as string;
      if (name.length === 4 && name.toLowerCase() === 'host')
        value = value === undefined ? (raw[i + 1] as string) : `${value}, ${raw[i + 1]}`;
    }
    return value as string;
  },
};

/** A read-only view of an HTTP request's vars that builds the map on first need. */
export class RoutingVars implements ReadonlyMap<string, string> {
  constructor(private readonly req: UwsgiRequest) {}

  private get all(): ReadonlyMap<string, string> {
    return this.req.vars;
  }

  /** undefined for a var the request does not have (no Host header: no HTTP_HOST). */
  get(name: string): string | undefined {
    const direct = DIRECT[name];
    // a map built already (by a rule, the log, a mount) answers for everything
    if (direct !== undefined && !this.req.varsBuilt) return direct(this.req);
    return this.all.get(name);
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  get size(): number {
    return this.all.size;
  }

  forEach(fn: (value: string, key: string, map: ReadonlyMap<string, string>) => void): void {
    for (const [k, v] of this.all) fn(v, k, this);
  }

  entries(): MapIterator<[string, string]> {
    return this.all.entries();
  }

  keys(): MapIterator<string> {
    return this.all.keys();
  }

  values(): MapIterator<string> {
    return this.all.values();
  }

  [Symbol.iterator](): MapIterator<[string, string]> {
    return this.all.entries();
  }
}

/** What the request chain reads: the codec's map, or a view that builds the HTTP one lazily. */
export function routingVars(req: UwsgiRequest): ReadonlyMap<string, string> {
  return req.bridgedHead !== undefined ? req.vars : new RoutingVars(req);
}
