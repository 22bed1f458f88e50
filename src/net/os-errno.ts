// Negative libuv errnos to their names (`-98` -> `EADDRINUSE`) for messages.
import { getSystemErrorName } from 'node:util';

export function os(errno: number): string {
  try {
    return getSystemErrorName(errno);
  } catch {
    return `errno ${errno}`;
  }
}
