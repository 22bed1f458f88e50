// The rsyslog logger's datagrams against uWSGI 2.0.21's (test/fixtures/logging/
// uwsgi-2.0.21-loggers.json): header, default prefix and priority, cutting and splitting.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isUwsgiError } from '../../../src/errors.js';
import {
  parseRsyslogArgs,
  RSYSLOG_DEFAULT_PACKET_SIZE,
  rsyslogDatagrams,
  rsyslogDate,
} from '../../../src/logging/rsyslog.js';
import { LOGGING_FIXTURES } from '../../helpers/logging.js';

interface Recording {
  readonly paths: readonly string[];
  readonly rsyslog: ReadonlyArray<{
    readonly args: readonly string[];
    readonly datagrams: readonly string[];
  }>;
  readonly rsyslogSingleDigitDay: { readonly faketime: string; readonly datagram: string };
}
const RECORDED = JSON.parse(
  readFileSync(join(LOGGING_FIXTURES, 'uwsgi-2.0.21-loggers.json'), 'utf8'),
) as Recording;

/** The request lines of every recorded case (`--log-format 'REQ %(method) %(uri) %(status)'`). */
const LINES = RECORDED.paths.map((p) => `REQ GET ${p} 200\n`);
const NOW = new Date(2026, 10, 21, 13, 45, 2).getTime();
const DATE = /^(<\d+>)[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d /;

/** A recorded datagram as uwsgi-ts must send it at NOW on this host. */
const expected = (datagram: string) =>
  datagram.replace(DATE, `$1${rsyslogDate(NOW)} `).replace('<hostname> uwsgi', `${hostname()} uwsgi`);

/** `--req-logger rsyslog:...`, `--rsyslog-packet-size N`, `--rsyslog-split-messages` of a case. */
function optionsOf(args: readonly string[]) {
  const value = args[args.indexOf('--req-logger') + 1] ?? '';
  const size = args.indexOf('--rsyslog-packet-size');
  const { options } = parseRsyslogArgs(value.slice('rsyslog:'.length).replace('PORT', '514'), 'x');
  return {
    ...options,
    packetSize: size < 0 ? RSYSLOG_DEFAULT_PACKET_SIZE : Number(args[size + 1]),
    split: args.includes('--rsyslog-split-messages'),
  };
}

describe('rsyslog datagrams as uWSGI 2.0.21 sends them', () => {
  for (const c of RECORDED.rsyslog) {
    it(c.args.join(' '), () => {
      const datagrams = rsyslogDatagrams(optionsOf(c.args), () => NOW);
      const ours = LINES.flatMap((line) => datagrams(line).map((d) => d.toString()));
      assert.deepEqual(ours, c.datagrams.map(expected));
    });
  }

  it('the day of the month is padded with a space, in local time (ctime)', () => {
    const [date = '', time = ''] = RECORDED.rsyslogSingleDigitDay.faketime.split(' ');
    const [y, mo, d] = date.split('-').map(Number);
    const [h, mi, s] = time.split(':').map(Number);
    const at = new Date(y ?? 0, (mo ?? 1) - 1, d, h, mi, s).getTime();
    // the recording's request came a moment after the faked start: compare the day and hour only
    assert.match(RECORDED.rsyslogSingleDigitDay.datagram, /^<29>Nov {2}1 09:05:\d\d myprefix: /);
    assert.equal(rsyslogDate(at), 'Nov  1 09:05:07');
  });

  it('only one trailing newline is dropped; an empty message is a header alone', () => {
    const datagrams = rsyslogDatagrams(
      { prefix: 'p', priority: 13, packetSize: 1024, split: false },
      () => NOW,
    );
    assert.deepEqual(datagrams('a\n\n').map(String), [`<13>${rsyslogDate(NOW)} p: a\n`]);
    assert.deepEqual(datagrams('').map(String), [`<13>${rsyslogDate(NOW)} p: `]);
    assert.deepEqual(datagrams(Buffer.from('b')).map(String), [`<13>${rsyslogDate(NOW)} p: b`]);
  });
});

describe('rsyslog logger values', () => {
  it('HOST:PORT[,PREFIX[,PRIORITY]], the default prefix "<hostname> uwsgi", priority 29', () => {
    assert.deepEqual(parseRsyslogArgs('10.0.0.1:514', 'x'), {
      host: '10.0.0.1',
      port: 514,
      options: { prefix: `${hostname()} uwsgi`, priority: 29 },
    });
    assert.deepEqual(parseRsyslogArgs('[::1]:514,,0', 'x'), {
      host: '::1',
      port: 514,
      options: { prefix: '', priority: 0 },
    });
  });

  for (const [value, re] of [
    [undefined, /needs HOST:PORT/],
    ['/dev/log', /unix datagram/],
    ['host:0', /invalid rsyslog address/],
    [':514', /invalid rsyslog address/],
    ['h:514,p,abc', /not a syslog PRI/],
    ['h:514,p,', /not a syslog PRI/],
    ['h:514,p,192', /not a syslog PRI/],
    ['h:514,p,13,x', /takes HOST:PORT/],
  ] as const) {
    it(`refuses ${value}`, () => {
      assert.throws(
        () => parseRsyslogArgs(value, 'app.ini:4'),
        (err) =>
          isUwsgiError(err) &&
          err.code === 'ERR_CONFIG_BAD_VALUE' &&
          re.test(err.message) &&
          /app\.ini:4/.test(err.message),
      );
    });
  }
});
