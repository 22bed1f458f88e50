// The alarm subsystem with a fake clock and fake actions: definitions and refused plugins, the
// anti-flood (same message within alarm-freq dropped, another message runs), alarm-log and
// not-alarm-log, the backlog message, the log plugin's line, no alarm loop through the log.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { AlarmLogRules, parseAlarmLogRule } from '../../../src/alarm/alarm-log-rules.js';
import { createAlarmAction, parseAlarm } from '../../../src/alarm/alarm-plugins.js';
import { Alarms, parseAlarmFd, truncate } from '../../../src/alarm/alarms.js';
import { loadConfig, processMagicHost } from '../../../src/config/load.js';

const recorded = JSON.parse(
  readFileSync(new URL('../../fixtures/alarm/uwsgi-alarms.json', import.meta.url), 'utf8'),
) as {
  log: { lines: string[] };
  backlog: { alarmMessage: string; masterLine: string };
};

function config(args: string[]) {
  const host = {
    env: {},
    cwd: process.cwd(),
    magic: processMagicHost(),
    log: () => {},
    print: () => {},
    hasPlugin: () => true,
  };
  return loadConfig(args, host).config;
}

function harness(args: string[]) {
  let now = 1_000_000;
  const logs: string[] = [];
  const commands: Array<[string, string]> = [];
  const alarms = new Alarms(config(args), {
    log: (line) => {
      logs.push(line);
      alarms.checkLine(`${line}\n`);
    },
    now: () => now,
    runCommand: (cmd, stdin) => commands.push([cmd, stdin]),
  });
  return {
    alarms,
    logs,
    commands,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

const flush = () => new Promise<void>((r) => queueMicrotask(r));

test('alarm definitions: NAME PLUGIN:ARGS, refused and unknown plugins', () => {
  assert.deepEqual(parseAlarm('mail cmd:mail -s x a@b', 'cli'), {
    name: 'mail',
    plugin: 'cmd',
    args: 'mail -s x a@b',
    where: 'cli',
  });
  assert.deepEqual(parseAlarm('lg log:', 'cli').args, '');
  const host = { log: () => {}, now: () => 0 };
  assert.throws(() => parseAlarm('justaname', 'cli'), { code: 'ERR_CONFIG_BAD_VALUE' });
  for (const refused of ['x mule:1', 'x curl:http://h/', 'x xmpp:a;b;c', 'x signal:17'])
    assert.throws(
      () => createAlarmAction(parseAlarm(refused, 'cli'), host),
      { code: 'ERR_ALARM_PLUGIN' },
      refused,
    );
  assert.throws(() => createAlarmAction(parseAlarm('x nope:1', 'cli'), host), {
    code: 'ERR_CONFIG_BAD_VALUE',
  });
  assert.throws(() => createAlarmAction(parseAlarm('x cmd:', 'cli'), host), { code: 'ERR_CONFIG_BAD_VALUE' });
  // the signal alarm works once the signal subsystem gives the host a way to raise
  const raised: number[] = [];
  createAlarmAction(parseAlarm('x signal:17', 'cli'), { ...host, raiseSignal: (n) => raised.push(n) })('msg');
  assert.deepEqual(raised, [17]);
  assert.throws(
    () => createAlarmAction(parseAlarm('x signal:300', 'cli'), { ...host, raiseSignal: () => {} }),
    { code: 'ERR_CONFIG_BAD_VALUE' },
  );
});

test('anti-flood: the same message within alarm-freq is dropped, another message runs', () => {
  const h = harness(['--alarm', 'a1 cmd:cat', '--alarm-freq', '3']);
  h.alarms.raise('a1', 'BOOM1\n');
  h.advance(300);
  h.alarms.raise('a1', 'BOOM1\n');
  h.advance(300);
  h.alarms.raise('a1', 'BOOM2\n');
  h.advance(3500);
  h.alarms.raise('a1', 'BOOM1\n');
  assert.deepEqual(
    h.commands.map(([, stdin]) => stdin),
    ['BOOM1\n', 'BOOM2\n', 'BOOM1\n'],
  );
  assert.equal(h.alarms.raise('nosuch', 'x'), false);
});

test('alarm-log runs the named alarms with the line; not-alarm-log silences the ones it names', async () => {
  const h = harness([
    '--alarm',
    'a1 cmd:one',
    '--alarm',
    'a2 cmd:two',
    '--alarm-log',
    'a2 ZZ',
    '--not-alarm-log',
    'a1 QUIET',
    '--alarm-log',
    'a1,a2 BOOM',
  ]);
  for (const line of ['BOOM_QUIET\n', 'ZZ_QUIET\n', 'BOOMx\n', 'nothing\n']) h.alarms.checkLine(line);
  await flush();
  assert.deepEqual(h.commands, [
    ['two', 'BOOM_QUIET\n'],
    ['two', 'ZZ_QUIET\n'],
    ['one', 'BOOMx\n'],
    ['two', 'BOOMx\n'],
  ]);
});

test('the log plugin writes uWSGIs ALARM line and does not raise itself again', async () => {
  const h = harness(['--alarm', 'lg log:hello there', '--alarm-log', 'lg BANG|ALARM']);
  h.alarms.checkLine('BANG\n');
  await flush();
  await flush();
  assert.equal(h.logs.length, 1);
  const shape = (line: string) => line.replace(/^\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}/, 'DATE');
  assert.equal(shape(h.logs[0] ?? ''), shape(recorded.log.lines[0] ?? ''));
});

test('alarm-backlog: a full queue is logged and raises the alarm with uWSGIs message', () => {
  const h = harness(['--alarm', 'a1 cmd:cat', '--alarm-backlog', 'a1']);
  h.alarms.checkBacklog([{ name: '127.0.0.1:9301', fd: 3, queue: 1, max: 2 }]);
  assert.equal(h.commands.length, 0);
  h.alarms.checkBacklog([{ name: '127.0.0.1:9301', fd: 3, queue: 3, max: 2 }]);
  assert.deepEqual(h.commands, [['cat', recorded.backlog.alarmMessage]]);
  const shape = (line: string) => line.replace(/^\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}/, 'DATE');
  assert.equal(shape(h.logs[0] ?? ''), shape(recorded.backlog.masterLine));
});

test('options naming unknown alarms, bad regexps and bad alarm-fd values are refused', () => {
  for (const args of [
    ['--alarm', 'a cmd:x', '--alarm-log', 'b BOOM'],
    ['--alarm', 'a cmd:x', '--alarm-backlog', 'b'],
    ['--alarm', 'a cmd:x', '--alarm-log', 'a (unclosed'],
    ['--alarm', 'a cmd:x', '--alarm-log', 'a'],
  ]) {
    assert.throws(() => harness(args), { code: 'ERR_CONFIG_BAD_VALUE' }, args.join(' '));
  }
  assert.deepEqual(parseAlarmFd('oom 7:8 OUT OF MEMORY !!!', 'cli'), {
    alarm: 'oom',
    fd: 7,
    bytes: 8,
    message: 'OUT OF MEMORY !!!',
  });
  assert.equal(parseAlarmFd('oom 7 ready', 'cli').bytes, 1);
  assert.throws(() => parseAlarmFd('oom seven ready', 'cli'), { code: 'ERR_CONFIG_BAD_VALUE' });
});

test('rules are PCRE; messages are cut at alarm-msg-size on a character boundary', () => {
  const rules = new AlarmLogRules([parseAlarmLogRule('a \\d{3} ms$', 'cli', 'alarm-log')], []);
  assert.deepEqual(rules.match('took 250 ms\n'), ['a']);
  assert.deepEqual(rules.match('took 25 ms\n'), []);
  assert.equal(truncate('héllo', 2), 'h');
  assert.equal(truncate('héllo', 3), 'hé');
  assert.equal(truncate('hello', 8192), 'hello');
});

test('alarm-list names the plugins uwsgi-ts runs', () => {
  const h = harness(['--alarm', 'a cmd:x', '--alarm-list']);
  assert.deepEqual(h.alarms.listLines(), [
    '',
    '*** uWSGI loaded alarms ***',
    'cmd',
    'log',
    '--- end of alarms list ---',
    '',
  ]);
});
