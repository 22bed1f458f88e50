// The real uWSGI 2.0.21 (Debian's uwsgi-core + uwsgi-plugin-python3), for the tests that run it
// beside uwsgi-ts; they skip, saying why, where it is not installed.

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';

/** A skip reason when `uwsgi --plugin python3` cannot run here; false when it can. */
export const noUwsgiPython: string | false =
  spawnSync('uwsgi', ['--plugin', 'python3', '--version'], { stdio: 'ignore' }).status === 0
    ? false
    : 'uWSGI 2.0.21 with the python3 plugin is not installed';

/** A uWSGI 2.0.21 process in its own process group, its output gathered. */
export interface UwsgiProcess {
  readonly proc: ChildProcess;
  /** What it printed so far (stdout and stderr). */
  log(): string;
  /** Its whole process group, SIGINT (uWSGI's stop) unless told. */
  kill(signal?: NodeJS.Signals): void;
}

export function spawnUwsgi(args: readonly string[], env?: NodeJS.ProcessEnv): UwsgiProcess {
  const proc = spawn('uwsgi', [...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
    ...(env ? { env } : {}),
  });
  let text = '';
  proc.stdout?.on('data', (d) => {
    text += d;
  });
  proc.stderr?.on('data', (d) => {
    text += d;
  });
  return {
    proc,
    log: () => text,
    kill(signal = 'SIGINT') {
      try {
        process.kill(-(proc.pid ?? 0), signal);
      } catch {
        // gone
      }
    },
  };
}
