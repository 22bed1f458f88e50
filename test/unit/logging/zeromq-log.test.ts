// The zeromq logger's ZMTP 3.1 bytes against what libzmq wrote for uWSGI 2.0.21's logzmq plugin
// (test/fixtures/logging/uwsgi-2.0.21-loggers.json): greeting, READY, short and long frames.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isUwsgiError } from '../../../src/errors.js';
import {
  parseZmqEndpoint,
  ZMTP_GREETING,
  zmtpFrame,
  zmtpPushProtocol,
  zmtpReady,
} from '../../../src/logging/zeromq-log.js';
import { LOGGING_FIXTURES } from '../../helpers/logging.js';

interface Recording {
  readonly paths: readonly string[];
  readonly zeromq: { readonly peer: string; readonly hex: readonly string[] };
}
const RECORDED = JSON.parse(
  readFileSync(join(LOGGING_FIXTURES, 'uwsgi-2.0.21-loggers.json'), 'utf8'),
) as Recording;
const LINES = RECORDED.paths.map((p) => `REQ GET ${p} 200\n`);
const PEER = Buffer.from(RECORDED.zeromq.peer, 'hex');

describe('zeromq (ZMTP 3.1 PUSH) as libzmq sends it for uWSGI 2.0.21', () => {
  it('greeting, READY with Socket-Type PUSH, then one frame per line (newline kept)', () => {
    const protocol = zmtpPushProtocol();
    const ours = Buffer.concat([protocol.hello, ...LINES.map((l) => protocol.frame(l))]);
    assert.equal(RECORDED.zeromq.hex.length, 1, 'one connection');
    assert.equal(ours.toString('hex'), RECORDED.zeromq.hex[0]);
  });

  it('the recording has a short frame (flags 0) and long frames (flags 2, 8-byte size)', () => {
    const bytes = Buffer.from(RECORDED.zeromq.hex[0] ?? '', 'hex');
    const afterHello = bytes.subarray(ZMTP_GREETING.length + zmtpReady('PUSH').length);
    assert.equal(afterHello[0], 0);
    assert.equal(zmtpFrame(0, Buffer.alloc(256))[0], 2);
    assert.equal(zmtpFrame(0, Buffer.alloc(255)).length, 257);
  });
});

describe('zeromq handshake', () => {
  const protocol = zmtpPushProtocol();

  it('waits for the whole greeting and the READY command, even byte by byte', () => {
    for (let n = 0; n < PEER.length; n++)
      assert.equal(protocol.handshake(PEER.subarray(0, n)), 'wait', `${n}`);
    assert.equal(protocol.handshake(PEER), 'ready');
  });

  it('refuses a peer that is not ZMTP 3 with NULL, or answers ERROR', () => {
    const http = Buffer.from('HTTP/1.1 400 Bad Request\r\n');
    const v2 = Buffer.from(PEER);
    v2[10] = 2;
    const plain = Buffer.from(PEER);
    plain.write('PLAIN', 12, 'latin1');
    const error = Buffer.concat([
      PEER.subarray(0, 64),
      zmtpFrame(4, Buffer.from('\x05ERROR\x03bad', 'latin1')),
    ]);
    for (const [name, bytes] of [
      ['http', http],
      ['v2', v2],
      ['plain', plain],
      ['error', error],
    ] as const) {
      assert.equal(typeof protocol.handshake(bytes), 'object', name);
    }
  });
});

describe('zeromq endpoints', () => {
  it('tcp://HOST:PORT and ipc://PATH', () => {
    assert.deepEqual(parseZmqEndpoint('tcp://127.0.0.1:5555', 'x'), { host: '127.0.0.1', port: 5555 });
    assert.deepEqual(parseZmqEndpoint('tcp://[::1]:5555', 'x'), { host: '::1', port: 5555 });
    assert.deepEqual(parseZmqEndpoint('ipc:///run/logs.sock', 'x'), { path: '/run/logs.sock' });
  });

  for (const value of [
    undefined,
    '127.0.0.1:5555',
    'tcp://h',
    'tcp://h:0',
    'pgm://eth0;239.1.1.1:5555',
    'inproc://x',
  ]) {
    it(`refuses ${value}`, () => {
      assert.throws(
        () => parseZmqEndpoint(value, 'app.ini:6'),
        (err) => isUwsgiError(err) && err.code === 'ERR_CONFIG_BAD_VALUE' && /app\.ini:6/.test(err.message),
      );
    });
  }
});
