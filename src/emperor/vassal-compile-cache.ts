// The compile cache dir the Emperor gives its vassals (NODE_COMPILE_CACHE in their environment;
// what it is for: src/os/compile-cache.ts).

import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasCompileCache } from '../os/compile-cache.js';

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
  const hash = createHash('sha256').update(monitors.join('\0')).digest('hex').slice(0, 12);
  const dir = join(tmpdir(), `uwsgi-ts-compile-cache-${uid}-${hash}`);
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
