// The `zeromq` (`zmq`) logger (uWSGI's logzmq plugin): a ZeroMQ PUSH socket connected to
// `tcp://HOST:PORT` or `ipc://PATH`, one single-frame message per line (its newline kept). Node
// has no libzmq: this is ZMTP 3.1 with the NULL mechanism (rfc.zeromq.org/spec/23), the bytes
// libzmq 4 wrote for uWSGI 2.0.21 (test/fixtures/logging/uwsgi-2.0.21-loggers.json). Sans-I/O.

import { UwsgiError } from '../errors.js';
import type { LogText } from './log-targets.js';
import type { StreamAddress, StreamProtocol } from './stream-target.js';

/** Signature (libzmq puts 1 in the last padding byte), version 3.1, NULL, not as-server. */
export const ZMTP_GREETING: Buffer = (() => {
  const g = Buffer.alloc(64);
  g[0] = 0xff;
  g[8] = 0x01;
  g[9] = 0x7f;
  g[10] = 3;
  g[11] = 1;
  g.write('NULL', 12, 'latin1');
  return g;
})();

const FLAG_LONG = 0x02;
const FLAG_COMMAND = 0x04;

/** A frame: flags, then a 1-byte size (short) or an 8-byte big-endian size (long). */
export function zmtpFrame(flags: number, body: Buffer): Buffer {
  if (body.length <= 255) return Buffer.concat([Buffer.from([flags, body.length]), body]);
  const head = Buffer.alloc(9);
  head[0] = flags | FLAG_LONG;
  head.writeBigUInt64BE(BigInt(body.length), 1);
  return Buffer.concat([head, body]);
}

/** The READY command with its one property, `Socket-Type`. */
export function zmtpReady(socketType: string): Buffer {
  const name = Buffer.from('Socket-Type', 'latin1');
  const value = Buffer.from(socketType, 'latin1');
  const size = Buffer.alloc(4);
  size.writeUInt32BE(value.length);
  const body = Buffer.concat([
    Buffer.from([5]),
    Buffer.from('READY', 'latin1'),
    Buffer.from([name.length]),
    name,
    size,
    value,
  ]);
  return zmtpFrame(FLAG_COMMAND, body);
}

/** Where the first frame after `offset` ends, or -1 while it is incomplete. */
function frameEnd(bytes: Buffer, offset: number): number {
  if (bytes.length < offset + 2) return -1;
  const flags = bytes[offset] ?? 0;
  if (flags & FLAG_LONG) {
    if (bytes.length < offset + 9) return -1;
    const end = offset + 9 + Number(bytes.readBigUInt64BE(offset + 1));
    return bytes.length < end ? -1 : end;
  }
  const end = offset + 2 + (bytes[offset + 1] ?? 0);
  return bytes.length < end ? -1 : end;
}

/**
 * The peer's greeting (ZMTP 3, NULL) then its first command (READY, or ERROR): a PUSH socket
 * sends nothing before, and reads nothing after.
 */
export function zmtpPushProtocol(): StreamProtocol {
  return {
    hello: Buffer.concat([ZMTP_GREETING, zmtpReady('PUSH')]),
    handshake(received) {
      if (received.length >= 10 && (received[0] !== 0xff || received[9] !== 0x7f))
        return { refused: 'the peer does not speak ZMTP' };
      if (received.length < 64) return 'wait';
      if ((received[10] ?? 0) < 3) return { refused: `the peer speaks ZMTP ${received[10]} (3 is needed)` };
      const mechanism = received.subarray(12, 32).toString('latin1').replace(/\0+$/, '');
      if (mechanism !== 'NULL')
        return { refused: `the peer asks for the ${mechanism} mechanism (NULL only)` };
      const end = frameEnd(received, 64);
      if (end < 0) return 'wait';
      const flags = received[64] ?? 0;
      const body = received.subarray(64 + (flags & FLAG_LONG ? 9 : 2), end);
      const nameLength = body[0] ?? 0;
      const name = body.subarray(1, 1 + nameLength).toString('latin1');
      if (!(flags & FLAG_COMMAND) || name !== 'READY')
        return { refused: `the peer answered ${name || 'a message'}, not READY` };
      return 'ready';
    },
    frame(text: LogText) {
      return zmtpFrame(0, typeof text === 'string' ? Buffer.from(text) : text);
    },
  };
}

/** `tcp://HOST:PORT` or `ipc://PATH` (the transports that are a plain stream socket). */
export function parseZmqEndpoint(args: string | undefined, where: string): StreamAddress {
  const value = args ?? '';
  const tcp = value.match(/^tcp:\/\/(\[[^\]]+\]|[^:/]+):([0-9]+)$/);
  if (tcp) {
    const port = Number(tcp[2]);
    if (port > 0 && port <= 65535) return { host: (tcp[1] ?? '').replace(/^\[|\]$/g, ''), port };
  }
  if (value.startsWith('ipc://') && value.length > 6) return { path: value.slice(6) };
  throw new UwsgiError(
    'ERR_CONFIG_BAD_VALUE',
    `the zeromq logger needs tcp://HOST:PORT or ipc://PATH (uwsgi-ts has no pgm, epgm or inproc): "${value}" (${where})`,
  );
}
