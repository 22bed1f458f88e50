// A Request for fetch-style apps that costs nothing until it is needed: `url`, `method` and
// `headers` are answered from the Node request; anything else (the body, signal, clone...)
// builds the real undici Request on first use and delegates to it. On Node 20 a real Request
// with headers costs ~13 µs, more than a whole hello-world response (bench/RESULTS.md).
// `instanceof Request` holds: the prototype chain ends in Request.prototype.

import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';

const REAL = Symbol('uwsgi-ts.real-request');
const SOURCE = Symbol('uwsgi-ts.node-request');
const URL_TEXT = Symbol('uwsgi-ts.url');
const HEADERS = Symbol('uwsgi-ts.headers');

interface LazyFields {
  [SOURCE]: IncomingMessage;
  [URL_TEXT]: string;
  [HEADERS]: Headers | undefined;
  [REAL]: Request | undefined;
}

function headersOf(req: IncomingMessage): Headers {
  const headers = new Headers();
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) headers.append(raw[i] ?? '', raw[i + 1] ?? '');
  return headers;
}

function real(self: LazyFields): Request {
  let request = self[REAL];
  if (request) return request;
  const req = self[SOURCE];
  const method = req.method ?? 'GET';
  const init: RequestInit & { duplex?: 'half' } = { method, headers: lazyHeaders(self) };
  if (method !== 'GET' && method !== 'HEAD') {
    init.body = Readable.toWeb(req) as ReadableStream<Uint8Array>;
    init.duplex = 'half';
  }
  request = new Request(self[URL_TEXT], init);
  self[REAL] = request;
  return request;
}

function lazyHeaders(self: LazyFields): Headers {
  let headers = self[HEADERS];
  if (!headers) {
    headers = headersOf(self[SOURCE]);
    self[HEADERS] = headers;
  }
  return headers;
}

const prototype: object = Object.create(Request.prototype, {
  url: {
    get(this: LazyFields) {
      return this[URL_TEXT];
    },
  },
  method: {
    get(this: LazyFields) {
      return this[REAL]?.method ?? this[SOURCE].method ?? 'GET';
    },
  },
  headers: {
    get(this: LazyFields) {
      return this[REAL]?.headers ?? lazyHeaders(this);
    },
  },
});

// every other member of Request: delegate to the real one, built on first use
for (const key of Reflect.ownKeys(Request.prototype)) {
  if (key === 'constructor' || key === 'url' || key === 'method' || key === 'headers') continue;
  const descriptor = Object.getOwnPropertyDescriptor(Request.prototype, key);
  if (!descriptor) continue;
  if (typeof descriptor.value === 'function') {
    Object.defineProperty(prototype, key, {
      value(this: LazyFields, ...args: unknown[]) {
        const target = real(this) as unknown as Record<PropertyKey, (...a: unknown[]) => unknown>;
        return target[key as string]?.(...args);
      },
    });
  } else if (descriptor.get) {
    Object.defineProperty(prototype, key, {
      get(this: LazyFields) {
        return (real(this) as unknown as Record<PropertyKey, unknown>)[key as string];
      },
    });
  }
}

/** A Request view of a Node request; `url` must be absolute. */
export function lazyRequest(req: IncomingMessage, url: string): Request {
  const self = Object.create(prototype) as LazyFields;
  self[SOURCE] = req;
  self[URL_TEXT] = url;
  self[HEADERS] = undefined;
  self[REAL] = undefined;
  return self as unknown as Request;
}
