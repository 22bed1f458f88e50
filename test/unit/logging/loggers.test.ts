// `[NAME ]PLUGIN[:ARGS]` logger values, as uWSGI's setup_chosen_logger() reads them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isUwsgiError } from '../../../src/errors.js';
import { FdTarget } from '../../../src/logging/log-targets.js';
import { createLogger, parseLoggerSpec } from '../../../src/logging/loggers.js';

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

  it('stdio writes to the instance log', () => {
    const output = new FdTarget(2);
    assert.equal(createLogger('stdio', output, 'x').target, output);
  });

  for (const [value, re] of [
    ['redislog:127.0.0.1', /unable to find logger 'redislog'/],
    ['file', /needs a path/],
    ['socket:/dev/log', /unix datagram/],
    ['socket:nohost', /unix datagram/],
    ['socket:127.0.0.1:99999', /invalid udp address/],
    ['syslog:me,nofacility', /unknown syslog facility/],
    ['fd:x', /file descriptor/],
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
