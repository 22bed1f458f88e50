// Tyrant mode (reference §2.10; seed manual "Tyrant mode"): each vassal runs as the owner of its
// config file. A root-owned config is refused (a vassal must not gain root by being dropped into
// the directory), and with emperor-tyrant-nofollow a symlink's own owner counts, not its target's.

import { lstatSync, statSync } from 'node:fs';
import type { Config } from '../config/resolve.js';
import type { VassalFile } from './vassal-file.js';

export interface VassalOwner {
  readonly uid: number;
  readonly gid: number;
  /** emperor-tyrant-initgroups: the owner's supplementary groups too (seed 003 "Pitfalls"). */
  readonly initgroups: boolean;
}

/** The owner vassal `file` runs as, or why it is refused. */
export function vassalOwner(file: VassalFile, config: Config): VassalOwner | string {
  let uid: number;
  let gid: number;
  try {
    const st = config.value('emperor-tyrant-nofollow') ? lstatSync(file.path) : statSync(file.path);
    uid = st.uid;
    gid = st.gid;
  } catch (err) {
    return `cannot stat it (${(err as NodeJS.ErrnoException).code ?? String(err)})`;
  }
  // uWSGI 2.0: "[emperor-tyrant] invalid permissions for vassal" for uid or gid 0
  if (uid === 0 || gid === 0)
    return 'its config is owned by root (uid or gid 0): tyrant mode never runs a vassal as root';
  return { uid, gid, initgroups: config.value('emperor-tyrant-initgroups') === true };
}
