// `npm install` hook: builds the shared memory addon (native/shm.c) with node-gyp. A failure is a
// warning, not a failed install: uwsgi-ts then runs the shared services in the master and the
// workers reach them over IPC (README "Shared memory").
import { spawnSync } from 'node:child_process';

const result = spawnSync('node-gyp', ['rebuild'], { stdio: 'inherit', shell: process.platform === 'win32' });
if (result.status !== 0) {
  process.stderr.write(
    '\nuwsgi-ts: WARNING: the native addons (shared memory, listen, sd_notify) could not be built (node-gyp needs python3, make and a C compiler).\n' +
      'uwsgi-ts still works: shared services go through the master (slower), connections are refused until the first worker is ready, sd_notify uses systemd-notify.\n\n',
  );
}
