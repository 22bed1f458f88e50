// The alarm plugins (`alarm = NAME PLUGIN:ARGS`, reference §2.9): what an alarm does with its
// message. uWSGI 2.0.21 ships signal, cmd, mule and log in its core; curl, xmpp and the others
// are plugins uwsgi-ts does not provide and refuses by name, with what to use instead.

import { spawn } from 'node:child_process';
import { UwsgiError } from '../errors.js';
import { ctime } from '../logging/ctime.js';

/** What the plugins need of the master. */
export interface AlarmHost {
  /** A line of the instance's log. */
  log(line: string): void;
  now(): number;
  /** Raises uwsgi signal `signum` (0-255); absent while the signal subsystem is not there. */
  readonly raiseSignal?: ((signum: number) => void) | undefined;
  /** Runs a shell command with `stdin` as its input (default: /bin/sh -c, output to the log). */
  readonly runCommand?: ((command: string, stdin: string) => void) | undefined;
}

/** An alarm instance's action, given the message (truncated to alarm-msg-size). */
export type AlarmAction = (message: string) => void;

interface PluginRow {
  readonly create?: (args: string, host: AlarmHost, what: string) => AlarmAction;
  /** Why uwsgi-ts does not provide it. */
  readonly refused?: string;
}

/** uWSGI's cmd alarm: the command runs through the shell, the message on its stdin. */
export function runShellCommand(host: Pick<AlarmHost, 'log'>, command: string, stdin: string): void {
  const child = spawn('/bin/sh', ['-c', command], { stdio: ['pipe', 'pipe', 'pipe'] });
  const forward = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) if (line !== '') host.log(line);
  };
  child.stdout.on('data', forward);
  child.stderr.on('data', forward);
  child.stdin.on('error', () => {});
  child.on('error', (err) => host.log(`alarm command "${command}": ${err.message}`));
  // uWSGI's reaper line for the command's process
  child.on('exit', (code, signal) =>
    host.log(
      signal
        ? `subprocess ${child.pid} exited by signal ${signal}`
        : `subprocess ${child.pid} exited with code ${code}`,
    ),
  );
  child.stdin.end(stdin);
}

export const ALARM_PLUGINS: Readonly<Record<string, PluginRow>> = {
  cmd: {
    create: (args, host, what) => {
      if (args === '')
        throw new UwsgiError('ERR_CONFIG_BAD_VALUE', `${what}: cmd needs a command (cmd:COMMAND)`);
      const run = host.runCommand ?? ((command, stdin) => runShellCommand(host, command, stdin));
      return (message) => run(args, message);
    },
  },
  // uwsgi_log_verbose(): the date, then ALARM:, the plugin's args and the message (recorded)
  log: {
    create: (args, host) => (message) =>
      host.log(`${ctime(host.now())} - ALARM: ${args === '' ? '' : `${args} `}${message.replace(/\n$/, '')}`),
  },
  signal: {
    create: (args, host, what) => {
      const signum = Number(args);
      if (!/^[0-9]+$/.test(args) || signum > 255)
        throw new UwsgiError(
          'ERR_CONFIG_BAD_VALUE',
          `${what}: signal needs a uwsgi signal number 0-255 (signal:N)`,
        );
      const raise = host.raiseSignal;
      if (!raise) {
        throw new UwsgiError(
          'ERR_ALARM_PLUGIN',
          `${what}: the signal alarm is not available: uwsgi signals are not part of this uwsgi-ts yet (use a cmd alarm)`,
        );
      }
      return () => raise(signum);
    },
  },
  mule: { refused: 'uwsgi-ts has no mules yet: use a cmd alarm' },
  curl: { refused: 'no libcurl in uwsgi-ts: use a cmd alarm running curl' },
  xmpp: { refused: 'no XMPP client in uwsgi-ts: use a cmd alarm' },
  speech: { refused: 'no speech synthesis in uwsgi-ts: use a cmd alarm' },
  airbrake: { refused: 'no Airbrake client in uwsgi-ts: use a cmd alarm' },
  sentry: { refused: 'no Sentry client in uwsgi-ts: use a cmd alarm' },
};

/** The plugins uwsgi-ts runs, for `alarm-list`. */
export function servedAlarmPlugins(host: AlarmHost): string[] {
  return Object.entries(ALARM_PLUGINS)
    .filter(([name, row]) => row.create && (name !== 'signal' || host.raiseSignal))
    .map(([name]) => name);
}

export interface AlarmDefinition {
  readonly name: string;
  readonly plugin: string;
  readonly args: string;
  readonly where: string;
}

/** `NAME PLUGIN:ARGS` (uWSGI splits at the first space, then at the first colon). */
export function parseAlarm(text: string, where: string): AlarmDefinition {
  const value = text.trim();
  const space = value.indexOf(' ');
  const name = space < 0 ? '' : value.slice(0, space);
  const rest = space < 0 ? '' : value.slice(space + 1).trim();
  if (!name || !rest)
    throw new UwsgiError('ERR_CONFIG_BAD_VALUE', `alarm "${value}" (${where}): give NAME PLUGIN:ARGS`);
  const colon = rest.indexOf(':');
  return {
    name,
    plugin: colon < 0 ? rest : rest.slice(0, colon),
    args: colon < 0 ? '' : rest.slice(colon + 1),
    where,
  };
}

/** The action of one `alarm` line: refused plugins and unknown ones are errors at start-up. */
export function createAlarmAction(def: AlarmDefinition, host: AlarmHost): AlarmAction {
  const what = `alarm ${def.name} (${def.where})`;
  const row = Object.hasOwn(ALARM_PLUGINS, def.plugin) ? ALARM_PLUGINS[def.plugin] : undefined;
  if (!row)
    throw new UwsgiError('ERR_CONFIG_BAD_VALUE', `${what}: unable to find alarm plugin "${def.plugin}"`);
  if (!row.create)
    throw new UwsgiError(
      'ERR_ALARM_PLUGIN',
      `${what}: the ${def.plugin} alarm is not supported: ${row.refused}`,
    );
  return row.create(def.args, host, what);
}
