// The Emperor's UNIX signals (reference §6.2): SIGINT/SIGTERM/SIGQUIT stop every vassal, SIGHUP
// reloads them all, SIGWINCH rescans, SIGURG clears the blacklist, SIGUSR1 logs their status.

import type { Emperor } from './emperor.js';

/** The Emperor's UNIX signals (reference §6.2). */
export const EMPEROR_SIGNALS: ReadonlyArray<readonly [NodeJS.Signals, (e: Emperor) => void]> = [
  ['SIGINT', (e) => void e.stop()],
  ['SIGTERM', (e) => void e.stop()],
  ['SIGQUIT', (e) => void e.stop()],
  ['SIGHUP', (e) => e.reloadAll()],
  ['SIGWINCH', (e) => void e.scan()],
  ['SIGURG', (e) => e.clearBlacklist()],
  ['SIGUSR1', (e) => e.logStatus()],
];
