// V8's compile cache (Node 22.1+, `module.enableCompileCache`, NODE_COMPILE_CACHE): a process that
// loads modules compiled before skips their compilation, about half of a vassal's start-up CPU on
// Node 24 (bench/RESULTS.md, issue 17). The Emperor gives its vassals one cache dir of its own
// (NODE_COMPILE_CACHE in their environment, inherited by their workers); each vassal process writes
// what it compiled once it serves, so the first vassals warm the cache for the later ones and a
// restarted Emperor starts warm. The dir: src/emperor/vassal-compile-cache.ts.

import module from 'node:module';

/** The parts of node:module this needs, which Node 20 does not have. */
interface CompileCacheApi {
  flushCompileCache?: () => void;
  getCompileCacheDir?: () => string | undefined;
}

const api = module as unknown as CompileCacheApi;

/** Whether this Node has a compile cache at all (22.1+). */
export function hasCompileCache(): boolean {
  return typeof api.getCompileCacheDir === 'function';
}

/**
 * Writes what this process compiled so far to the cache now (Node writes it at exit otherwise, too
 * late for the vassals starting next to this one). No-op without a cache.
 */
export function flushCompileCache(): void {
  try {
    if (api.getCompileCacheDir?.() !== undefined) api.flushCompileCache?.();
  } catch {
    // a full or read-only disk: the cache is an aid, never a failure
  }
}
