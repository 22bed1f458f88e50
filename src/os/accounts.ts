// Users and groups by name or number, read from /etc/passwd and /etc/group (uid, gid, add-gid,
// chown-socket, logfile-chown). Node has no getpwnam(); these two files are what it would read.

import { readFileSync } from 'node:fs';

const DATABASES = { user: '/etc/passwd', group: '/etc/group' } as const;

/** The id of a user or group name (a number is its own id); undefined when unknown. */
export function accountId(kind: keyof typeof DATABASES, name: string): number | undefined {
  if (/^[0-9]+$/.test(name)) return Number(name);
  try {
    for (const line of readFileSync(DATABASES[kind], 'utf8').split('\n')) {
      const parts = line.split(':');
      if (parts[0] === name && parts[2] !== undefined) return Number(parts[2]);
    }
  } catch {
    // no such database: unknown
  }
  return undefined;
}
