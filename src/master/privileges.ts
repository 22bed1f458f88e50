// Dropping privileges after the sockets are bound (uWSGI's gid, add-gid, uid; reference §2.12).

import { readFileSync } from 'node:fs';
import type { Config } from '../config/resolve.js';
import { UwsgiError } from '../errors.js';

function idOf(database: string, name: string): number {
  if (/^[0-9]+$/.test(name)) return Number(name);
  try {
    for (const line of readFileSync(database, 'utf8').split('\n')) {
      const parts = line.split(':');
      if (parts[0] === name && parts[2] !== undefined) return Number(parts[2]);
    }
  } catch {
    // fall through
  }
  throw new UwsgiError(
    'ERR_PROCESS_PRIVILEGES',
    `unknown ${database === '/etc/group' ? 'group' : 'user'} "${name}"`,
  );
}

export function applyPrivileges(config: Config): void {
  const gid = config.value('gid');
  const uid = config.value('uid');
  const extra = config.all('add-gid').map((o) => idOf('/etc/group', String(o.value)));
  try {
    if (gid !== undefined) {
      const g = idOf('/etc/group', String(gid));
      process.setgroups?.([g, ...extra]);
      process.setgid?.(g);
    } else if (extra.length > 0) process.setgroups?.(extra);
    if (uid !== undefined) process.setuid?.(idOf('/etc/passwd', String(uid)));
  } catch (cause) {
    if (cause instanceof UwsgiError) throw cause;
    throw new UwsgiError('ERR_PROCESS_PRIVILEGES', `cannot drop privileges: ${(cause as Error).message}`, {
      cause,
    });
  }
}
