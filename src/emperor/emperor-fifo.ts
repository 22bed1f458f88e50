// The Emperor's `master-fifo` (reference §6.1): the master FIFO's command table, with what each
// command means for an Emperor. uWSGI 2.0.21 runs an Emperor given `master-fifo` under a master,
// where `E` makes it rescan at once (checked: a vassal dropped with emperor-freq 100 started on
// `echo E > fifo`); the reloads and stops reach every vassal, as the Emperor's signals do.

import { MasterFifo } from '../master/fifo.js';
import type { Emperor } from './emperor.js';

/** The FIFO of an Emperor with `master-fifo`, started; undefined without one. */
export function emperorFifo(emperor: Emperor, paths: readonly string[]): MasterFifo | undefined {
  if (paths.length === 0) return undefined;
  const notHere = (what: string) => () => emperor.log(`master fifo: ${what} means nothing to the Emperor`);
  const fifo = new MasterFifo(paths, {
    gracefulReload: () => emperor.reloadAll(),
    brutalReload: () => emperor.reloadAll(),
    chainReload: () => emperor.reloadAll(),
    gracefulStop: () => void emperor.stop(),
    brutalStop: () => void emperor.stop(),
    reopenLogs: notHere('reopening the logs (l)'),
    rotateLogs: notHere('rotating the logs (L)'),
    rewritePidfiles: notHere('rewriting the pidfiles (P)'),
    statsToLog: () => emperor.logStatus(),
    cheaperIncrease: notHere('cheaper (+)'),
    cheaperDecrease: notHere('cheaper (-)'),
    emperorRescan: () => {
      emperor.log('[emperor] rescan requested (master fifo E)');
      void emperor.scan();
    },
    log: (line) => emperor.log(line),
  });
  fifo.start();
  return fifo;
}
