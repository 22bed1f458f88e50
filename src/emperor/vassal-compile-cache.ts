// The compile cache dir the Emperor gives its vassals (NODE_COMPILE_CACHE in their environment;
// what it is for: src/os/compile-cache.ts).

import { lstatSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasCompileCache } from '../os/compile-cache.js';

/** FNV-1a, 32 bits, as 8 hex digits: a name, not a secret (node:crypto would cost the Emperor ~1 MB of RSS). */
function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}

/** Where the cache dir of an Emperor with these `emperor` values is (made or not). */
export function vassalCompileCachePath(monitors: readonly string[]): string {
  return join(tmpdir(), `uwsgi-ts-compile-cache-${process.getuid?.() ?? 0}-${fnv1a(monitors.join('\0'))}`);
}

/** Why the Emperor gives its vassals no cache dir of its own (undefined: it does). */
type NoCacheReason = string | undefined;

/** The rows checked before the Emperor sets a cache dir for its vassals; the first that answers wins. */
const NO_CACHE: ReadonlyArray<(env: NodeJS.ProcessEnv, tyrant: boolean) => NoCacheReason> = [
  () => (hasCompileCache() ? undefined : 'this Node has no compile cache (22.1+)'),
  // the operator's own dir (or NODE_DISABLE_COMPILE_CACHE) is inherited as it is
  (env) => (env['NODE_COMPILE_CACHE'] !== undefined ? 'NODE_COMPILE_CACHE is set' : undefined),
  (env) =>
    env['NODE_DISABLE_COMPILE_CACHE'] !== undefined ? 'NODE_DISABLE_COMPILE_CACHE is set' : undefined,
  // vassals running as other users could not share a dir only the Emperor's uid may write, and a
  // dir they could all write would let one vassal plant code in the others
  (_env, tyrant) => (tyrant ? 'tyrant mode' : undefined),
];

/**
 * The Emperor's cache dir: `$TMPDIR/uwsgi-ts-compile-cache-UID-HASH` (HASH of its monitors, so the
 * same Emperor finds its dir again after a restart), mode 0700. A dir that exists but is not a
 * plain dir of this uid with no access for others is not used: someone else made it first.
 */
export function emperorCompileCacheDir(
  monitors: readonly string[],
  env: NodeJS.ProcessEnv,
  tyrant: boolean,
): { dir: string } | { reason: string } {
  for (const row of NO_CACHE) {
    const reason = row(env, tyrant);
    if (reason !== undefined) return { reason };
  }
  const uid = process.getuid?.() ?? 0;
  const dir = vassalCompileCachePath(monitors);
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST')
      return { reason: `${dir}: ${(err as Error).message}` };
  }
  try {
    const st = lstatSync(dir);
    if (!st.isDirectory()) return { reason: `${dir} is not a directory` };
    if (st.uid !== uid) return { reason: `${dir} belongs to uid ${st.uid}, not ${uid}` };
    if ((st.mode & 0o077) !== 0)
      return { reason: `${dir} is open to other users (mode ${(st.mode & 0o777).toString(8)})` };
  } catch (err) {
    return { reason: `${dir}: ${(err as Error).message}` };
  }
  return { dir };
}
