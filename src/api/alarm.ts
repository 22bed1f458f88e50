// Alarms from an app (uWSGI: `uwsgi.alarm(name, message)`): raises an alarm configured with
// `alarm = NAME PLUGIN:ARGS`. The master runs it (a command with the message on its stdin, a log
// line...), behind the same anti-flood as every other alarm: the same message again within
// `alarm-freq` seconds (default 3) is dropped.

import { UwsgiError } from '../errors.js';
import { callRuntime } from './runtime.js';

/**
 * Raises alarm `name` with `message`. Throws ERR_ALARM_UNKNOWN when the instance has no alarm of
 * that name (uWSGI ignores the call silently); returns before the alarm has run.
 *
 * @example
 * ```ts
 * // uwsgi.ini: alarm = pager cmd:mail -s 'app alarm' ops@example.com
 * import { alarm } from 'uwsgi-ts';
 * if (queueDepth > 1000) alarm('pager', `queue depth ${queueDepth}`);
 * ```
 */
export function alarm(name: string, message: string): void {
  if (typeof name !== 'string' || name === '')
    throw new UwsgiError('ERR_API_BAD_ARGUMENT', 'alarm(): the alarm name must be a non-empty string');
  if (typeof message !== 'string')
    throw new UwsgiError(
      'ERR_API_BAD_ARGUMENT',
      `alarm(): the message must be a string, got ${typeof message}`,
    );
  callRuntime('alarm', name, message);
}
