// Waiting for what a running server does in its own time (a spooled task, a signal handler, a
// respawn): poll until a probe gives a value, or fail naming what never came.

import { existsSync, readFileSync } from 'node:fs';

/**
 * Polls `probe` every `everyMs` until it returns something other than undefined; rejects after
 * `timeoutMs` with "timed out waiting for WHAT".
 */
export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 15_000,
  everyMs = 50,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** The non-empty lines of a file a test app or task appends to; none while it does not exist. */
export function fileLines(file: string): string[] {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}
