// Whether another process is writing a spool file. uWSGI's uwsgi.spool() creates the file under
// its final name, takes a POSIX write lock on it and only then writes; its spooler skips a locked
// file (reference §8). Node has no fcntl(), but Linux lists every held lock in /proc/locks by
// device and inode ("1: POSIX  ADVISORY  WRITE 4242 08:01:131090 0 EOF"), which is enough to
// leave such a file alone until its writer lets go. Elsewhere nothing is known to be locked, and
// the young-and-short rule in the loop is what keeps a half-written file from being set aside.

import { readFileSync } from 'node:fs';

/** The inodes that carry a lock now (empty where /proc/locks cannot be read). */
export function lockedInodes(): Set<number> {
  let text: string;
  try {
    text = readFileSync('/proc/locks', 'latin1');
  } catch {
    return new Set();
  }
  const inodes = new Set<number>();
  for (const line of text.split('\n')) {
    // the fifth or sixth field is MAJ:MIN:INODE (a "->" blocked-waiter line shifts it by one)
    const m = /\s[0-9a-f]+:[0-9a-f]+:(\d+)\s/.exec(line);
    if (m) inodes.add(Number(m[1]));
  }
  return inodes;
}
