// A Response that costs nothing until it is needed (as @hono/node-server's): `new Response(body,
// init)` with a string, bytes or no body only keeps its arguments, and the worker writes them
// straight out; anything else an app does with it (reads a property, clones it, gives it a
// stream) builds undici's real Response and delegates to it. On Node 20 undici's constructor
// costs ~9 µs, about as much as the rest of a hello-world exchange (bench/fetch-cost.mjs).
// `instanceof Response` holds, and static members (Response.json, Response.redirect) are undici's.

/** undici's Response, as the runtime gave it (before install()). */
export const OriginalResponse: typeof Response = globalThis.Response;

const BODY = Symbol('uwsgi-ts.light-body');
const INIT = Symbol('uwsgi-ts.light-init');
const REAL = Symbol('uwsgi-ts.real-response');

interface LightFields {
  [BODY]: string | Uint8Array | null;
  [INIT]: ResponseInit | undefined;
  [REAL]: Response | undefined;
}

/** What the worker writes for a light response still unread by the app. */
export interface LightParts {
  readonly status: number;
  readonly statusText: string;
  readonly headers: ResponseInit['headers'];
  readonly body: string | Uint8Array | null;
}

/** Statuses that must not carry a body (undici throws for them: the real one is built to throw). */
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

function lightBody(body: unknown): body is string | Uint8Array | null | undefined {
  return body === undefined || body === null || typeof body === 'string' || body instanceof Uint8Array;
}

/** Whether undici would take `init` without a word: else the real one is built at once (and throws). */
function plainInit(init: ResponseInit | undefined, body: unknown): boolean {
  if (init === undefined) return true;
  if (typeof init !== 'object' || init === null) return false;
  const status = init.status;
  if (status !== undefined && (!Number.isInteger(status) || status < 200 || status > 599)) return false;
  if (status !== undefined && body !== null && body !== undefined && NULL_BODY.has(status)) return false;
  const headers = init.headers;
  return headers === undefined || typeof headers === 'object';
}

function real(self: LightFields): Response {
  let response = self[REAL];
  if (response === undefined) {
    response = new OriginalResponse(self[BODY], self[INIT]);
    self[REAL] = response;
  }
  return response;
}

/** The light response's parts, when the app has not made it real; undefined otherwise. */
export function lightParts(response: unknown): LightParts | undefined {
  if (typeof response !== 'object' || response === null) return undefined;
  const self = response as Partial<LightFields>;
  if (!(BODY in self) || self[REAL] !== undefined) return undefined;
  const init = self[INIT];
  return {
    status: init?.status ?? 200,
    statusText: init?.statusText ?? '',
    headers: init?.headers,
    body: self[BODY] ?? null,
  };
}

function LightResponse(
  this: LightFields,
  body?: ConstructorParameters<typeof Response>[0],
  init?: ResponseInit,
): void {
  if (!new.target) throw new TypeError("Failed to construct 'Response': Please use the 'new' operator");
  if (lightBody(body) && plainInit(init, body)) {
    this[BODY] = body ?? null;
    this[INIT] = init;
    this[REAL] = undefined;
    return;
  }
  this[BODY] = null;
  this[INIT] = undefined;
  this[REAL] = new OriginalResponse(body, init);
}

LightResponse.prototype = Object.create(OriginalResponse.prototype) as object;
Object.defineProperty(LightResponse.prototype, 'constructor', { value: LightResponse, writable: true });
Object.setPrototypeOf(LightResponse, OriginalResponse);
// a real Response (from fetch(), from Response.json()) is still `instanceof Response`; a subclass
// an app declares keeps the ordinary check
Object.defineProperty(LightResponse, Symbol.hasInstance, {
  value(this: unknown, value: unknown): boolean {
    if (this === LightResponse) return value instanceof OriginalResponse;
    return Function.prototype[Symbol.hasInstance].call(this, value);
  },
});
// every member of Response: the real one's, built on first use
for (const key of Reflect.ownKeys(OriginalResponse.prototype)) {
  if (key === 'constructor') continue;
  const descriptor = Object.getOwnPropertyDescriptor(OriginalResponse.prototype, key);
  if (!descriptor) continue;
  if (typeof descriptor.value === 'function') {
    Object.defineProperty(LightResponse.prototype, key, {
      value(this: LightFields, ...args: unknown[]) {
        const target = real(this) as unknown as Record<PropertyKey, (...a: unknown[]) => unknown>;
        return target[key as string]?.(...args);
      },
      writable: true,
      configurable: true,
    });
  } else if (descriptor.get) {
    Object.defineProperty(LightResponse.prototype, key, {
      get(this: LightFields) {
        return (real(this) as unknown as Record<PropertyKey, unknown>)[key as string];
      },
      configurable: true,
    });
  }
}

/**
 * Makes `Response` in this process the light one: called by a worker before it loads the apps
 * (an app may keep `Response` from its import time).
 *
 * @example
 * installLightResponse();
 * new Response('hi') instanceof Response; // true, and nothing of undici was built
 */
export function installLightResponse(): void {
  if (globalThis.Response !== OriginalResponse) return;
  globalThis.Response = LightResponse as unknown as typeof Response;
}
