// One registry of permanent error codes. Tests assert codes, never message text.
// Messages are lower case and name the bad value and where it came from (`app.ini:3`).

export const ERROR_CODES = {
  ERR_CONFIG_UNKNOWN_OPTION: 'an option that neither uwsgi-ts nor uWSGI knows',
  ERR_CONFIG_MISSING_ARGUMENT: 'a command-line option that needs a value was given none',
  ERR_CONFIG_UNEXPECTED_ARGUMENT: 'a command-line flag was given a value',
  ERR_CONFIG_FILE_NOT_FOUND: 'a config file (or a file named by an option) does not exist or cannot be read',
  ERR_CONFIG_SECTION_NOT_FOUND:
    'a config file has no section of the requested name (an error under --strict)',
  ERR_CONFIG_UNKNOWN_FORMAT: 'a config file whose extension names no known format',
  ERR_CONFIG_PARSE: 'a json or yaml config file that does not parse',
  ERR_CONFIG_READ: 'an @() or scheme read failed (missing file, failing exec://, bad fd://)',
  ERR_CONFIG_BAD_VALUE: 'a value that its option cannot use (a bad integer, a negative count...)',
  ERR_CONFIG_RECURSIVE_LOGIC: 'a for/if block opened inside another one',
  ERR_CONFIG_INCLUDE_DEPTH: 'config files that include each other without end',
  ERR_CONFIG_STRICT_UNKNOWN: 'an unknown config directive under --strict',
  ERR_CONFIG_NOT_SUPPORTED: 'an option whose subsystem uwsgi-ts does not serve yet, under --strict',
  ERR_CONFIG_FORBIDDEN: 'an option refused by a blacklist/whitelist block',
  ERR_CONFIG_PLACEHOLDER_IS_OPTION: 'set-placeholder given the name of a real option',
  ERR_CONFIG_EXIT: 'the `exit` option was used',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** An error the user caused, reported as one line (no stack unless UWSGI_TS_DEBUG is set). */
export class UwsgiError extends Error {
  readonly code: ErrorCode;
  /** Process exit status when this error ends the program. */
  readonly exitCode: number;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; exitCode?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'UwsgiError';
    this.code = code;
    this.exitCode = options?.exitCode ?? 1;
  }
}

export function isUwsgiError(err: unknown): err is UwsgiError {
  return err instanceof UwsgiError;
}
