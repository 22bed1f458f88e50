// `stats-push = PUSHER:ARGS` (seed manual "Stats pushers"): every `stats-pusher-default-freq`
// seconds the metrics go out, one UDP datagram per metric, in the formats uWSGI 2.0.21's
// stats_pusher_statsd and stats_pusher_socket send (recorded:
// test/fixtures/metrics/uwsgi-stats-push.json). The formats are pure functions; the pusher only
// owns its socket.

import dgram from 'node:dgram';
import { UwsgiError } from '../errors.js';
import { METRIC_TYPES, type MetricType } from './metric-spec.js';

/** One metric as a pusher sees it. */
export interface PushedMetric {
  readonly name: string;
  readonly type: MetricType;
  readonly value: bigint;
}

/** statsd: `PREFIX.NAME:VALUE|g` for gauges, `|c` for the rest (absolute and alias included). */
export function statsdDatagram(prefix: string, m: PushedMetric): string {
  return `${prefix}.${m.name}:${m.value}|${m.type === 'gauge' ? 'g' : 'c'}`;
}

/** socket: `PREFIX.NAME TYPE VALUE`, the type as uWSGI's number (counter 0 ... alias 3). */
export function socketDatagram(prefix: string, m: PushedMetric): string {
  return `${prefix}.${m.name} ${METRIC_TYPES[m.type]} ${m.value}`;
}

type Format = (prefix: string, m: PushedMetric) => string;

interface PusherRow {
  readonly format?: Format;
  /** Why uwsgi-ts does not provide it. */
  readonly refused?: string;
}

/** The pushers of uWSGI 2.0.21's plugins, served or refused by name. */
const PUSHERS: Readonly<Record<string, PusherRow>> = {
  statsd: { format: statsdDatagram },
  socket: { format: socketDatagram },
  file: { refused: 'use the stats server (stats = ADDR) and save its JSON' },
  mongodb: { refused: 'no MongoDB client in uwsgi-ts: push to statsd or carbon' },
  rrdtool: { refused: 'no librrd in uwsgi-ts: push to statsd or carbon' },
  zabbix: { refused: 'no Zabbix sender in uwsgi-ts: push to statsd or carbon' },
};

export interface PusherSpec {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly prefix: string;
  readonly format: Format;
}

/** `statsd:HOST:PORT[,PREFIX]` / `socket:HOST:PORT[,PREFIX]`; the prefix defaults to `uwsgi`. */
export function parseStatsPush(text: string, where: string): PusherSpec {
  const colon = text.indexOf(':');
  const name = colon < 0 ? text : text.slice(0, colon);
  const row = Object.hasOwn(PUSHERS, name) ? PUSHERS[name] : undefined;
  if (!row)
    throw new UwsgiError(
      'ERR_CONFIG_BAD_VALUE',
      `stats-push "${text}" (${where}): unknown pusher "${name}" (statsd or socket; carbon has its own option)`,
    );
  if (!row.format)
    throw new UwsgiError(
      'ERR_CONFIG_BAD_VALUE',
      `stats-push "${text}" (${where}): the ${name} pusher is not supported: ${row.refused}`,
    );
  const args = colon < 0 ? '' : text.slice(colon + 1);
  const comma = args.indexOf(',');
  const addr = comma < 0 ? args : args.slice(0, comma);
  const prefix = comma < 0 ? 'uwsgi' : args.slice(comma + 1);
  const m = /^(.*):([0-9]+)$/.exec(addr);
  if (!m?.[2] || Number(m[2]) > 65535)
    throw new UwsgiError(
      'ERR_CONFIG_BAD_VALUE',
      `stats-push "${text}" (${where}): give ${name}:HOST:PORT[,PREFIX]`,
    );
  const host = (m[1] ?? '').replace(/^\[(.*)\]$/, '$1') || '127.0.0.1';
  return { name, host, port: Number(m[2]), prefix: prefix || 'uwsgi', format: row.format };
}

/** A UDP pusher: its datagrams leave in one burst per push, errors are logged once per push. */
export class UdpPusher {
  private readonly socket: dgram.Socket;

  constructor(
    readonly spec: PusherSpec,
    private readonly log: (line: string) => void,
  ) {
    this.socket = dgram.createSocket(spec.host.includes(':') ? 'udp6' : 'udp4');
    this.socket.on('error', (err) => this.log(`[stats-pusher ${spec.name}] ${err.message}`));
    this.socket.unref();
  }

  push(metrics: readonly PushedMetric[]): void {
    const { spec } = this;
    let failed = false;
    for (const m of metrics) {
      this.socket.send(spec.format(spec.prefix, m), spec.port, spec.host, (err) => {
        if (err && !failed) {
          failed = true;
          this.log(`[stats-pusher ${spec.name}] sending to ${spec.host}:${spec.port}: ${err.message}`);
        }
      });
    }
  }

  close(): void {
    this.socket.close();
  }
}
