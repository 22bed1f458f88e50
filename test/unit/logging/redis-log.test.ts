// The redislog logger's bytes against uWSGI 2.0.21's (test/fixtures/logging/
// uwsgi-2.0.21-loggers.json): auth/select on connect, one RESP command per line; its values.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isUwsgiError } from '../../../src/errors.js';
import { parseRedisLogArgs, redisLogProtocol, respCommand } from '../../../src/logging/redis-log.js';
import { LOGGING_FIXTURES } from '../../helpers/logging.js';

interface Recording {
  readonly paths: readonly string[];
  readonly redislog: ReadonlyArray<{ readonly args: readonly string[]; readonly bytes: readonly string[] }>;
}
const RECORDED = JSON.parse(
  readFileSync(join(LOGGING_FIXTURES, 'uwsgi-2.0.21-loggers.json'), 'utf8'),
) as Recording;
const LINES = RECORDED.paths.map((p) => `REQ GET ${p} 200\n`);

describe('redislog bytes as uWSGI 2.0.21 sends them', () => {
  for (const c of RECORDED.redislog) {
    it(c.args.join(' '), () => {
      const value = (c.args[c.args.indexOf('--req-logger') + 1] ?? '').slice('redislog:'.length);
      const protocol = redisLogProtocol(parseRedisLogArgs(value.replace('PORT', '6379'), 'x'));
      const ours = Buffer.concat([protocol.hello, ...LINES.map((l) => protocol.frame(l))]);
      assert.equal(c.bytes.length, 1, 'one connection');
      assert.equal(ours.toString(), c.bytes[0]);
    });
  }
});

describe('redislog handshake', () => {
  const withAuth = redisLogProtocol(parseRedisLogArgs('pw@h:1/2', 'x'));
  const plain = redisLogProtocol(parseRedisLogArgs('h:1', 'x'));

  it('waits for one +OK per hello command, then is ready', () => {
    assert.equal(plain.handshake(Buffer.alloc(0)), 'wait');
    assert.equal(plain.handshake(Buffer.from('+O')), 'wait');
    assert.equal(plain.handshake(Buffer.from('+OK\r\n')), 'ready');
    assert.equal(withAuth.handshake(Buffer.from('+OK\r\n')), 'wait');
    assert.equal(withAuth.handshake(Buffer.from('+OK\r\n+OK\r\n')), 'ready');
  });

  it('refuses a connection whose auth or select is not answered +OK (uWSGI reconnects)', () => {
    for (const reply of ['-ERR invalid password\r\n', '+OK\r\n:0\r\n']) {
      const state = withAuth.handshake(Buffer.from(reply));
      assert.ok(typeof state === 'object' && /redis answered/.test(state.refused), reply);
    }
  });
});

describe('redislog values', () => {
  it('defaults: 127.0.0.1:6379, db 0, publish uwsgi, no prefix', () => {
    assert.deepEqual(parseRedisLogArgs(undefined, 'x'), {
      host: '127.0.0.1',
      port: 6379,
      password: undefined,
      db: 0,
      command: ['publish', 'uwsgi'],
      prefix: '',
    });
  });

  it('the address is used without a comma after it (uWSGI 2.0.21 ignores it then)', () => {
    assert.equal(parseRedisLogArgs('10.1.2.3:7000', 'x').port, 7000);
  });

  it('a password may hold @; the prefix keeps its commas; words are split at spaces', () => {
    const spec = parseRedisLogArgs('p@ss@[::1]:7000/15,  lpush   k ,pre,fix', 'x');
    assert.deepEqual(spec, {
      host: '::1',
      port: 7000,
      password: 'p@ss',
      db: 15,
      command: ['lpush', 'k'],
      prefix: 'pre,fix',
    });
  });

  it('RESP bulk strings count bytes, not characters', () => {
    assert.equal(respCommand(['publish', 'é']).toString(), '*2\r\n$7\r\npublish\r\n$2\r\né\r\n');
  });

  for (const [value, re] of [
    ['h:1/x', /database is not a number/],
    ['h:99999', /invalid redislog address/],
    [':1', /invalid redislog address/],
  ] as const) {
    it(`refuses ${value}`, () => {
      assert.throws(
        () => parseRedisLogArgs(value, 'app.ini:5'),
        (err) =>
          isUwsgiError(err) &&
          err.code === 'ERR_CONFIG_BAD_VALUE' &&
          re.test(err.message) &&
          /app\.ini:5/.test(err.message),
      );
    });
  }
});
