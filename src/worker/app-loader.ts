// Loads a JS/TS app module and finds its handler (the export named by `callable`, else the
// default export, else `application`, as uWSGI's `callable` defaults to `application`).
// .ts/.mts/.cts are loaded through tsx without a build step. What the export is, is told by a
// table of recognisers (app-recognisers.ts): each framework as its own docs export it.

import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { UwsgiError } from '../errors.js';
import { type AdoptedServer, adoptedServers, waitForAdoption } from './listen-capture.js';
import type { AppSpec, AppStyle } from './plan.js';

export type NodeHandler = (req: unknown, res: unknown) => unknown;
export type FetchHandler = (request: Request, env: Record<string, string>) => Response | Promise<Response>;
/**
 * `ws`'s shape: (req, socket, head), as http.Server's 'upgrade' event gives them; returns false
 * when nobody took the socket (the worker then refuses it).
 */
export type UpgradeHandler = (req: unknown, socket: unknown, head: Buffer) => unknown;

export type LoadedApp = (
  | { readonly style: 'node'; readonly handler: NodeHandler; readonly spec: AppSpec }
  | { readonly style: 'fetch'; readonly handler: FetchHandler; readonly spec: AppSpec }
) & {
  /** Where a WebSocket (any `Upgrade:`) request of this app goes; absent: refused. */
  readonly upgrade?: UpgradeHandler;
  /** What the export was recognised as ('express', 'koa', 'fastify'...), for the log. */
  readonly kind?: string;
};

const TS_EXTENSIONS = /\.(?:ts|mts|cts|tsx)$/;

/** Imports a JS or TS module by path (a mule script too). */
export async function importModule(file: string): Promise<Record<string, unknown>> {
  const url = pathToFileURL(file).href;
  if (TS_EXTENSIONS.test(file)) {
    const { tsImport } = await import('tsx/esm/api');
    return (await tsImport(url, import.meta.url)) as Record<string, unknown>;
  }
  return (await import(url)) as Record<string, unknown>;
}

function hasMethod(value: unknown, name: string): boolean {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as Record<string, unknown>)[name] === 'function'
  );
}

/** A recognised export, before the loader adds the spec and the upgrade handler. */
interface Recognised {
  readonly kind: string;
  readonly style: 'node' | 'fetch';
  readonly handler: NodeHandler | FetchHandler;
  readonly upgrade?: UpgradeHandler;
}

/** One row: what an export looks like and how it is served. First match wins. */
interface Recogniser {
  readonly kind: string;
  /** Whether `app-style` lets this row apply ('auto' always does). */
  readonly style: 'node' | 'fetch';
  matches(value: unknown): boolean;
  serve(value: unknown, spec: AppSpec): Recognised | Promise<Recognised>;
}

/**
 * A Node-called handler that gives back a Response (or a promise of one) and writes nothing is a
 * fetch handler taken for a Node one (`(request, env) => Response` has two parameters): it fails,
 * so that the client gets a 500 and the log names the fix, instead of a request that hangs.
 */
function guardedNode(handler: NodeHandler, spec: AppSpec): NodeHandler {
  const check = (result: unknown, res: { headersSent?: boolean; writableEnded?: boolean }): void => {
    if (result instanceof Response && !res.headersSent && !res.writableEnded) {
      const err = new UwsgiError(
        'ERR_APP_STYLE',
        `app ${spec.file} was called Node-style (req, res) and returned a Response without writing: it is a fetch handler, set app-style = fetch`,
      );
      // the message says it all: one log line, no stack into the server's own code
      err.stack = `${err.name} [${err.code}]: ${err.message}`;
      throw err;
    }
  };
  return (req, res) => {
    const result = handler(req, res);
    if (result instanceof Response) {
      check(result, res as { headersSent?: boolean });
      return result;
    }
    if (result && typeof (result as Promise<unknown>).then === 'function') {
      return (result as Promise<unknown>).then((value) => check(value, res as { headersSent?: boolean }));
    }
    return result;
  };
}

/** Express apps, Koa apps, Fastify instances, fetch objects (Hono), Node and fetch handlers. */
const RECOGNISERS: readonly Recogniser[] = [
  {
    // `export default fastify`: readied (plugins, routes), then each request through its router
    kind: 'fastify',
    style: 'node',
    matches: (v) => hasMethod(v, 'routing') && hasMethod(v, 'ready') && hasMethod(v, 'register'),
    serve: async (v) => {
      const app = v as {
        ready(): Promise<unknown>;
        routing(req: unknown, res: unknown): void;
        server?: { listeners(event: string): Array<(...args: unknown[]) => void> };
      };
      await app.ready();
      // a WebSocket plugin (@fastify/websocket) hangs its 'upgrade' listener on fastify.server
      const upgrades = app.server?.listeners('upgrade') ?? [];
      return {
        kind: 'fastify',
        style: 'node',
        handler: (req: unknown, res: unknown) => app.routing(req, res),
        ...(upgrades.length > 0
          ? { upgrade: (req, socket, head) => app.server && emitUpgrade(app.server, req, socket, head) }
          : {}),
      };
    },
  },
  {
    // `module.exports = app` / `export default app` of Koa: app.callback() is its Node handler
    kind: 'koa',
    style: 'node',
    matches: (v) => hasMethod(v, 'callback') && hasMethod(v, 'use') && !hasMethod(v, 'fetch'),
    serve: (v) => ({
      kind: 'koa',
      style: 'node',
      handler: (v as { callback(): NodeHandler }).callback(),
    }),
  },
  {
    // Hono's app, or any `{ fetch(request, env) }` (Bun's and Deno's shape)
    kind: 'fetch object',
    style: 'fetch',
    matches: (v) => typeof v === 'object' && v !== null && hasMethod(v, 'fetch'),
    serve: (v) => {
      const target = v as { fetch(request: Request, env: unknown): Response | Promise<Response> };
      return {
        kind: 'fetch object',
        style: 'fetch',
        handler: (request: Request, env: unknown) => target.fetch(request, env),
      };
    },
  },
  {
    // (req, res) handlers and Express's app, a function of (req, res, next)
    kind: 'node handler',
    style: 'node',
    matches: (v) => typeof v === 'function' && v.length >= 2,
    serve: (v) => ({ kind: 'node handler', style: 'node', handler: v as NodeHandler }),
  },
  {
    // (request) => Response
    kind: 'fetch handler',
    style: 'fetch',
    matches: (v) => typeof v === 'function',
    serve: (v) => ({ kind: 'fetch handler', style: 'fetch', handler: v as FetchHandler }),
  },
];

/** A function under a forced `app-style`: taken as the style says, whatever its arity. */
const FORCED: Readonly<Record<'node' | 'fetch', (v: unknown) => Recognised>> = {
  node: (v) => ({ kind: 'node handler', style: 'node', handler: v as NodeHandler }),
  fetch: (v) => ({ kind: 'fetch handler', style: 'fetch', handler: v as FetchHandler }),
};

function emitUpgrade(
  server: { listeners(event: string): Array<(...args: unknown[]) => void> },
  req: unknown,
  socket: unknown,
  head: Buffer,
): void {
  for (const listener of server.listeners('upgrade')) listener.call(server, req, socket, head);
}

async function recognise(value: unknown, forced: AppStyle, spec: AppSpec): Promise<Recognised | undefined> {
  const row = RECOGNISERS.find((r) => r.matches(value) && (forced === 'auto' || r.style === forced));
  if (row) return row.serve(value, spec);
  if (forced !== 'auto' && typeof value === 'function') return FORCED[forced](value);
  return undefined;
}

/** The server an app called listen() on, served in place of an export (listen-capture.ts). */
function fromServer(server: AdoptedServer): Recognised {
  return {
    kind: 'listen()',
    style: 'node',
    handler: (req: unknown, res: unknown) => server.emit('request', req, res),
  };
}

/**
 * The upgrades of an app whose module listen()ed: the first of its servers with an 'upgrade'
 * listener when the request comes (`new WebSocketServer({ server })` or `({ port })`, attached
 * at import or later); false when there is none.
 */
function adoptedUpgrade(before: number): UpgradeHandler {
  return (req, socket, head) => {
    const server = adoptedServers()
      .slice(before)
      .find((s) => s.listenerCount('upgrade') > 0);
    if (!server) return false;
    server.emit('upgrade', req, socket, head);
    return true;
  };
}

/** The export the spec names (or the default one), undefined when the module has none. */
function pickExport(mod: Record<string, unknown>, spec: AppSpec): unknown {
  if (spec.callable !== undefined) {
    const value = mod[spec.callable];
    if (value === undefined) {
      throw new UwsgiError('ERR_APP_LOAD', `app ${spec.file} has no export named "${spec.callable}"`);
    }
    return value;
  }
  let value = mod['default'] ?? mod['application'];
  // CommonJS compiled from ESM: module.exports = { default: fn }
  if (
    typeof value === 'object' &&
    value !== null &&
    !hasMethod(value, 'fetch') &&
    !hasMethod(value, 'callback') &&
    !hasMethod(value, 'routing') &&
    'default' in value
  ) {
    value = (value as { default: unknown }).default;
  }
  return value;
}

/** `export function upgrade(req, socket, head)` (or `module.exports.upgrade`). */
function upgradeExport(mod: Record<string, unknown>): UpgradeHandler | undefined {
  const direct = mod['upgrade'];
  if (typeof direct === 'function') return direct as UpgradeHandler;
  const fromDefault = (mod['default'] as Record<string, unknown> | undefined)?.['upgrade'];
  return typeof fromDefault === 'function' && typeof mod['default'] === 'object'
    ? (fromDefault as UpgradeHandler)
    : undefined;
}

export async function loadApp(
  spec: AppSpec,
  forced: AppStyle,
  cwd: string,
  log: (line: string) => void = () => {},
): Promise<LoadedApp> {
  const file = resolve(cwd, spec.file);
  const before = adoptedServers().length;
  let mod: Record<string, unknown>;
  try {
    mod = await importModule(file);
  } catch (cause) {
    const why = cause instanceof Error ? cause.message.split('\n')[0] : String(cause);
    throw new UwsgiError('ERR_APP_LOAD', `unable to load app ${spec.file}: ${why}`, { cause });
  }
  const value = pickExport(mod, spec);
  let found = value === undefined ? undefined : await recognise(value, forced, spec);
  if (found === undefined) {
    // no export to serve: the server the module called listen() on (now, or while it starts up)
    const server = adoptedServers()[before] ?? (await waitForAdoption(before));
    if (server) {
      found = fromServer(server);
      log(
        `app ${spec.file} called listen(${server.asked}) itself: its server is served on the instance's sockets, that address is not bound\n`,
      );
    }
  }
  if (found === undefined) {
    throw new UwsgiError(
      'ERR_APP_LOAD',
      value === undefined
        ? `app ${spec.file} has no default export and no "application" export, and called no listen()`
        : `app ${spec.file}: the export is neither a function nor an object with fetch(), callback() (Koa) or routing() (Fastify)`,
    );
  }
  // a WebSocket server the app attached to a server it listen()ed on takes the upgrades too; an
  // app that listen()s nothing keeps Node's handling of an Upgrade header (a plain request)
  const listened = found.kind === 'listen()' || adoptedServers().length > before;
  const upgrade = upgradeExport(mod) ?? found.upgrade ?? (listened ? adoptedUpgrade(before) : undefined);
  const handler = found.style === 'node' ? guardedNode(found.handler as NodeHandler, spec) : found.handler;
  return {
    style: found.style,
    handler,
    spec,
    kind: found.kind,
    upgrade,
  } as LoadedApp;
}
