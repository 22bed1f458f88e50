// V8's compile cache (Node 22.1+, `module.enableCompileCache`, NODE_COMPILE_CACHE): a process that
// loads modules compiled before skips their compilation. The Emperor gives its vassals one cache
// dir of its own (NODE_COMPILE_CACHE in their environment, inherited by their workers:
// src/emperor/vassal-compile-cache.ts); Node writes what a process compiled when it exits, so a
// restarted Emperor starts its vassals warm. Writing it earlier, once a vassal serves, so the first
// vassals warm it for the later ones, was measured and cost more than it saved when 50 start at
// once (bench/RESULTS.md, issue 17).

import module from 'node:module';

/** The part of node:module this needs, which Node 20 does not have. */
interface CompileCacheApi {
  getCompileCacheDir?: () => string | undefined;
}

/** Whether this Node has a compile cache at all (22.1+). */
export function hasCompileCache(): boolean {
  return typeof (module as unknown as CompileCacheApi).getCompileCacheDir === 'function';
}
