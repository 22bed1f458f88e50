// Dropping privileges after the sockets are bound (uWSGI's gid, add-gid, uid; reference §2.12).

import type { Config } from '../config/resolve.js';
import { UwsgiError } from '../errors.js';
import { accountId } from '../os/accounts.js';

function idOf(kind: 'user' | 'group', name: string): number {
  const id = accountId(kind, name);
  if (id === undefined) throw new UwsgiError('ERR_PROCESS_PRIVILEGES', `unknown ${kind} "${name}"`);
  return id;
}

export function applyPrivileges(config: Config): void {
  const gid = config.value('gid');
  const uid = config.value('uid');
  const extra = config.all('add-gid').map((o) => idOf('group', String(o.value)));
  try {
    if (gid !== undefined) {
      const g = idOf('group', String(gid));
      process.setgroups?.([g, ...extra]);
      process.setgid?.(g);
    } else if (extra.length > 0) process.setgroups?.(extra);
    if (uid !== undefined) process.setuid?.(idOf('user', String(uid)));
  } catch (cause) {
    if (cause instanceof UwsgiError) throw cause;
    throw new UwsgiError('ERR_PROCESS_PRIVILEGES', `cannot drop privileges: ${(cause as Error).message}`, {
      cause,
    });
  }
}
