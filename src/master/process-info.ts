// What the master reads of its children from /proc (Linux).

import { readFileSync } from 'node:fs';

/** VmRSS of a process in MB, from /proc (Linux). */
export function residentMB(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.floor(Number(m[1]) / 1024) : undefined;
  } catch {
    return undefined;
  }
}
