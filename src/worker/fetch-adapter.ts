// Runs a fetch-style app (`(request, env) => Response`) on a Node request: a lazy Request (see
// lazy-request.ts), then the Response written back. A body given as a string or bytes is written
// at once with its Content-Length, read from undici's internal state when it is there (on Node 20
// reading it as a stream costs ~13 µs a request); any other body is streamed, each chunk written
// as soon as the app produces it (a server-sent event must not wait for the next one).

import type { IncomingMessage } from 'node:http';
import type { FetchHandler } from './app-loader.js';
import { lazyRequest } from './lazy-request.js';
import { type LightParts, lightParts, OriginalResponse } from './light-response.js';
import { isTakenOver } from './raw-connection.js';
import type { UwsgiRequest, UwsgiResponse } from './request.js';

/** undici keeps a Response's state under Symbol(state); found once, absent on other runtimes. */
const STATE = Reflect.ownKeys(new OriginalResponse('')).find(
  (k): k is symbol => typeof k === 'symbol' && String(k) === 'Symbol(state)',
);

interface UndiciState {
  readonly body?: { readonly source?: unknown } | null;
}

/** The body as given to `new Response(...)`, when it is a string or bytes and still unread. */
function directSource(response: Response): string | Uint8Array | null | undefined {
  if (STATE === undefined || response.bodyUsed) return undefined;
  const state = (response as unknown as Record<symbol, UndiciState | undefined>)[STATE];
  if (!state) return undefined;
  if (state.body === null || state.body === undefined) return null;
  const source = state.body.source;
  return typeof source === 'string' || source instanceof Uint8Array ? source : undefined;
}

/**
 * The key under which a lazy Request keeps its Node request, found once by building one around a
 * probe (lazy-request.ts keeps the symbol private): the app API maps a fetch app's `request` back
 * to the request the worker is serving.
 */
const NODE_REQUEST = ((): symbol | undefined => {
  const probe = {} as IncomingMessage;
  const lazy = lazyRequest(probe, 'http://localhost/') as unknown as Record<symbol, unknown>;
  return Object.getOwnPropertySymbols(lazy).find((k) => lazy[k] === probe);
})();

/** The Node request behind a Request that serveFetch() gave an app; undefined for any other value. */
export function nodeRequestOf(request: unknown): IncomingMessage | undefined {
  if (NODE_REQUEST === undefined || typeof request !== 'object' || request === null) return undefined;
  const source = (request as Record<symbol, unknown>)[NODE_REQUEST];
  return typeof source === 'object' && source !== null ? (source as IncomingMessage) : undefined;
}

export async function serveFetch(
  handler: FetchHandler,
  req: UwsgiRequest,
  res: UwsgiResponse,
): Promise<void> {
  const scheme = req.envContext?.https ? 'https' : 'http';
  const host = req.headers.host ?? req.envContext?.serverName ?? 'localhost';
  const response = await handler(lazyRequest(req, `${scheme}://${host}${req.url ?? '/'}`), req.lazyEnv());
  // the request became a WebSocket (websocketHandshake()): its connection is not HTTP any more
  if (isTakenOver(res)) return;
  const light = lightParts(response);
  if (light !== undefined) {
    writeLight(light, req, res);
    return;
  }
  if (!(response instanceof OriginalResponse))
    throw new TypeError('the fetch handler did not return a Response');
  res.statusCode = response.status;
  if (response.statusText) res.statusMessage = response.statusText;
  let cookies = false;
  for (const [name, value] of response.headers) {
    if (name === 'set-cookie') cookies = true;
    else res.setHeader(name, value);
  }
  if (cookies) res.setHeader('set-cookie', response.headers.getSetCookie());
  const head = req.method === 'HEAD';
  const direct = directSource(response);
  if (direct !== undefined) {
    if (direct === null) {
      res.end();
      return;
    }
    if (!res.hasHeader('content-length')) res.setHeader('content-length', Buffer.byteLength(direct));
    if (head) res.end();
    else res.end(direct);
    return;
  }
  const body = response.body;
  if (body === null || head) {
    if (body) await body.cancel();
    res.end();
    return;
  }
  const reader = body.getReader();
  const first = await reader.read();
  if (first.done) {
    res.end();
    return;
  }
  // a body that is already complete (one piece) goes out with its length; one still being
  // produced (server-sent events, a slow generator) goes out chunk by chunk as it comes, the
  // first one at once: the next read is given until the end of this event-loop turn
  const pending = reader.read();
  const second = await Promise.race([pending, endOfTurn()]);
  if (second !== NOT_YET && second.done) {
    if (!res.hasHeader('content-length')) res.setHeader('content-length', first.value.byteLength);
    res.end(first.value);
    return;
  }
  if (!res.write(first.value)) await drained(res);
  let next = second === NOT_YET ? await pending : second;
  while (!next.done) {
    if (res.destroyed) {
      await reader.cancel();
      return;
    }
    if (!res.write(next.value)) await drained(res);
    next = await reader.read();
  }
  res.end();
}

/** A light Response the app never touched: its arguments, written as they are. */
function writeLight(light: LightParts, req: UwsgiRequest, res: UwsgiResponse): void {
  res.statusCode = light.status;
  if (light.statusText) res.statusMessage = light.statusText;
  const headers = light.headers;
  if (headers !== undefined) {
    if (headers instanceof Headers) {
      let cookies = false;
      for (const [name, value] of headers) {
        if (name === 'set-cookie') cookies = true;
        else res.setHeader(name, value);
      }
      if (cookies) res.setHeader('set-cookie', headers.getSetCookie());
    } else if (Array.isArray(headers)) {
      for (const [name, value] of headers as [string, string][]) res.appendHeader(name, value);
    } else {
      for (const name in headers) res.setHeader(name, (headers as Record<string, string>)[name] as string);
    }
  }
  const body = light.body;
  if (body === null) {
    res.end();
    return;
  }
  if (typeof body === 'string' && !res.hasHeader('content-type'))
    res.setHeader('content-type', 'text/plain;charset=UTF-8');
  if (!res.hasHeader('content-length')) res.setHeader('content-length', Buffer.byteLength(body));
  if (req.method === 'HEAD') res.end();
  else res.end(body);
}

const NOT_YET = Symbol('not yet');

/** Resolves after the I/O of this event-loop turn (setImmediate), when a ready stream has answered. */
function endOfTurn(): Promise<typeof NOT_YET> {
  return new Promise((resolve) => setImmediate(resolve, NOT_YET));
}

/** Resolves when the response can take more, or is gone. */
function drained(res: UwsgiResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
