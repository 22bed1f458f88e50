// From the frozen Config to the logging of an instance: whether the master owns the log (every
// option that needs one writer: rotation, encoders, loggers, routes, drains, log-date), the
// master's LogSink, and the request-log part of each worker's plan.

import { fchownSync } from 'node:fs';
import { formatOrigin } from '../config/entry.js';
import type { Config } from '../config/resolve.js';
import { UwsgiError } from '../errors.js';
import { accountId } from '../os/accounts.js';
import { ctime } from './ctime.js';
import { type LogEncoder, parseEncoder } from './encoders.js';
import type { LogChain, LogRoute } from './log-sink.js';
import { LogSink } from './log-sink.js';
import {
  FdTarget,
  LateTarget,
  LogFile,
  type LogTarget,
  openLogFile,
  parseUdpAddress,
  UdpTarget,
} from './log-targets.js';
import { createLogger, LOGGER_NAMES, type Logger, type LoggerOptions } from './loggers.js';
import type { RequestLogSettings } from './request-log.js';
import { compileStrftime } from './strftime.js';

/** The logging part of a worker's plan. */
export interface WorkerLogging extends RequestLogSettings {
  /** No request is ever logged (`disable-logging` and none of its exceptions): nothing to track. */
  readonly disabled: boolean;
  /** The worker sends its own lines over IPC (`{t:'log'}`) instead of writing them to stderr. */
  readonly logMaster: boolean;
}

/** Options that need the master to be the only writer of the log (uWSGI: UWSGI_OPT_LOG_MASTER). */
const MASTER_OWNED = [
  'log-master',
  'threaded-logger',
  'log-reopen',
  'touch-logrotate',
  'touch-logreopen',
  'log-encoder',
  'log-req-encoder',
  'logger',
  'req-logger',
  'log-route',
  'log-req-route',
  'log-drain',
  'log-filter',
  'log-date',
  'log-prefix',
  'log-syslog',
  'log-socket',
  // opened by the master after dropping privileges: workers started before cannot inherit it
  'logto2',
  // log-alarm: the master must see every line (uWSGI: UWSGI_OPT_LOG_MASTER)
  'alarm-log',
  'not-log-alarm',
] as const;

/** uWSGI's logto(): a value with a `:` is a UDP address. */
export function isUdpLogto(value: string): boolean {
  return value.includes(':');
}

/**
 * Whether the master owns the log: workers' stdout/stderr and request lines then reach it through
 * pipes and only the master writes the destination.
 */
export function masterOwnsLog(config: Config): boolean {
  if ((config.value('log-maxsize') ?? 0) > 0) return true;
  const logto = config.value('logto');
  if (logto !== undefined && isUdpLogto(logto)) return true;
  return MASTER_OWNED.some((name) => config.get(name) !== undefined && config.value(name) !== false);
}

/** The request-log settings of the workers (read again from the config at each spawn: reloads). */
export function workerLogging(config: Config, masterOwned: boolean): WorkerLogging {
  const when = {
    status4xx: config.value('log-4xx') === true,
    status5xx: config.value('log-5xx') === true,
    zero: config.value('log-zero') === true,
    slowMs: config.value('log-slow') ?? 0,
    bigBytes: config.value('log-big') ?? 0,
    ioError: config.value('log-ioerror') === true,
  };
  const all = config.value('disable-logging') !== true;
  const filtered =
    when.status4xx || when.status5xx || when.zero || when.slowMs > 0 || when.bigBytes > 0 || when.ioError;
  const date = dateFormat(config);
  return {
    disabled: !all && !filtered,
    all,
    micros: config.value('log-micros') === true,
    format: config.value('log-format'),
    ftime: config.value('logformat-strftime') === true ? date : undefined,
    xForwardedFor: config.value('log-x-forwarded-for') === true,
    memoryReport: config.value('memory-report') === true,
    when,
    toMaster: masterOwned,
    // the worker's own lines (rare) over IPC, so the master can tell them from an app's output on
    // stderr: uWSGI puts the log-date before its own lines only
    logMaster: masterOwned,
  };
}

/**
 * The strftime format of `log-date`/`log-prefix` (uwsgi_opt_log_date: both options set the same
 * thing; `true`, `1`, `on`, `yes` or nothing mean C's ctime()). undefined: ctime, or no date.
 */
function dateFormat(config: Config): string | undefined {
  const value = lastDateOption(config)?.raw;
  if (value === undefined || value === '' || ['true', '1', 'on', 'yes'].includes(value.toLowerCase()))
    return undefined;
  return value;
}

/** Whichever of `log-date`/`log-prefix` came last (they set the same thing in uWSGI). */
function lastDateOption(config: Config): { readonly raw: string } | undefined {
  const date = config.get('log-date');
  const prefix = config.get('log-prefix');
  if (!date || !prefix) return date ?? prefix;
  const entries = config.entries;
  const at = (o: typeof date) => entries.findIndex((e) => e.origin === o.origin);
  return at(prefix) > at(date) ? prefix : date;
}

/** The prefix of the master's and workers' own lines: `<date> - `, as uwsgi_log() writes it. */
function linePrefix(config: Config): ((epochMs: number) => string) | undefined {
  if (lastDateOption(config) === undefined) return undefined;
  const format = dateFormat(config);
  if (format === undefined) return (ms) => `${ctime(ms)} - `;
  const render = compileStrftime(format);
  return (ms) => `${render(ms)} - `;
}

function regexps(config: Config, name: 'log-drain' | 'log-filter'): RegExp[] {
  return config.all(name).map((o) => compile(o.value, `${name} (${formatOrigin(o.origin)})`));
}

function compile(pattern: string, what: string): RegExp {
  try {
    return new RegExp(pattern);
  } catch (err) {
    throw new UwsgiError(
      'ERR_CONFIG_BAD_VALUE',
      `invalid regexp "${pattern}" in ${what}: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}

/** `log-route = NAME REGEXP` (uwsgi_opt_add_regexp_custom_list: split at the first space). */
function routes(config: Config, name: 'log-route' | 'log-req-route', loggers: readonly Logger[]): LogRoute[] {
  return config.all(name).map((o) => {
    const where = `${name} (${formatOrigin(o.origin)})`;
    const space = o.value.indexOf(' ');
    if (space <= 0) throw new UwsgiError('ERR_CONFIG_BAD_VALUE', `${where} needs NAME REGEXP: "${o.value}"`);
    const id = o.value.slice(0, space);
    return { pattern: compile(o.value.slice(space + 1), where), logger: loggers.find((l) => l.id === id) };
  });
}

function encoders(config: Config, name: 'log-encoder' | 'log-req-encoder'): LogEncoder[] {
  return config.all(name).map((o) => parseEncoder(o.value, `${name} (${formatOrigin(o.origin)})`));
}

export interface LogOutputSpec {
  /** The fd the CLI opened (the logto or daemonize file), or 2. */
  readonly fd: number;
  /** The file behind `fd`, when it is one (rotation and reopen need its name). */
  readonly path: string | undefined;
}

const isSet = (
  config: Config,
  name: 'logger-list' | 'log-master-stream' | 'log-master-req-stream' | 'logfile-chown',
) => config.value(name) === true;
function fileMode(config: Config): number | undefined {
  return config.value('logfile-chmod');
}

/** `uid`/`gid` as numbers, for `logfile-chown` (-1: not set, that one is left as it is). */
function ownerIds(config: Config): { uid: number; gid: number } {
  const id = (kind: 'user' | 'group', name: string | undefined) =>
    name === undefined ? -1 : (accountId(kind, name) ?? -1);
  return { uid: id('user', config.value('uid')), gid: id('group', config.value('gid')) };
}

/**
 * Opens the `logto` file as uWSGI's logto() does: appending (truncating with `log-truncate`),
 * mode 0640 or `logfile-chmod`, given to `uid`/`gid` with `logfile-chown` (the file is opened
 * before privileges are dropped). Returns the fd the master and the workers write to.
 */
export function openLogto(config: Config, path: string): number {
  const fd = openLogFile(path, config.value('log-truncate') === true, fileMode(config));
  if (isSet(config, 'logfile-chown')) {
    const { uid, gid } = ownerIds(config);
    try {
      fchownSync(fd, uid, gid);
    } catch (err) {
      throw new UwsgiError(
        'ERR_PROCESS_PRIVILEGES',
        `logfile-chown: cannot give ${path} to ${config.value('uid') ?? '-'}:${config.value('gid') ?? '-'}: ${err instanceof Error ? err.message : String(err)}`,
        { cause: err },
      );
    }
  }
  return fd;
}

/** A logto/logto2 value: a UDP address, or a file opened now (rotatable). */
function logtoTarget(config: Config, value: string, option: 'logto' | 'logto2', fd?: number): LogTarget {
  if (isUdpLogto(value)) {
    const origin = config.get(option)?.origin;
    const { host, port } = parseUdpAddress(value, `${option}${origin ? ` (${formatOrigin(origin)})` : ''}`);
    return new UdpTarget(host, port);
  }
  return new LogFile(value, {
    fd: fd ?? openLogFile(value, config.value('log-truncate') === true, fileMode(config)),
    maxSize: config.value('log-maxsize') ?? 0,
    backupName: config.value('log-backupname'),
    chmod: fileMode(config),
  });
}

/** The instance's own log: the logto file (rotatable), a UDP address, or stderr; logto2 later. */
function createOutput(config: Config, spec: LogOutputSpec): LogTarget {
  const logto = config.value('logto');
  let output: LogTarget;
  if (logto !== undefined && isUdpLogto(logto)) output = logtoTarget(config, logto, 'logto');
  else if (spec.path === undefined || spec.fd === 2) output = new FdTarget(spec.fd);
  else output = logtoTarget(config, spec.path, 'logto', spec.fd);
  const logto2 = config.value('logto2');
  if (logto2 === undefined) return output;
  return new LateTarget(output, () => logtoTarget(config, logto2, 'logto2'), isUdpLogto(logto2));
}

/** What `logger-list` prints (uWSGI prints the loggers its plugins registered). */
function loggerList(): string[] {
  return ['', '*** uWSGI loaded loggers ***', ...LOGGER_NAMES, '--- end of loggers list ---', ''];
}

/**
 * `log-master-bufsize`: the longest line read from a worker's pipes (uWSGI reads its log
 * socketpair with a buffer of that size); `log-master-stream`/`log-master-req-stream` make
 * uWSGI's pipes streams, which cut nothing. 0: no limit.
 */
function maxLines(config: Config): { general: number; request: number } {
  const size = config.value('log-master-bufsize');
  return {
    general: isSet(config, 'log-master-stream') ? 0 : size,
    request: isSet(config, 'log-master-req-stream') ? 0 : size,
  };
}

/**
 * Builds the master's sink. Loggers are created here, so a bad logger, encoder or regexp is an
 * error at startup that names the option and its origin.
 */
export function createLogSink(config: Config, spec: LogOutputSpec): LogSink {
  const output = createOutput(config, spec);
  const options: LoggerOptions = {
    rsyslogPacketSize: config.value('rsyslog-packet-size'),
    rsyslogSplit: config.value('rsyslog-split-messages') === true,
  };
  const build = (name: 'logger' | 'req-logger'): Logger[] => [
    ...config
      .all(name)
      .map((o) => createLogger(o.value, output, `${name} (${formatOrigin(o.origin)})`, options)),
  ];
  const loggers = build('logger');
  const syslog = config.get('log-syslog');
  if (syslog) {
    const ident = syslog.raw === '' || syslog.raw === 'true' ? '' : `:${syslog.raw}`;
    loggers.push(createLogger(`syslog${ident}`, output, `log-syslog (${formatOrigin(syslog.origin)})`));
  }
  for (const o of config.all('log-socket'))
    loggers.push(createLogger(`socket:${o.value}`, output, `log-socket (${formatOrigin(o.origin)})`));
  const reqLoggers = build('req-logger');
  // uWSGI's req-logger and log-req-route give request lines their own chain; log-req-encoder does
  // too here (uWSGI 2.0 ignores it without one of them, README)
  const ownRequestChain =
    reqLoggers.length > 0 ||
    config.all('log-req-route').length > 0 ||
    config.all('log-req-encoder').length > 0;
  const general: LogChain = {
    routes: routes(config, 'log-route', loggers),
    loggers,
    encoders: encoders(config, 'log-encoder'),
  };
  const request: LogChain | undefined = ownRequestChain
    ? {
        // a log-req-route names a logger or a req-logger
        routes: routes(config, 'log-req-route', [...reqLoggers, ...loggers]),
        loggers: reqLoggers,
        encoders: encoders(config, 'log-req-encoder'),
      }
    : undefined;
  const sink = new LogSink({
    output,
    prefix: linePrefix(config),
    maxLine: maxLines(config),
    drains: regexps(config, 'log-drain'),
    filters: regexps(config, 'log-filter'),
    general,
    request,
    owned: masterOwnsLog(config),
    touchRotate: config.all('touch-logrotate').map((o) => o.value),
    touchReopen: config.all('touch-logreopen').map((o) => o.value),
  });
  if (isSet(config, 'logger-list')) for (const line of loggerList()) sink.line(line);
  return sink;
}
