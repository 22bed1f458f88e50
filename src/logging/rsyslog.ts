// The `rsyslog` logger (uWSGI's rsyslog plugin): one UDP datagram per message to a remote
// syslog, `<PRI>Mmm dd hh:mm:ss PREFIX: message`, as uWSGI 2.0.21 sends it
// (test/fixtures/logging/uwsgi-2.0.21-loggers.json). Sans-I/O: message in, datagrams out.

import { hostname } from 'node:os';
import { UwsgiError } from '../errors.js';
import { ctime } from './ctime.js';
import type { Datagrams, LogText } from './log-targets.js';

export interface RsyslogOptions {
  /** Before `: `; uWSGI's default is `<hostname> uwsgi`. */
  readonly prefix: string;
  /** The syslog PRI value; uWSGI's default is 29 (daemon.notice). */
  readonly priority: number;
  /** `rsyslog-packet-size`: 1024 unless set. */
  readonly packetSize: number;
  /** `rsyslog-split-messages`: a long message is sent in several datagrams instead of cut. */
  readonly split: boolean;
}

export const RSYSLOG_DEFAULT_PACKET_SIZE = 1024;

/**
 * uWSGI keeps 30 bytes of each packet for the header: a message is cut (or split) every
 * `packetSize - 30` bytes, whatever the prefix length, and a datagram of `packetSize` bytes or
 * more is not sent at all (snprintf() truncated it): a long prefix loses its long lines.
 */
const HEADER_RESERVE = 30;

export interface RsyslogAddress {
  readonly host: string;
  readonly port: number;
  readonly options: Omit<RsyslogOptions, 'packetSize' | 'split'>;
}

const bad = (message: string): never => {
  throw new UwsgiError('ERR_CONFIG_BAD_VALUE', message);
};

/**
 * `HOST:PORT[,PREFIX[,PRIORITY]]`. An empty PREFIX is kept empty (`<29>... : msg`, as uWSGI);
 * PRIORITY must be a syslog PRI (0-191), where uWSGI reads `atoi()` of anything.
 */
export function parseRsyslogArgs(args: string | undefined, where: string): RsyslogAddress {
  if (!args) return bad(`the rsyslog logger needs HOST:PORT[,PREFIX[,PRIORITY]] (${where})`);
  const [address = '', prefix, priority, ...rest] = args.split(',');
  if (rest.length > 0)
    return bad(`the rsyslog logger takes HOST:PORT[,PREFIX[,PRIORITY]]: "${args}" (${where})`);
  if (!address.includes(':')) {
    return bad(
      `the rsyslog logger to a unix path (${address}) needs unix datagram sockets, which Node.js does not have; use HOST:PORT (${where})`,
    );
  }
  const colon = address.lastIndexOf(':');
  let host = address.slice(0, colon);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  const port = Number(address.slice(colon + 1));
  if (host === '' || !Number.isInteger(port) || port <= 0 || port > 65535)
    return bad(`invalid rsyslog address "${address}" (${where})`);
  let pri = 29;
  if (priority !== undefined) {
    pri = /^[0-9]+$/.test(priority) ? Number(priority) : -1;
    if (pri < 0 || pri > 191)
      return bad(`the rsyslog priority is not a syslog PRI (0-191): "${priority}" (${where})`);
  }
  return { host, port, options: { prefix: prefix ?? `${hostname()} uwsgi`, priority: pri } };
}

/** `Mmm dd hh:mm:ss` in local time, the day padded with a space (ctime's). */
export function rsyslogDate(epochMs: number): string {
  return ctime(epochMs).slice(4, 19);
}

/** The datagrams of one message; its one trailing newline is not sent. */
export function rsyslogDatagrams(options: RsyslogOptions, now: () => number = Date.now): Datagrams {
  const chunk = Math.max(1, options.packetSize - HEADER_RESERVE);
  const newline = 0x0a;
  return (text: LogText) => {
    let message = typeof text === 'string' ? Buffer.from(text) : text;
    if (message.length > 0 && message[message.length - 1] === newline) message = message.subarray(0, -1);
    const header = Buffer.from(`<${options.priority}>${rsyslogDate(now())} ${options.prefix}: `);
    const packets: Buffer[] = [];
    for (let from = 0; from === 0 || from < message.length; from += chunk) {
      const packet = Buffer.concat([header, message.subarray(from, from + chunk)]);
      if (packet.length < options.packetSize) packets.push(packet);
      if (!options.split) break;
    }
    return packets;
  };
}
