// Attached daemons from the config (seed manual "Managing external daemons/services", reference
// §2.2): attach-daemon (a foreground command), attach-control-daemon (its death stops the
// instance), smart-attach-daemon (`PIDFILE COMMAND`: the command daemonizes itself and is found
// by its pidfile), smart-attach-daemon2 (the same, staying in the foreground) and attach-daemon2
// (key=value). Every bad value is refused at start with the option's origin.

import { constants } from 'node:os';
import { resolve } from 'node:path';
import { formatOrigin, type Origin } from '../config/entry.js';
import type { Config } from '../config/resolve.js';
import { UwsgiError } from '../errors.js';

export interface DaemonSpec {
  /** 1..N in config order. */
  readonly id: number;
  readonly cmd: string;
  /** Where the daemon writes its pid (smart daemons). */
  readonly pidfile: string | undefined;
  /** The command forks into the background: the pidfile names the daemon, not the shell. */
  readonly daemonize: boolean;
  /** Its death stops the instance (attach-control-daemon, control=1). */
  readonly control: boolean;
  readonly stopSignal: NodeJS.Signals;
  readonly reloadSignal: NodeJS.Signals;
  /** Files whose mtime change restarts the daemon. */
  readonly touch: readonly string[];
  readonly uid: number | undefined;
  readonly gid: number | undefined;
  readonly chdir: string | undefined;
}

/** attach-daemon2 keys (uWSGI's names and their aliases) that a Node master can apply. */
const KEYS = new Set([
  'cmd',
  'command',
  'exec',
  'pidfile',
  'control',
  'daemonize',
  'daemon',
  'touch',
  'stopsignal',
  'stop_signal',
  'reloadsignal',
  'reload_signal',
  'freq',
  'uid',
  'gid',
  'chdir',
]);

function signalOf(value: string, where: string): NodeJS.Signals {
  const n = Number(value);
  const name = Number.isInteger(n)
    ? Object.entries(constants.signals).find(([, v]) => v === n)?.[0]
    : `SIG${value.toUpperCase().replace(/^SIG/, '')}`;
  if (name === undefined || !(name in constants.signals))
    throw new UwsgiError('ERR_DAEMON_CONFIG', `unknown signal "${value}" (${where})`);
  return name as NodeJS.Signals;
}

function yes(value: string | undefined): boolean {
  return value !== undefined && !['0', 'false', 'no', 'off', ''].includes(value.toLowerCase());
}

/** `PIDFILE COMMAND` of the smart variants. */
function splitPidfile(raw: string, where: string): [string, string] {
  const cut = raw.trim().search(/\s/);
  if (cut <= 0) throw new UwsgiError('ERR_DAEMON_CONFIG', `"${raw}" is not PIDFILE COMMAND (${where})`);
  const text = raw.trim();
  return [resolve(text.slice(0, cut)), text.slice(cut).trim()];
}

function entriesOf(c: Config, key: string): Array<{ value: string; origin: Origin }> {
  return c.entries.filter((e) => e.key === key).map((e) => ({ value: e.value, origin: e.origin }));
}

export function daemonSpecs(c: Config): DaemonSpec[] {
  const specs: DaemonSpec[] = [];
  const base = {
    pidfile: undefined,
    daemonize: false,
    control: false,
    stopSignal: 'SIGTERM',
    reloadSignal: 'SIGTERM',
    touch: [],
    uid: undefined,
    gid: undefined,
    chdir: undefined,
  } as const;
  const add = (spec: Omit<DaemonSpec, 'id'>) => specs.push({ id: specs.length + 1, ...spec });
  for (const o of c.all('attach-daemon')) add({ ...base, cmd: o.value });
  // attach-control-daemon and smart-attach-daemon2 are rows of the uWSGI-only table: read as entries
  for (const o of entriesOf(c, 'attach-control-daemon')) add({ ...base, cmd: o.value, control: true });
  for (const o of c.all('smart-attach-daemon')) {
    const [pidfile, cmd] = splitPidfile(o.value, formatOrigin(o.origin));
    add({ ...base, cmd, pidfile, daemonize: true });
  }
  for (const o of entriesOf(c, 'smart-attach-daemon2')) {
    const [pidfile, cmd] = splitPidfile(o.value, formatOrigin(o.origin));
    add({ ...base, cmd, pidfile });
  }
  for (const o of c.all('attach-daemon2')) {
    const where = formatOrigin(o.origin);
    const kv = o.value;
    for (const key of Object.keys(kv)) {
      if (!KEYS.has(key))
        throw new UwsgiError(
          'ERR_DAEMON_CONFIG',
          `attach-daemon2 key "${key}" is not supported by uwsgi-ts (${where}): namespaces, cgroups and the like need a C master`,
        );
    }
    const cmd = kv['cmd'] ?? kv['command'] ?? kv['exec'];
    if (!cmd) throw new UwsgiError('ERR_DAEMON_CONFIG', `attach-daemon2 needs cmd= (${where})`);
    const pidfile = kv['pidfile'] ? resolve(kv['pidfile']) : undefined;
    const daemonize = yes(kv['daemonize'] ?? kv['daemon']);
    if (daemonize && !pidfile)
      throw new UwsgiError('ERR_DAEMON_CONFIG', `attach-daemon2 daemonize=1 needs pidfile= (${where})`);
    const int = (key: string) => {
      const v = kv[key];
      if (v === undefined) return undefined;
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0)
        throw new UwsgiError('ERR_DAEMON_CONFIG', `attach-daemon2 ${key}="${v}" is not a number (${where})`);
      return n;
    };
    const stop = kv['stopsignal'] ?? kv['stop_signal'];
    const reload = kv['reloadsignal'] ?? kv['reload_signal'];
    add({
      cmd,
      pidfile,
      daemonize,
      control: yes(kv['control']),
      stopSignal: stop ? signalOf(stop, where) : 'SIGTERM',
      reloadSignal: reload ? signalOf(reload, where) : 'SIGTERM',
      touch: (kv['touch'] ?? '')
        .split(';')
        .filter(Boolean)
        .map((f) => resolve(f)),
      uid: int('uid'),
      gid: int('gid'),
      chdir: kv['chdir'] ? resolve(kv['chdir']) : undefined,
    });
  }
  return specs;
}
