// `[NAME ]PLUGIN[:ARGS]` logger values, as uWSGI's setup_chosen_logger() reads them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isUwsgiError } from '../../../src/errors.js';
import { FdTarget } from '../../../src/logging/log-targets.js';
import { createLogger, LOGGER_NAMES, parseLoggerSpec } from '../../../src/logging/loggers.js';

describe('logger values', () => {
  const cases: ReadonlyArray<[string, ReturnType<typeof parseLoggerSpec>]> = [
    ['stdio', { id: undefined, plugin: 'stdio', args: undefined }],
    ['file:/var/log/app.log', { id: undefined, plugin: 'file', args: '/var/log/app.log' }],
    ['errs file:/tmp/e.log', { id: 'errs', plugin: 'file', args: '/tmp/e.log' }],
    ['syslog:', { id: undefined, plugin: 'syslog', args: undefined }],
    ['syslog:me,local3', { id: undefined, plugin: 'syslog', args: 'me,local3' }],
    // a space after a non-alphanumeric prefix is part of the value, not a name
    ['file:/tmp/a b.log', { id: undefined, plugin: 'file', args: '/tmp/a b.log' }],
    ['socket:127.0.0.1:514,pre fix', { id: undefined, plugin: 'socket', args: '127.0.0.1:514,pre fix' }],
  ];
  for (const [value, expected] of cases) {
    it(JSON.stringify(value), () => assert.deepEqual(parseLoggerSpec(value), expected));
  }

  it('the plugins of uWSGI 2.0 that Debian ships as logger plugins are all there', () => {
    assert.deepEqual([...LOGGER_NAMES].sort(), [
      'fd',
      'file',
      'redislog',
      'rsyslog',
      'socket',
      'stdio',
      'syslog',
      'systemd',
      'zeromq',
      'zmq',
    ]);
  });

  for (const value of ['rsyslog:127.0.0.1:1,p', 'redislog:127.0.0.1:1', 'zmq:tcp://127.0.0.1:1', 'systemd']) {
    it(`${value} sends one message per write`, () => {
      const { target } = createLogger(value, new FdTarget(2), 'x', { rsyslogPacketSize: 512 });
      assert.equal(target.perLine, true);
      target.close();
    });
  }

  it('stdio writes to the instance log', () => {
    const output = new FdTarget(2);
    assert.equal(createLogger('stdio', output, 'x').target, output);
  });

  for (const [value, re] of [
    ['mongodblog:127.0.0.1:9090', /unable to find logger 'mongodblog'/],
    ['file', /needs a path/],
    ['socket:/dev/log', /unix datagram/],
    ['socket:nohost', /unix datagram/],
    ['socket:127.0.0.1:99999', /invalid udp address/],
    ['syslog:me,nofacility', /unknown syslog facility/],
    ['fd:x', /file descriptor/],
    ['rsyslog', /needs HOST:PORT/],
    ['rsyslog:/dev/log', /unix datagram/],
    ['redislog:127.0.0.1:6379/db1', /database is not a number/],
    ['zeromq:127.0.0.1:5555', /tcp:\/\/HOST:PORT or ipc:\/\/PATH/],
    ['zmq:pgm://eth0;239.192.1.1:5555', /no pgm/],
  ] as const) {
    it(`refuses ${value}`, () => {
      assert.throws(
        () => createLogger(value, new FdTarget(2), 'app.ini:7'),
        (err) =>
          isUwsgiError(err) &&
          err.code === 'ERR_CONFIG_BAD_VALUE' &&
          re.test(err.message) &&
          /app\.ini:7/.test(err.message),
      );
    });
  }
});
