// Cron lines and matching, checked against what uWSGI 2.0.21 did on Saturday 21 November 2026 at
// 14:31-14:32 (test/fixtures/signal/uwsgi-2.0.21-signals.json).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { cronMatches, cronTime, parseCron2, parseCronLine } from '../../../src/signal/cron.js';

const fixture = JSON.parse(
  readFileSync(new URL('../../fixtures/signal/uwsgi-2.0.21-signals.json', import.meta.url), 'utf8'),
) as { cron: Record<string, unknown> };

const defaults = { unique: false, harakiri: 0 };
const line = (v: string) => parseCronLine('cron', v, 'test', defaults);
// Saturday 21 November 2026, 14:31 (local time)
const sat1431 = cronTime(new Date(2026, 10, 21, 14, 31, 52));
const sat1432 = cronTime(new Date(2026, 10, 21, 14, 32, 0));

test('the time of a minute, as cron compares it', () => {
  assert.deepEqual(sat1431, { minute: 31, hour: 14, day: 21, month: 11, week: 6 });
});

test('-1 any, -N every N, day OR week day, week 7 = Sunday, months 1..12 (as observed)', () => {
  const ran: Array<[string, boolean]> = [
    ['-2 -1 -1 -1 -1 echo A', false],
    ['-3 -1 -1 -1 -1 echo B', false],
    ['-1 -2 -1 -1 -1 echo C', true],
    ['-1 -3 -1 -1 -1 echo D', false],
    ['-1 -1 21 -1 1 echo E', true],
    ['-1 -1 5 -1 6 echo F', true],
    ['-1 -1 5 -1 1 echo G', false],
    ['-1 -1 -1 11 -1 echo H', true],
    ['-1 -1 -1 -1 6 echo I', true],
    ['-1 -1 -7 -1 -1 echo K', true],
    ['-1 -1 -1 -1 -3 echo L', true],
    ['-1 -1 -1 -11 -1 echo M', true],
    ['-1 -1 -1 -1 -6 echo N', true],
    ['-1 -1 -1 -1 1 echo O', false],
    ['-1 -1 21 -1 -1 echo P', true],
    ['-1 -1 5 -1 -1 echo Q', false],
    ['-1 -1 -1 -1 13 echo R', false],
    ['-1 -1 -1 -1 7 echo S', false],
  ];
  for (const [value, expected] of ran) assert.equal(cronMatches(line(value), sat1431), expected, value);
  // the -2 minute entry ran at 14:32:00
  assert.equal(cronMatches(line('-2 -1 -1 -1 -1 echo A'), sat1432), true);
  // week 7 is Sunday
  assert.equal(cronMatches(line('-1 -1 -1 -1 7 x'), cronTime(new Date(2026, 10, 22, 10, 0))), true);
});

test('cron lines: five integers and a command; what uWSGI refuses is refused', () => {
  const e = line('59 2 -1 -1 -1 /usr/bin/backup --all');
  assert.deepEqual(
    { ...e },
    {
      minute: 59,
      hour: 2,
      day: -1,
      month: -1,
      week: -1,
      action: { command: '/usr/bin/backup --all' },
      legion: '',
      unique: false,
      harakiri: 0,
    },
  );
  const refused = fixture.cron['syntax errors (exit 1, `invalid cron syntax`)'] as string[];
  for (const bad of [...refused, '-1 -1 -1 -1 -1']) {
    assert.throws(() => line(bad), { code: 'ERR_CONFIG_BAD_VALUE' }, bad);
  }
  assert.equal(line('60 -1 -1 -1 -1 echo x').minute, 60);
  assert.equal(
    parseCronLine('unique-cron', '-1 -1 -1 -1 -1 x', 't', { unique: true, harakiri: 3 }).unique,
    true,
  );
});

test('cron2: key list then command; no key list means the whole value is the command', () => {
  const a = parseCron2(
    'minute=39,hour=23,month=-1,week=-1,day=-1,unique=1,legion=foobar,harakiri=30 my_script.sh',
    't',
    0,
  );
  assert.deepEqual(
    { ...a },
    {
      minute: 39,
      hour: 23,
      day: -1,
      month: -1,
      week: -1,
      action: { command: 'my_script.sh' },
      unique: true,
      harakiri: 30,
      legion: 'foobar',
    },
  );
  const b = parseCron2('foo=1 echo V', 't', 7);
  assert.equal(b.minute, -1);
  assert.equal(b.harakiri, 7);
  assert.deepEqual(b.action, { command: 'echo V' });
  assert.deepEqual(parseCron2('echo W', 't', 0).action, { command: 'echo W' });
  assert.throws(() => parseCron2('minute=1', 't', 0), { code: 'ERR_CONFIG_BAD_VALUE' });
  assert.throws(() => parseCron2('minute=x echo', 't', 0), { code: 'ERR_CONFIG_BAD_VALUE' });
});
