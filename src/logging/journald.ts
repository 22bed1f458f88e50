// The `systemd` logger (uWSGI's systemd_logger plugin): lines into the systemd journal. uWSGI
// calls sd_journal_print(), a datagram on /run/systemd/journal/socket with MESSAGE, PRIORITY=6
// and SYSLOG_IDENTIFIER=uwsgi; Node has no unix datagram sockets, so lines go through journald's
// stream socket (the one systemd-cat and services' stdout use), which gives the entries the same
// MESSAGE, PRIORITY and SYSLOG_IDENTIFIER (_TRANSPORT=stdout instead of journal). Sans-I/O.

import type { LogText } from './log-targets.js';
import type { StreamProtocol } from './stream-target.js';

/** journald's stream socket; `UWSGI_TS_JOURNAL_SOCKET` points it elsewhere (tests). */
export function journalSocketPath(): string {
  return process.env['UWSGI_TS_JOURNAL_SOCKET'] || '/run/systemd/journal/stdout';
}

/** LOG_INFO, as uWSGI's plugin logs. */
const PRIORITY = 6;

/**
 * The stream header (systemd's journald-stream.c reads it line by line): identifier, unit id
 * (empty), priority, level prefix (0: `<N>` at a line start is text), then forward to syslog,
 * kmsg and console (0: journald's own settings). Then each line is one entry.
 */
export function journalStreamProtocol(identifier = 'uwsgi'): StreamProtocol {
  return {
    hello: Buffer.from(`${identifier}\n\n${PRIORITY}\n0\n0\n0\n0\n`),
    handshake: () => 'ready',
    frame(text: LogText) {
      const bytes = typeof text === 'string' ? Buffer.from(text) : text;
      return bytes.length > 0 && bytes[bytes.length - 1] === 0x0a
        ? bytes
        : Buffer.concat([bytes, Buffer.from('\n')]);
    },
  };
}
