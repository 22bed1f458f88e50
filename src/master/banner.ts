// What the master says as it starts (uWSGI's banner lines, reference §10) and how it reports that
// the first children did not start.

import { cpus, hostname } from 'node:os';
import type { Config } from '../config/resolve.js';
import { UwsgiError } from '../errors.js';
import { ctime } from '../logging/request-log.js';
import { VERSION } from '../version.js';

export function logBanner(c: Config, log: (line: string) => void): void {
  log(`*** Starting uWSGI-ts ${VERSION} (64bit) on [${ctime(Date.now())}] ***`);
  log(`compiled with version: Node.js ${process.version}`);
  log(`os: ${process.platform}-${process.arch}`);
  log(`nodename: ${hostname()}`);
  log(`detected number of CPU cores: ${cpus().length}`);
  log(`current working directory: ${process.cwd()}`);
  log(`detected binary path: ${process.argv[1] ?? process.execPath}`);
  if (process.getuid?.() === 0 && c.value('uid') === undefined) {
    log('uWSGI running as root, you can use --uid/--gid/--chroot options');
    log('*** WARNING: you are running uWSGI as root !!! (use the --uid flag) *** ');
  }
  if (!c.value('master')) log('*** WARNING: you are running uWSGI without its master process manager ***');
}

/** Why the first children did not start, as the CLI reports it. */
export function startFailure(c: Config, err: unknown): UwsgiError {
  const why = err instanceof Error ? err.message : String(err);
  return c.value('need-app') === true
    ? new UwsgiError('ERR_APP_NONE', `need-app is set and the app did not load (${why}): GAME OVER`)
    : new UwsgiError('ERR_APP_LOAD', `the first workers failed to start: ${why}`);
}
