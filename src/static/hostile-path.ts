// The first line of defence of the static file server (issue 5 point 4): a decoded PATH_INFO that
// tries to climb out of its root is refused before any file is touched. uWSGI 2.0.21 relies on
// realpath() alone and hands such a request to the app; uwsgi-ts refuses it with 403 and a log
// line (README "Static files"), then still checks every opened file's real path (static-server.ts)
// so a symlink cannot lead out either. Sans-I/O: a string in, a reason (or undefined) out.

/** Why a path is refused; the log line names it. */
export const HOSTILE_REASONS = {
  nul: 'a NUL byte',
  control: 'a control character',
  backslash: 'a backslash',
  dotdot: 'a ".." segment',
  'double-encoded': 'a percent-encoded ".", "/", "\\", "%" or NUL left after decoding (double encoding)',
  overlong: 'an overlong UTF-8 form of "." or "/"',
} as const;

export type HostileReason = keyof typeof HOSTILE_REASONS;

// one pass over the path: every character that can start an attack is rare in real file names
// (overlong forms arrive as latin1 pairs: PATH_INFO decoding keeps invalid UTF-8 byte for byte)
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it looks for
const SUSPECT = /[\0-\x1f\x7f\\%]|\.\.|[\u00c0\u00c1][\u0080-\u00bf]|\u00e0[\u0080-\u009f]/;
const OVERLONG = /[\u00c0\u00c1][\u0080-\u00bf]|\u00e0[\u0080-\u009f]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it looks for
const CONTROL = /[\x01-\x1f\x7f]/;
const DOUBLE_ENCODED = /%(?:2e|2f|5c|00|25)/i;

/**
 * Why `pathInfo` (already percent-decoded once) must not be served, or undefined when it is safe
 * to join to a root.
 * @example hostilePath('/a/../../etc/passwd') // 'dotdot'
 */
export function hostilePath(pathInfo: string): HostileReason | undefined {
  if (!SUSPECT.test(pathInfo)) return undefined;
  if (pathInfo.includes('\0')) return 'nul';
  if (pathInfo.includes('\\')) return 'backslash';
  // no file a site serves has them; a terminal escape sequence in a log line would
  if (CONTROL.test(pathInfo)) return 'control';
  if (DOUBLE_ENCODED.test(pathInfo)) return 'double-encoded';
  if (OVERLONG.test(pathInfo)) return 'overlong';
  for (const segment of pathInfo.split('/')) if (segment === '..') return 'dotdot';
  return undefined;
}
