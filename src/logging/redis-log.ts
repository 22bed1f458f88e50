// The `redislog` logger (uWSGI's redislog plugin): each message becomes one redis command,
// `publish uwsgi <line>` unless told otherwise, in RESP as uWSGI 2.0.21 writes it
// (test/fixtures/logging/uwsgi-2.0.21-loggers.json). Sans-I/O: the StreamTarget does the I/O.

import { UwsgiError } from '../errors.js';
import type { LogText } from './log-targets.js';
import type { StreamProtocol } from './stream-target.js';

export interface RedisLogSpec {
  readonly host: string;
  readonly port: number;
  readonly password: string | undefined;
  readonly db: number;
  /** The command words before the message (`publish`, `uwsgi`). */
  readonly command: readonly string[];
  readonly prefix: string;
}

const bad = (message: string): never => {
  throw new UwsgiError('ERR_CONFIG_BAD_VALUE', message);
};

/**
 * `[PASSWORD@]HOST:PORT[/DB][,COMMAND[,PREFIX]]`, nothing meaning `127.0.0.1:6379`. COMMAND is
 * split at spaces into words (`rpush mylist`); empty, it is `publish uwsgi`. Everything after the
 * second comma is the prefix. uWSGI 2.0.21 ignores the address unless a comma follows it (it
 * then connects to 127.0.0.1:6379); here the address is always used (README).
 */
export function parseRedisLogArgs(args: string | undefined, where: string): RedisLogSpec {
  const value = args ?? '';
  const first = value.indexOf(',');
  const second = first < 0 ? -1 : value.indexOf(',', first + 1);
  let address = first < 0 ? value : value.slice(0, first);
  const command = first < 0 ? '' : second < 0 ? value.slice(first + 1) : value.slice(first + 1, second);
  const prefix = second < 0 ? '' : value.slice(second + 1);
  if (address === '') address = '127.0.0.1:6379';
  const at = address.lastIndexOf('@');
  const password = at < 0 ? undefined : address.slice(0, at);
  let hostPort = at < 0 ? address : address.slice(at + 1);
  let db = 0;
  const slash = hostPort.indexOf('/');
  if (slash >= 0) {
    const dbText = hostPort.slice(slash + 1);
    if (!/^[0-9]+$/.test(dbText)) return bad(`the redislog database is not a number: "${dbText}" (${where})`);
    db = Number(dbText);
    hostPort = hostPort.slice(0, slash);
  }
  const colon = hostPort.lastIndexOf(':');
  let host = colon < 0 ? hostPort : hostPort.slice(0, colon);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  const port = colon < 0 ? 6379 : Number(hostPort.slice(colon + 1));
  if (host === '' || !Number.isInteger(port) || port <= 0 || port > 65535)
    return bad(`invalid redislog address "${address}" (${where})`);
  const words = command.split(' ').filter((w) => w !== '');
  return {
    host,
    port,
    password,
    db,
    command: words.length > 0 ? words : ['publish', 'uwsgi'],
    prefix,
  };
}

const CRLF = Buffer.from('\r\n');

/** A RESP array of bulk strings: `*N\r\n` then `$LEN\r\nBYTES\r\n` for each. */
export function respCommand(parts: readonly (string | Buffer)[]): Buffer {
  const out: Buffer[] = [Buffer.from(`*${parts.length}\r\n`)];
  for (const part of parts) {
    const bytes = typeof part === 'string' ? Buffer.from(part) : part;
    out.push(Buffer.from(`$${bytes.length}\r\n`), bytes, CRLF);
  }
  return Buffer.concat(out);
}

/** The complete reply lines in `received` (the handshake answers are one line each). */
function replyLines(received: Buffer): Buffer[] {
  const lines: Buffer[] = [];
  let from = 0;
  for (;;) {
    const end = received.indexOf(CRLF, from);
    if (end < 0) return lines;
    lines.push(received.subarray(from, end));
    from = end + 2;
  }
}

/**
 * `auth PASSWORD` (when given) and `select DB` on each connection, each answered `+OK` before
 * lines are sent (uWSGI drops a connection whose `select` is not answered `+OK`); then one
 * command per message, its one trailing newline not sent. Replies to the messages are not read
 * (uWSGI waits for each; pipelining sends the same bytes).
 */
export function redisLogProtocol(spec: RedisLogSpec): StreamProtocol {
  const hello: Buffer[] = [];
  if (spec.password !== undefined) hello.push(respCommand(['auth', spec.password]));
  hello.push(respCommand(['select', String(spec.db)]));
  const prefix = Buffer.from(spec.prefix);
  return {
    hello: Buffer.concat(hello),
    handshake(received) {
      const lines = replyLines(received);
      for (const line of lines.slice(0, hello.length)) {
        if (line.toString('latin1') !== '+OK')
          return { refused: `redis answered "${line.toString('utf8')}"` };
      }
      return lines.length >= hello.length ? 'ready' : 'wait';
    },
    frame(text: LogText) {
      let message = typeof text === 'string' ? Buffer.from(text) : text;
      if (message.length > 0 && message[message.length - 1] === 0x0a) message = message.subarray(0, -1);
      return respCommand([...spec.command, prefix.length > 0 ? Buffer.concat([prefix, message]) : message]);
    },
  };
}
