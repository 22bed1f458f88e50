// strftime as glibc prints it in the C locale (log-date, %(ltime), ${strftime:...}).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileStrftime, utcOffset } from '../../../src/logging/strftime.js';

process.env['TZ'] = 'UTC';

// Thu Jan  1 09:05:03 2026 UTC: a single-digit day, a morning hour
const T = Date.UTC(2026, 0, 1, 9, 5, 3);
// Sat Nov 21 22:47:34 2026 UTC
const U = Date.UTC(2026, 10, 21, 22, 47, 34);

describe('strftime conversions (glibc, C locale)', () => {
  const cases: ReadonlyArray<[string, number, string]> = [
    ['%a %A %b %B %h', T, 'Thu Thursday Jan January Jan'],
    ['%c', T, 'Thu Jan  1 09:05:03 2026'],
    ['%C %y %Y', U, '20 26 2026'],
    ['%d %e %j', T, '01  1 001'],
    ['%D %F %x', U, '11/21/26 2026-11-21 11/21/26'],
    ['%H %I %k %l %p %P', U, '22 10 22 10 PM pm'],
    ['%H %I %k %l %p', T, '09 09  9  9 AM'],
    ['%M %S %T %R %X %r', T, '05 03 09:05:03 09:05 09:05:03 09:05:03 AM'],
    ['%m %u %w', U, '11 6 6'],
    ['%s', T, String(T / 1000)],
    ['%U %W %V %G %g', U, '46 46 47 2026 26'],
    ['%U %W %V %G', T, '00 00 01 2026'],
    ['%z %Z', T, '+0000 UTC'],
    ['%%Y %n%t', T, '%Y \n\t'],
    ['%Q stays %', T, '%Q stays %'],
    ['[%d/%b/%Y:%H:%M:%S %z]', U, '[21/Nov/2026:22:47:34 +0000]'],
  ];
  for (const [format, time, expected] of cases) {
    it(JSON.stringify(format), () => assert.equal(compileStrftime(format)(time), expected));
  }

  it('caches per second but follows the clock', () => {
    const f = compileStrftime('%S');
    assert.equal(f(T), '03');
    assert.equal(f(T + 999), '03');
    assert.equal(f(T + 1000), '04');
  });

  it('the UTC offset of the local time zone', () => {
    assert.equal(utcOffset(new Date(T)), '+0000');
  });
});
