// Spool file names (reference §8): `uwsgi_spoolfile_on_<hostname>_<pid>_<counter>_<rand>_<sec>_<usec>`,
// the only names a spooler (ours or uWSGI's) runs. A file being written, or a task a spooler has
// claimed, carries a name outside that prefix, so neither implementation ever sees it half-done.

export const SPOOL_PREFIX = 'uwsgi_spoolfile_on_';
/** A file being written: renamed to its spool name once complete. */
export const TEMP_PREFIX = '.uwsgi_spooltmp_';
/** `.uwsgi_spoolclaim_<pid>_<spool name>`: a task a spooler process is running. */
export const CLAIM_PREFIX = '.uwsgi_spoolclaim_';

let counter = 0;

/** A fresh spool file name for this process. */
export function spoolFileName(host: string, now = Date.now()): string {
  counter++;
  const sec = Math.floor(now / 1000);
  const usec = (now % 1000) * 1000 + Math.floor(Math.random() * 1000);
  const rand = Math.floor(Math.random() * 0x7fffffff);
  return `${SPOOL_PREFIX}${host}_${process.pid}_${counter}_${rand}_${sec}_${usec}`;
}

export function claimName(pid: number, name: string): string {
  return `${CLAIM_PREFIX}${pid}_${name}`;
}

/** The pid and the spool name of a claim, or undefined when `name` is not one. */
export function parseClaim(name: string): { pid: number; name: string } | undefined {
  if (!name.startsWith(CLAIM_PREFIX)) return undefined;
  const rest = name.slice(CLAIM_PREFIX.length);
  const cut = rest.indexOf('_');
  const pid = Number(rest.slice(0, cut));
  const spool = rest.slice(cut + 1);
  return cut > 0 && Number.isInteger(pid) && spool.startsWith(SPOOL_PREFIX)
    ? { pid, name: spool }
    : undefined;
}
