// Loads a JS/TS app module and finds its handler (the export named by `callable`, else the
// default export, else `application`, as uWSGI's `callable` defaults to `application`).
// .ts/.mts/.cts are loaded through tsx without a build step.

import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { UwsgiError } from '../errors.js';
import type { AppSpec, AppStyle } from './plan.js';

export type NodeHandler = (req: unknown, res: unknown) => unknown;
export type FetchHandler = (request: Request, env: Record<string, string>) => Response | Promise<Response>;

export type LoadedApp =
  | { readonly style: 'node'; readonly handler: NodeHandler; readonly spec: AppSpec }
  | { readonly style: 'fetch'; readonly handler: FetchHandler; readonly spec: AppSpec };

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

function hasFetch(value: unknown): value is { fetch: (...args: unknown[]) => unknown } {
  return (
    typeof value === 'object' && value !== null && typeof (value as { fetch?: unknown }).fetch === 'function'
  );
}

/**
 * The style of an export: an object with `fetch` (Hono) is fetch style; a function of two or
 * more parameters is a Node handler (`(req, res)`, Express's `(req, res, next)`); a function of
 * zero or one parameter is a fetch handler (`(request) => Response`). `app-style` overrides.
 */
function classify(value: unknown, forced: AppStyle, spec: AppSpec): LoadedApp {
  if (hasFetch(value) && forced !== 'node') {
    const target = value;
    return { style: 'fetch', handler: (request, env) => target.fetch(request, env) as Response, spec };
  }
  if (typeof value !== 'function') {
    throw new UwsgiError(
      'ERR_APP_LOAD',
      `app ${spec.file}: the export is neither a function nor an object with fetch()`,
    );
  }
  const style = forced !== 'auto' ? forced : value.length >= 2 ? 'node' : 'fetch';
  return style === 'node'
    ? { style, handler: value as NodeHandler, spec }
    : { style, handler: value as FetchHandler, spec };
}

export async function loadApp(spec: AppSpec, forced: AppStyle, cwd: string): Promise<LoadedApp> {
  const file = resolve(cwd, spec.file);
  let mod: Record<string, unknown>;
  try {
    mod = await importModule(file);
  } catch (cause) {
    const why = cause instanceof Error ? cause.message.split('\n')[0] : String(cause);
    throw new UwsgiError('ERR_APP_LOAD', `unable to load app ${spec.file}: ${why}`, { cause });
  }
  let value: unknown;
  if (spec.callable !== undefined) {
    value = mod[spec.callable];
    if (value === undefined) {
      throw new UwsgiError('ERR_APP_LOAD', `app ${spec.file} has no export named "${spec.callable}"`);
    }
  } else {
    value = mod['default'] ?? mod['application'];
    // CommonJS compiled from ESM: module.exports = { default: fn }
    if (typeof value === 'object' && value !== null && !hasFetch(value) && 'default' in value) {
      value = (value as { default: unknown }).default;
    }
    if (value === undefined) {
      throw new UwsgiError(
        'ERR_APP_LOAD',
        `app ${spec.file} has no default export and no "application" export`,
      );
    }
  }
  return classify(value, forced, spec);
}
