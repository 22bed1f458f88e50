// `import { cacheGet } from 'uwsgi-ts'` for any app the server runs, wherever it lives (uWSGI's
// `import uwsgi` needs no install either): the bare name is mapped to the running server's own
// package entry (dist/index.js), for ESM imports, require() and .ts apps (tsx resolves through
// the same hooks). An app holding its own copy of the package gets the server's: the app API
// reaches the worker through a global slot either way (src/api/runtime.ts), one copy is simpler.
// Node 22.15+/24: module.registerHooks (in-thread, covers import and require at once); Node 20:
// module.register() for ESM plus Module._resolveFilename for require(). On Node 20 register()
// starts a loader thread: ~9 MB of RSS and one thread per process, measured with a hello app
// (71.7 MB vs 62.7 MB). Installing it only after an import failed does not work: Node keeps the
// failed link of every module of the graph (an app's lib.mjs importing 'uwsgi-ts' fails again).
// So on Node 20 the loader thread is started only when an app file of this process cannot find a
// `uwsgi-ts` package by itself (an app inside the checkout, or one with uwsgi-ts in its
// node_modules, needs none: any copy reaches the same runtime slot).

import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const NAME = 'uwsgi-ts';
/** dist/index.js, next to this file's folder (dist/worker/). */
const ENTRY_URL = new URL('../index.js', import.meta.url).href;
const ENTRY_PATH = fileURLToPath(ENTRY_URL);

type SyncResolve = (
  specifier: string,
  context: unknown,
  next: (specifier: string, context: unknown) => unknown,
) => unknown;

interface ModuleApi {
  registerHooks?: (hooks: { resolve: SyncResolve }) => unknown;
  register?: (specifier: string, parentURL: string, options: { data: unknown }) => void;
  _resolveFilename?: (request: string, ...rest: unknown[]) => string;
}

let installed = false;

/** Whether `file` finds a `uwsgi-ts` package through node_modules from its own folder. */
function findsPackage(file: string): boolean {
  try {
    createRequire(resolve(file)).resolve(NAME);
    return true;
  } catch {
    return false;
  }
}

/**
 * Installs the mapping once per process (a worker, a mule, a spooler), before any app loads.
 * `files` are the JS/TS modules this process will import (apps, a mule script); none: unknown.
 */
export function installPackageResolve(files: readonly string[] = []): void {
  if (installed) return;
  installed = true;
  const require = createRequire(import.meta.url);
  const api = require('node:module') as ModuleApi;
  if (typeof api.registerHooks === 'function') {
    api.registerHooks({
      resolve: (specifier, context, next) =>
        specifier === NAME
          ? { url: ENTRY_URL, format: 'module', shortCircuit: true }
          : next(specifier, context),
    });
    return;
  }
  // the loader thread only for an app that could not import the package otherwise
  if (files.length === 0 || !files.every(findsPackage)) {
    api.register?.(new URL('./package-resolve-hooks.js', import.meta.url).href, import.meta.url, {
      data: { entry: ENTRY_URL },
    });
  }
  // require('uwsgi-ts') from a CommonJS app (Node 20.19+ loads the ESM entry through require())
  const Module = require('node:module') as {
    _resolveFilename: (request: string, ...rest: unknown[]) => string;
  };
  const resolveFilename = Module._resolveFilename;
  Module._resolveFilename = function (this: unknown, request: string, ...rest: unknown[]): string {
    if (request === NAME) return ENTRY_PATH;
    return resolveFilename.call(this, request, ...rest);
  };
}
