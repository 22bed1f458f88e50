// `logger` / `req-logger` values, uWSGI's `[NAME ]PLUGIN[:ARGS]` (core/logging.c
// setup_chosen_logger): an alphanumeric NAME before the first space makes the logger reachable
// only through `log-route` / `log-req-route`. Plugins are a table: file, fd, stdio, socket,
// syslog, rsyslog, redislog, zeromq/zmq, systemd.

import { parseKeyValues } from '../config/value-kinds.js';
import { UwsgiError } from '../errors.js';
import { journalSocketPath, journalStreamProtocol } from './journald.js';
import {
  FdTarget,
  LogFile,
  type LogTarget,
  parseUdpAddress,
  SYSLOG_FACILITIES,
  SyslogTarget,
  UdpTarget,
} from './log-targets.js';
import { parseRedisLogArgs, redisLogProtocol } from './redis-log.js';
import { parseRsyslogArgs, RSYSLOG_DEFAULT_PACKET_SIZE, rsyslogDatagrams } from './rsyslog.js';
import { StreamTarget } from './stream-target.js';
import { parseZmqEndpoint, zmtpPushProtocol } from './zeromq-log.js';

export interface LoggerSpec {
  /** Set when the value starts with `NAME `: the logger only receives routed lines. */
  readonly id: string | undefined;
  readonly plugin: string;
  /** After the first `:`; undefined when absent or empty (as uWSGI treats it). */
  readonly args: string | undefined;
}

export interface Logger {
  readonly id: string | undefined;
  readonly plugin: string;
  readonly target: LogTarget;
}

export function parseLoggerSpec(value: string): LoggerSpec {
  let id: string | undefined;
  let rest = value;
  const space = value.indexOf(' ');
  if (space >= 0 && /^[A-Za-z0-9]*$/.test(value.slice(0, space))) {
    id = value.slice(0, space);
    rest = value.slice(space + 1);
  }
  const colon = rest.indexOf(':');
  const plugin = colon < 0 ? rest : rest.slice(0, colon);
  const args = colon < 0 ? undefined : rest.slice(colon + 1) || undefined;
  return { id, plugin, args };
}

/** Settings of the instance that some loggers read (uWSGI's rsyslog-* options). */
export interface LoggerOptions {
  /** `rsyslog-packet-size`. */
  readonly rsyslogPacketSize?: number | undefined;
  /** `rsyslog-split-messages`. */
  readonly rsyslogSplit?: boolean;
}

interface LoggerContext {
  /** The instance's own log (what `stdio` writes to). */
  readonly output: LogTarget;
  readonly where: string;
  readonly options: LoggerOptions;
}

/** The zeromq logger (two names in uWSGI's logzmq plugin). */
const zeromq = (args: string | undefined, ctx: LoggerContext): LogTarget => {
  const address = parseZmqEndpoint(args, ctx.where);
  return new StreamTarget(address, zmtpPushProtocol(), { describe: `zeromq logger ${args}` });
};

const bad = (message: string): never => {
  throw new UwsgiError('ERR_CONFIG_BAD_VALUE', message);
};

/** One row per logger plugin (the ones uWSGI 2.0 ships as logfile, logsocket and syslog). */
const PLUGINS: Readonly<Record<string, (args: string | undefined, ctx: LoggerContext) => LogTarget>> = {
  // file:PATH or file:logfile=PATH,maxsize=N,backupname=NAME (plugins/logfile)
  file: (args, ctx) => {
    if (!args) return bad(`the file logger needs a path (${ctx.where})`);
    if (!args.includes('=')) return new LogFile(args);
    const kv = parseKeyValues(args);
    const path = kv['logfile'];
    if (!path) return bad(`the file logger needs logfile=PATH (${ctx.where})`);
    const maxSize = Number(kv['maxsize'] ?? 0);
    if (!Number.isSafeInteger(maxSize) || maxSize < 0)
      return bad(`the file logger's maxsize is not a size: "${kv['maxsize']}" (${ctx.where})`);
    return new LogFile(path, { maxSize, backupName: kv['backupname'] });
  },
  fd: (args, ctx) => {
    const fd = Number(args);
    if (!Number.isInteger(fd) || fd < 0) return bad(`the fd logger needs a file descriptor (${ctx.where})`);
    return new FdTarget(fd);
  },
  stdio: (_args, ctx) => ctx.output,
  // socket:HOST:PORT[,PREFIX] (plugins/logsocket)
  socket: (args, ctx) => {
    if (!args) return bad(`the socket logger needs an address (${ctx.where})`);
    const comma = args.indexOf(',');
    const address = comma < 0 ? args : args.slice(0, comma);
    const prefix = comma < 0 ? '' : args.slice(comma + 1);
    if (!address.includes(':')) {
      return bad(
        `the socket logger to a unix path (${address}) needs unix datagram sockets, which Node.js does not have; use HOST:PORT (udp) or syslog (${ctx.where})`,
      );
    }
    const { host, port } = parseUdpAddress(address, ctx.where);
    return new UdpTarget(host, port, prefix);
  },
  // syslog[:IDENT[,FACILITY]] (plugins/syslog): ident "uwsgi", facility daemon by default
  syslog: (args, ctx) => {
    const comma = args === undefined ? -1 : args.indexOf(',');
    const ident = (comma < 0 ? args : args?.slice(0, comma)) || 'uwsgi';
    const facility = comma < 0 ? 'daemon' : (args?.slice(comma + 1) ?? 'daemon');
    if (!SYSLOG_FACILITIES.has(facility)) return bad(`unknown syslog facility "${facility}" (${ctx.where})`);
    return new SyslogTarget(ident, facility);
  },
  // rsyslog:HOST:PORT[,PREFIX[,PRIORITY]] (plugins/rsyslog): UDP to a remote syslog
  rsyslog: (args, ctx) => {
    const { host, port, options } = parseRsyslogArgs(args, ctx.where);
    const packetSize = ctx.options.rsyslogPacketSize ?? RSYSLOG_DEFAULT_PACKET_SIZE;
    const split = ctx.options.rsyslogSplit === true;
    return new UdpTarget(host, port, rsyslogDatagrams({ ...options, packetSize, split }));
  },
  // redislog[:[PASSWORD@]HOST:PORT[/DB][,COMMAND[,PREFIX]]] (plugins/redislog)
  redislog: (args, ctx) => {
    const spec = parseRedisLogArgs(args, ctx.where);
    return new StreamTarget({ host: spec.host, port: spec.port }, redisLogProtocol(spec), {
      describe: `redislog logger ${spec.host}:${spec.port}`,
    });
  },
  zeromq,
  zmq: zeromq,
  // systemd (plugins/systemd_logger): takes no arguments (uWSGI ignores them too)
  systemd: () =>
    new StreamTarget({ path: journalSocketPath() }, journalStreamProtocol(), {
      describe: `systemd logger ${journalSocketPath()}`,
    }),
};

/** The logger plugins, in the order `logger-list` prints them. */
export const LOGGER_NAMES: readonly string[] = Object.keys(PLUGINS);

/** Builds a logger from its option value; an unknown plugin is an error, as in uWSGI. */
export function createLogger(
  value: string,
  output: LogTarget,
  where: string,
  options: LoggerOptions = {},
): Logger {
  const spec = parseLoggerSpec(value);
  const make = Object.hasOwn(PLUGINS, spec.plugin) ? PLUGINS[spec.plugin] : undefined;
  if (!make) {
    throw new UwsgiError(
      'ERR_CONFIG_BAD_VALUE',
      `unable to find logger '${spec.plugin}' (${where}); uwsgi-ts has ${Object.keys(PLUGINS).join(', ')}`,
    );
  }
  return { id: spec.id, plugin: spec.plugin, target: make(spec.args, { output, where, options }) };
}
