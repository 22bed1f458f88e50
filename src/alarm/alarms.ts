// The alarm subsystem of the master (uWSGI's alarm thread): the `alarm` definitions, the
// anti-flood (the same message again within `alarm-freq` seconds is dropped), and what raises
// them: log lines (alarm-log, seen by the master's log sink), readable file descriptors
// (alarm-fd), full listen queues (alarm-backlog, checked every second) and the app API
// (`alarm(name, message)`, sent by a worker over IPC). Behaviour recorded from uWSGI 2.0.21 in
// test/fixtures/alarm/uwsgi-alarms.json.

import net from 'node:net';
import { formatOrigin } from '../config/entry.js';
import type { Config } from '../config/resolve.js';
import { UwsgiError } from '../errors.js';
import { ctime } from '../logging/ctime.js';
import { AlarmLogRules, parseAlarmLogRule } from './alarm-log-rules.js';
import {
  type AlarmAction,
  type AlarmHost,
  createAlarmAction,
  parseAlarm,
  servedAlarmPlugins,
} from './alarm-plugins.js';

/** One `alarm` line: its action and the anti-flood memory. */
class AlarmInstance {
  private lastMessage: string | undefined;
  private lastRun = Number.NEGATIVE_INFINITY;

  constructor(
    readonly name: string,
    private readonly action: AlarmAction,
  ) {}

  /** Runs unless the same message ran less than `freqMs` ago; true when it ran. */
  trigger(message: string, now: number, freqMs: number): boolean {
    if (message === this.lastMessage && now - this.lastRun < freqMs) return false;
    this.lastMessage = message;
    this.lastRun = now;
    this.action(message);
    return true;
  }
}

/** A bound socket as the backlog check sees it. */
export interface SocketQueue {
  readonly name: string;
  readonly fd: number;
  readonly queue: number;
  readonly max: number;
}

export interface AlarmsHost extends AlarmHost {
  /** Every bound socket's listen queue, now (alarm-backlog). */
  readonly sockets?: (() => readonly SocketQueue[]) | undefined;
}

/** The options of the alarm subsystem (all of them start the service). */
export function alarmsConfigured(config: Config): boolean {
  return config.all('alarm').length > 0 || config.value('alarm-list') === true;
}

/** `alarm-fd = ALARM FD[:N] MESSAGE` */
export function parseAlarmFd(
  text: string,
  where: string,
): { alarm: string; fd: number; bytes: number; message: string } {
  const m = /^(\S+)\s+([0-9]+)(?::([0-9]+))?\s+(.*)$/s.exec(text.trim());
  if (!m?.[1] || !m[2] || m[4] === undefined || m[4] === '')
    throw new UwsgiError(
      'ERR_CONFIG_BAD_VALUE',
      `alarm-fd "${text}" (${where}): give ALARM FD[:BYTES] MESSAGE`,
    );
  const bytes = m[3] === undefined ? 1 : Number(m[3]);
  if (bytes < 1)
    throw new UwsgiError('ERR_CONFIG_BAD_VALUE', `alarm-fd "${text}" (${where}): read at least 1 byte`);
  return { alarm: m[1], fd: Number(m[2]), bytes, message: m[4] };
}

export class Alarms {
  private readonly instances = new Map<string, AlarmInstance[]>();
  private readonly rules: AlarmLogRules;
  private readonly backlog: readonly string[];
  private readonly freqMs: number;
  private readonly maxMessage: number;
  private readonly fds: net.Socket[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** Set while an alarm runs: its own log lines must not raise alarms again (uWSGI loops here). */
  private running = false;

  constructor(
    private readonly config: Config,
    private readonly host: AlarmsHost,
  ) {
    for (const o of config.all('alarm')) {
      const def = parseAlarm(o.value, formatOrigin(o.origin));
      const list = this.instances.get(def.name) ?? [];
      list.push(new AlarmInstance(def.name, createAlarmAction(def, host)));
      this.instances.set(def.name, list);
    }
    const rules = (name: 'alarm-log' | 'not-log-alarm') =>
      config.all(name).map((o) => {
        const rule = parseAlarmLogRule(o.value, formatOrigin(o.origin), name);
        for (const alarm of rule.alarms) this.known(alarm, `${name} (${rule.where})`);
        return rule;
      });
    this.rules = new AlarmLogRules(rules('alarm-log'), rules('not-log-alarm'));
    this.backlog = config.all('alarm-backlog').map((o) => {
      const name = o.value.trim();
      this.known(name, `alarm-backlog (${formatOrigin(o.origin)})`);
      return name;
    });
    this.freqMs = Math.max(0, config.value('alarm-freq')) * 1000;
    this.maxMessage = config.value('alarm-msg-size');
  }

  private known(name: string, what: string): void {
    if (!this.instances.has(name))
      throw new UwsgiError(
        'ERR_CONFIG_BAD_VALUE',
        `${what}: unable to find alarm "${name}" (define it with alarm = ${name} PLUGIN:ARGS)`,
      );
  }

  /** The alarm names (the app API checks them before asking the master). */
  get names(): string[] {
    return [...this.instances.keys()];
  }

  /** True when log lines must reach `checkLine` (alarm-log rules exist). */
  get watchesLog(): boolean {
    return !this.rules.empty;
  }

  /** `alarm-list`: uWSGI's block listing the alarm plugins. */
  listLines(): string[] {
    return [
      '',
      '*** uWSGI loaded alarms ***',
      ...servedAlarmPlugins(this.host),
      '--- end of alarms list ---',
      '',
    ];
  }

  /** Starts the fd watchers and the backlog check. */
  start(): void {
    for (const o of this.config.all('alarm-fd')) this.watchFd(o.value, formatOrigin(o.origin));
    if (this.backlog.length > 0 && this.host.sockets) {
      const sockets = this.host.sockets;
      this.timer = setInterval(() => this.checkBacklog(sockets()), 1000);
      this.timer.unref();
    }
  }

  /**
   * Raises alarm `name` with `message` (the app API, alarm-fd, the backlog); false when no alarm
   * has that name. Every instance of the name runs, each behind its own anti-flood.
   */
  raise(name: string, message: string): boolean {
    const list = this.instances.get(name);
    if (!list) return false;
    const text = truncate(message, this.maxMessage);
    const now = this.host.now();
    const wasRunning = this.running;
    this.running = true;
    try {
      for (const instance of list) {
        try {
          instance.trigger(text, now, this.freqMs);
        } catch (err) {
          this.host.log(`alarm ${name}: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
    } finally {
      this.running = wasRunning;
    }
    return true;
  }

  /**
   * A log line of the instance (with its newline), before drains and filters (uWSGI's order).
   * The alarms run once the line is written (uWSGI hands them to its alarm thread).
   */
  checkLine(line: string): void {
    if (this.running || line.startsWith('[uwsgi-alarm')) return;
    const names = this.rules.match(line);
    if (names.length > 0) queueMicrotask(() => this.raiseAll(names, line));
  }

  private raiseAll(names: readonly string[], message: string): void {
    for (const name of names) this.raise(name, message);
  }

  /** uWSGI's master check: every full queue is logged, and raises the backlog alarms. */
  checkBacklog(sockets: readonly SocketQueue[]): void {
    for (const s of sockets) {
      if (s.max <= 0 || s.queue < s.max) continue;
      const message = `listen queue of socket "${s.name}" (fd: ${s.fd}) full !!! (${s.queue}/${s.max})`;
      this.host.log(`${ctime(this.host.now())} - *** uWSGI ${message} ***`);
      for (const name of this.backlog) this.raise(name, message);
    }
  }

  /** alarm-fd: each BYTES read from the fd raises the alarm (the anti-flood keeps one per burst). */
  private watchFd(text: string, where: string): void {
    const spec = parseAlarmFd(text, where);
    this.known(spec.alarm, `alarm-fd (${where})`);
    let socket: net.Socket;
    try {
      socket = new net.Socket({ fd: spec.fd, readable: true, writable: false });
    } catch (err) {
      throw new UwsgiError(
        'ERR_CONFIG_BAD_VALUE',
        `alarm-fd "${text}" (${where}): fd ${spec.fd} cannot be watched (${err instanceof Error ? err.message : String(err)}): give an inherited pipe, socket or eventfd`,
      );
    }
    let pending = 0;
    socket.on('data', (chunk: Buffer) => {
      pending += chunk.length;
      while (pending >= spec.bytes) {
        pending -= spec.bytes;
        this.raise(spec.alarm, spec.message);
      }
    });
    socket.on('error', (err) => this.host.log(`[uwsgi-alarm] fd ${spec.fd}: ${err.message}`));
    socket.unref();
    this.fds.push(socket);
    this.host.log(`[uwsgi-alarm] added fd ${spec.fd}`);
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    for (const s of this.fds) s.destroy();
    this.fds.length = 0;
  }
}

/** alarm-msg-size: at most `max` bytes of UTF-8, cut on a character boundary. */
export function truncate(message: string, max: number): string {
  const bytes = Buffer.from(message);
  if (bytes.length <= max) return message;
  let end = max;
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8');
}
