// The real uWSGI 2.0.21 (Debian's uwsgi-core + uwsgi-plugin-python3), for the tests that run it
// beside uwsgi-ts; they skip, saying why, where it is not installed.

import { spawnSync } from 'node:child_process';

/** A skip reason when `uwsgi --plugin python3` cannot run here; false when it can. */
export const noUwsgiPython: string | false =
  spawnSync('uwsgi', ['--plugin', 'python3', '--version'], { stdio: 'ignore' }).status === 0
    ? false
    : 'uWSGI 2.0.21 with the python3 plugin is not installed';
