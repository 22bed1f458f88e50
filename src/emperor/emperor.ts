// The Emperor (reference §2.10, §6.2, §6.3; seed manual "The uWSGI Emperor"): scans its monitors
// every emperor-freq seconds (and on SIGWINCH), starts a vassal for a new config, reloads it when
// its file is touched, stops it when the file goes. Every vassal is a child of one generic
// Supervisor (src/master/supervisor/), the vassal role's row giving its lines and its throttle.

import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import type { Config } from '../config/resolve.js';
import { UwsgiError } from '../errors.js';
import type { HookPhaseName } from '../hooks/hook-phases.js';
import { type HookPlan, hookPlan } from '../hooks/hook-plan.js';
import { HookFailed, runHooks } from '../hooks/run-hooks.js';
import { createLogSink } from '../logging/log-config.js';
import type { LogSink } from '../logging/log-sink.js';
import type { MasterFifo } from '../master/fifo.js';
import { type Slot, Supervisor } from '../master/supervisor/supervisor.js';
import { type SdNotifier, sdNotifier } from '../os/sd-notify.js';
import { watchdogEveryMs } from '../os/sd-watchdog.js';
import { StatsServer } from '../stats/stats-server.js';
import { AS_VASSAL_ENV, asVassalValue, vassalHookLines, vassalHookResult } from './as-vassal.js';
import { emperorFifo } from './emperor-fifo.js';
import { EMPEROR_SIGNALS } from './emperor-signals.js';
import { emperorStats } from './emperor-stats.js';
import { type Monitor, openMonitor } from './monitors.js';
import { OnDemandSocket, onDemandConfigured, onDemandSocketName, waitingLine } from './on-demand.js';
import { type VassalOwner, vassalOwner } from './tyrant.js';
import { activatedSockets, vassalCommand } from './vassal-command.js';
import { emperorCompileCacheDir } from './vassal-compile-cache.js';
import type { VassalFile } from './vassal-file.js';
import { FROM_VASSAL_HANDLERS } from './vassal-messages.js';
import { type VassalMessage, VassalProcess } from './vassal-process.js';
import { vassalRole } from './vassal-role.js';
import { freshMeta, type Vassal, type VassalMeta } from './vassal-state.js';

export interface EmperorOptions {
  readonly config: Config;
  readonly logFd: number;
  readonly logPath: string | undefined;
}

/** Options uWSGI has for the Emperor that uwsgi-ts refuses by name, with what to do instead. */
const REFUSED: ReadonlyArray<readonly [Parameters<Config['value']>[0], string]> = [
  ['emperor-broodlord', 'zerg mode does not exist on Node (a process cannot pass its workers); use cheaper'],
];

export class Emperor {
  readonly config: Config;
  readonly supervisor: Supervisor<VassalMeta>;
  private readonly logs: LogSink;
  private readonly logFd: number;
  private readonly monitors: Monitor[];
  private readonly byName = new Map<string, Vassal>();
  private readonly byId = new Map<number, Vassal>();
  private readonly owners = new Map<number, VassalOwner>();
  private nextId = 1;
  private timers: NodeJS.Timeout[] = [];
  private stats: StatsServer | undefined;
  private fifo: MasterFifo | undefined;
  private stopping: Promise<void> | undefined;
  private finish: (code: number) => void = () => {};
  private readonly signals: Array<readonly [NodeJS.Signals, () => void]> = [];
  private readonly sd: SdNotifier | undefined;
  /** Sockets from systemd socket activation, handed to every vassal. */
  private readonly activated: number[];
  private governing = -1;
  private scanning = false;
  /** Tyrant mode: configs refused, by path and mtime (logged once each). */
  private readonly refused = new Set<string>();
  /** The Emperor's hooks (emperor-start, as-vassal, as-emperor), read with its config. */
  private readonly hooks: HookPlan;
  /** vassals-stop-hook commands still running: the Emperor waits for them before it ends. */
  private readonly stopHooks = new Set<Promise<void>>();
  /** NODE_COMPILE_CACHE for the vassals (src/os/compile-cache.ts), when the Emperor gives one. */
  private compileCacheDir: string | undefined;

  constructor(options: EmperorOptions) {
    const { config } = options;
    this.config = config;
    this.logFd = options.logFd;
    this.logs = createLogSink(config, { fd: options.logFd, path: options.logPath });
    // systemd Type=notify: the Emperor is the service's main process, not its vassals
    this.sd = sdNotifier(process.env, (line) => this.log(line));
    this.activated = activatedSockets(process.env);
    this.hooks = hookPlan(config);
    for (const [name, why] of REFUSED) {
      const value = config.value(name);
      if (value !== undefined && value !== 0 && value !== false)
        throw new UwsgiError('ERR_EMPEROR_NOT_SUPPORTED', `${name}: ${why}`);
    }
    const rules = {
      extra: config.all('emperor-extra-extension').map((o) => o.value),
      nofollow: config.value('emperor-nofollow') === true,
    };
    this.monitors = config
      .all('emperor')
      .map((o) => openMonitor(o.value, rules, process.cwd(), (line) => this.log(line)));
    const curseMs = (config.value('emperor-curse-tolerance') ?? 30) * 1000;
    this.supervisor = new Supervisor<VassalMeta>({
      role: vassalRole(config, (id) => this.byId.get(id)?.file.name ?? `#${id}`),
      spawn: (id) => this.spawnVassal(id),
      onMessage: (slot, message) => this.onMessage(slot, message),
      meta: freshMeta,
      clock: { now: () => Date.now(), setTimeout: (fn, ms) => setTimeout(fn, ms) },
      log: (line) => this.log(line),
      respawn: true,
      mercyMs: () => curseMs,
    });
  }

  log(line: string): void {
    this.logs.line(line);
  }

  /** Runs until a stop; resolves with the exit status. */
  async run(): Promise<number> {
    const c = this.config;
    this.log('*** starting uWSGI-ts Emperor ***');
    const cache = emperorCompileCacheDir(
      c.all('emperor').map((o) => o.value),
      process.env,
      c.value('emperor-tyrant') === true,
    );
    if ('dir' in cache) this.compileCacheDir = cache.dir;
    this.log(`[emperor] vassals' compile cache: ${'dir' in cache ? cache.dir : `none (${cache.reason})`}`);
    const pidfile = c.value('emperor-pidfile');
    if (pidfile) writeFileSync(pidfile, `${process.pid}\n`);
    const procname = c.value('emperor-procname');
    if (procname) process.title = procname;
    const statsAddress = c.value('emperor-stats');
    if (statsAddress) {
      this.stats = new StatsServer({
        address: statsAddress,
        http: false,
        minified: false,
        document: async () => this.statsDocument(),
        log: (line) => this.log(line),
      });
      await this.stats.start();
    }
    this.installSignals();
    this.fifo = emperorFifo(
      this,
      c.all('master-fifo').map((o) => o.value),
    );
    // uWSGI runs emperor-start once the Emperor is up, before its first scan; a failure is FATAL
    if (!(await this.runHooks('emperor-start'))) {
      await this.stop();
      return 1;
    }
    await this.scan();
    this.sd?.notify('READY=1');
    this.tellGoverning();
    const watchdogMs = watchdogEveryMs(process.env);
    if (watchdogMs) this.timers.push(setInterval(() => this.sd?.notify('WATCHDOG=1'), watchdogMs));
    const freqMs = Math.max(1, c.value('emperor-freq') ?? 3) * 1000;
    this.timers.push(setInterval(() => void this.scan(), freqMs));
    const heartbeat = (c.value('emperor-required-heartbeat') ?? 30) * 1000;
    this.timers.push(setInterval(() => this.checkHeartbeats(heartbeat), 1000));
    return new Promise<number>((resolve) => {
      this.finish = resolve;
    });
  }

  /** Runs one of the Emperor's own phases; false when a hook failed (its FATAL line logged). */
  private async runHooks(
    phase: HookPhaseName,
    extra: Omit<Parameters<typeof runHooks>[2], 'log'> = {},
  ): Promise<boolean> {
    try {
      await runHooks(this.hooks, phase, { log: (line) => this.log(line), ...extra });
      return true;
    } catch (err) {
      if (err instanceof HookFailed) return false;
      throw err;
    }
  }

  /** as-emperor: in the Emperor once vassal `name` was spawned, with its name and pid in the env. */
  private asEmperor(name: string, pid: number, owner: VassalOwner | undefined): void {
    if (!this.hooks['as-emperor']) return;
    const uid = owner?.uid ?? process.getuid?.() ?? 0;
    const gid = owner?.gid ?? process.getgid?.() ?? 0;
    void this.runHooks('as-emperor', {
      env: { ...process.env, UWSGI_VASSAL_CONFIG: name, UWSGI_VASSAL_PID: String(pid) },
      commandLabel: `as-emperor for vassal "${name}" pid: ${pid} uid: ${uid} gid: ${gid}`,
      reportExit: true,
    }).then((ok) => {
      // uWSGI would end the Emperor here; one vassal's hook does not take down the others
      if (!ok) this.log(`[emperor] as-emperor hook failed for vassal ${name}: the vassal keeps running`);
    });
  }

  /** vassals-stop-hook: PROGRAM NAME once a vassal died (uWSGI: after each death, and at the stop). */
  private stopHook(vassal: Vassal): void {
    const program = this.config.value('vassals-stop-hook');
    if (!program) return;
    const name = vassal.file.name;
    this.log(vassalHookLines('stop', program, name));
    const log = this.logFd === 2 ? 'inherit' : this.logFd;
    const done = new Promise<void>((resolve) => {
      const child = spawn(program, [name], {
        cwd: vassal.file.dir,
        env: { ...process.env, UWSGI_VASSALS_DIR: vassal.file.dir },
        stdio: ['ignore', log, log],
      });
      child.on('error', (err) => {
        this.log(`execvp(): ${err.message}`);
        this.log(vassalHookResult('stop', name, 1));
        resolve();
      });
      child.on('exit', (code) => {
        this.log(vassalHookResult('stop', name, code ?? 1));
        resolve();
      });
    });
    this.stopHooks.add(done);
    void done.then(() => this.stopHooks.delete(done));
  }

  /** One pass over the monitors (never two at once): new files start, touched ones reload, gone ones stop. */
  async scan(): Promise<void> {
    if (this.stopping || this.scanning) return;
    this.scanning = true;
    let results: VassalFile[][];
    try {
      results = await Promise.all(this.monitors.map((m) => m.scan()));
    } catch (err) {
      // a monitor that fails leaves every vassal as it is until the next scan
      this.log(`[emperor] scan failed: ${err instanceof Error ? err.message : String(err)}`);
      return;
    } finally {
      this.scanning = false;
    }
    if (this.stopping) return;
    const found = new Map<string, VassalFile>();
    for (const files of results)
      for (const file of files) if (!found.has(file.name)) found.set(file.name, file);
    for (const vassal of [...this.byName.values()]) {
      const file = found.get(vassal.file.name);
      if (!file) this.remove(vassal, 'its config is gone');
      else if (this.owners.has(vassal.id) && this.ownerChanged(vassal, file))
        this.remove(vassal, 'its config changed owner');
    }
    for (const file of found.values()) {
      const vassal = this.byName.get(file.name);
      if (!vassal) this.add(file);
      else if (file.mtimeMs > vassal.lastMod) this.touched(vassal, file);
    }
    this.tellGoverning();
  }

  /** uWSGI's STATUS line for systemd, sent when the count changes. */
  private tellGoverning(): void {
    if (!this.sd || this.byName.size === this.governing) return;
    this.governing = this.byName.size;
    this.sd.notify(`STATUS=The Emperor is governing ${this.governing} vassals`);
  }

  private ownerChanged(vassal: Vassal, file: VassalFile): boolean {
    return vassal.file.uid !== file.uid || vassal.file.gid !== file.gid;
  }

  private add(file: VassalFile): void {
    let owner: VassalOwner | undefined;
    if (this.config.value('emperor-tyrant')) {
      const result = vassalOwner(file, this.config);
      if (typeof result === 'string') {
        // uWSGI refuses it at each scan; logged once per mtime
        if (!this.refused.has(`${file.path}:${file.mtimeMs}`)) {
          this.refused.add(`${file.path}:${file.mtimeMs}`);
          this.log(`[emperor-tyrant] refusing vassal ${file.name}: ${result}`);
        }
        return;
      }
      owner = result;
    }
    const onDemand = this.onDemandSocket(file);
    if (onDemand === null) return;
    const id = this.nextId++;
    const now = Date.now();
    const vassal: Vassal = {
      id,
      file,
      lastMod: file.mtimeMs,
      firstRun: now,
      lastRun: now,
      idle: false,
      removing: false,
      lastReady: 0,
      lastAccepting: 0,
      lastLoyal: 0,
      ...(onDemand ? { onDemand } : {}),
    };
    this.byName.set(file.name, vassal);
    this.byId.set(id, vassal);
    if (owner) this.owners.set(id, owner);
    if (onDemand) {
      this.waitOnDemand(vassal, false);
      return;
    }
    this.supervisor.active.add(id);
    this.supervisor.spawn(id, this.supervisor.generation, false);
  }

  /**
   * The socket an on-demand vassal waits on, bound now; undefined for a normal vassal, null when
   * its socket cannot be had (logged once per mtime; the next scans try again).
   */
  private onDemandSocket(file: VassalFile): OnDemandSocket | undefined | null {
    if (!onDemandConfigured(this.config)) return undefined;
    try {
      const name = onDemandSocketName(this.config, file);
      if (name === undefined) return undefined;
      return new OnDemandSocket(name, this.config.value('listen') ?? 100, `on-demand socket of ${file.name}`);
    } catch (err) {
      const key = `on-demand:${file.path}:${file.mtimeMs}`;
      if (!this.refused.has(key)) {
        this.refused.add(key);
        this.log(
          `[emperor] cannot run vassal ${file.name} on demand: ${err instanceof Error ? err.message : String(err)}`,
        );
      }
      return null;
    }
  }

  /** An on-demand vassal with nothing running: the first connection on its socket starts it. */
  private waitOnDemand(vassal: Vassal, again: boolean): void {
    const socket = vassal.onDemand;
    if (!socket || vassal.removing || this.stopping) return;
    vassal.waiting = true;
    this.log(waitingLine(vassal.file.name, socket.name, again));
    socket.waitForConnection(() => {
      if (vassal.removing || this.stopping) return;
      vassal.waiting = false;
      this.supervisor.active.add(vassal.id);
      this.supervisor.spawn(vassal.id, this.supervisor.generation, false);
    });
  }

  /** Byte 22 from an on-demand vassal (die-on-idle): stop it and wait on its socket again. */
  backToOnDemand(vassal: Vassal, slot: Slot<VassalMeta>): void {
    this.log(`[emperor] bringing back instance ${vassal.file.name} to on-demand mode`);
    slot.proc.on('exit', () => setImmediate(() => this.waitOnDemand(vassal, true)));
    this.supervisor.dismiss(slot);
  }

  private slotOf(vassal: Vassal): Slot<VassalMeta> | undefined {
    return this.supervisor.slots().find((s) => s.id === vassal.id && !s.retiring);
  }

  /** Its file changed: reload it (byte 1), or start it again if it was idle. */
  private touched(vassal: Vassal, file: VassalFile): void {
    vassal.lastMod = file.mtimeMs;
    vassal.file = file;
    // a new config deserves a new chance (uWSGI: a modified vassal leaves the blacklist)
    this.supervisor.forgive(vassal.id);
    if (vassal.idle) {
      vassal.idle = false;
      this.supervisor.active.add(vassal.id);
      this.supervisor.spawn(vassal.id, this.supervisor.generation, true);
      return;
    }
    const slot = this.slotOf(vassal);
    if (!slot) return;
    this.log(`[emperor] reload the uwsgi instance ${vassal.file.name}`);
    this.supervisor.sendTo(slot.pid, { t: 'reload' });
  }

  private remove(vassal: Vassal, why: string): void {
    this.byName.delete(vassal.file.name);
    vassal.removing = true;
    // the socket goes with its vassal (uWSGI 2.0.21 leaves the file: README)
    vassal.onDemand?.close();
    const slot = this.slotOf(vassal);
    const forget = () => {
      this.byId.delete(vassal.id);
      this.owners.delete(vassal.id);
    };
    if (!slot) {
      // not running (throttled or idle): nothing to stop, and no respawn will come
      this.supervisor.active.delete(vassal.id);
      this.log(`[emperor] removed uwsgi instance ${vassal.file.name} (${why})`);
      forget();
      return;
    }
    this.log(`[emperor] stop the uwsgi instance ${vassal.file.name} (${why})`);
    slot.proc.on('exit', () => setImmediate(forget));
    this.supervisor.dismiss(slot);
  }

  private spawnVassal(id: number): VassalProcess {
    const vassal = this.byId.get(id);
    if (!vassal) throw new Error(`no vassal #${id}`);
    vassal.lastRun = Date.now();
    const owner = this.owners.get(id);
    const command = vassalCommand(this.config, vassal.file, owner, this.activated);
    // on demand: the socket is the vassal's fd 0, as uWSGI's Emperor gives it
    if (vassal.onDemand) command.stdin = vassal.onDemand.handle.fd;
    // vassals-start-hook and as-vassal run in the vassal's own process (src/emperor/as-vassal.ts)
    const asVassal = asVassalValue(this.config, vassal.file.name, vassal.file.dir);
    if (asVassal !== undefined) command.env[AS_VASSAL_ENV] = asVassal;
    if (this.compileCacheDir !== undefined) command.env['NODE_COMPILE_CACHE'] = this.compileCacheDir;
    const proc = new VassalProcess({
      command,
      logFd: this.logFd,
      gracefulStop: this.config.value('emperor-graceful-shutdown') === true,
      // setpriv drops them itself (with the groups) under emperor-tyrant-initgroups
      ...(owner && !owner.initgroups ? { uid: owner.uid, gid: owner.gid } : {}),
    });
    proc.on('spawn-error', (err: NodeJS.ErrnoException) =>
      this.log(
        `[emperor] cannot run vassal ${vassal.file.name}: ${err.message}${err.code ? ` [${err.code}]` : ''}`,
      ),
    );
    if (vassal.file.config !== undefined) proc.pushConfig(vassal.file.config);
    if (proc.pid !== undefined) this.asEmperor(vassal.file.name, proc.pid, owner);
    proc.on('exit', () => this.stopHook(vassal));
    // registered before the supervisor's own listener: an exiled vassal is not respawned
    proc.on('exit', (code: number | null) => {
      if (code !== EXILE_CODE) return;
      const slot = this.supervisor.slots().find((s) => s.proc === proc);
      if (!slot || slot.retiring) return;
      this.log(
        `[emperor] vassal ${vassal.file.name} exiled itself (exit code ${EXILE_CODE}): not respawned until its config changes`,
      );
      vassal.idle = true;
      this.supervisor.active.delete(id);
      slot.dismissed = true;
    });
    return proc;
  }

  private onMessage(slot: Slot<VassalMeta>, message: unknown): void {
    const vassal = this.byId.get(slot.id);
    const t = (message as VassalMessage | undefined)?.t;
    if (!vassal || t === undefined) return;
    FROM_VASSAL_HANDLERS[t](this, vassal, slot);
  }

  /** uWSGI: after its first heartbeat, a vassal silent for emperor-required-heartbeat is killed. */
  private checkHeartbeats(requiredMs: number): void {
    const now = Date.now();
    for (const slot of this.supervisor.slots()) {
      const last = slot.meta.lastHeartbeat;
      if (last === 0 || slot.retiring || now - last <= requiredMs) continue;
      slot.meta.lastHeartbeat = 0;
      const name = this.byId.get(slot.id)?.file.name ?? `#${slot.id}`;
      this.log(
        `[emperor] vassal ${name} sent no heartbeat in last ${Math.round(requiredMs / 1000)} seconds, brutally respawning it...`,
      );
      slot.proc.kill('SIGKILL');
    }
  }

  /** SIGHUP: every vassal reloads (byte 1). */
  reloadAll(): void {
    for (const slot of this.supervisor.slots()) {
      if (slot.retiring) continue;
      this.log(`[emperor] reload the uwsgi instance ${this.byId.get(slot.id)?.file.name ?? slot.id}`);
      this.supervisor.sendTo(slot.pid, { t: 'reload' });
    }
  }

  /** SIGURG: the blacklist is emptied. */
  clearBlacklist(): void {
    this.supervisor.forgive();
    this.log('[emperor] blacklist cleared');
  }

  /** SIGUSR1: one line per vassal. */
  logStatus(): void {
    const doc = this.statsDocument();
    for (const v of doc['vassals'] as Array<Record<string, unknown>>)
      this.log(
        `[emperor] vassal ${String(v['id'])} pid: ${String(v['pid'])} status: ${String(v['status'])} respawns: ${String(v['respawns'])}`,
      );
  }

  statsDocument(): ReturnType<typeof emperorStats> {
    const slots = this.supervisor.slots();
    return emperorStats({
      monitors: this.monitors.map((m) => m.source),
      tyrant: this.config.value('emperor-tyrant') === true,
      throttleMs: this.config.value('emperor-throttle') ?? 1000,
      maxThrottleMs: this.config.value('emperor-max-throttle') ?? 180_000,
      vassals: [...this.byId.values()].map((vassal) => {
        const slot =
          slots.find((s) => s.id === vassal.id && !s.retiring) ?? slots.find((s) => s.id === vassal.id);
        return {
          vassal,
          pid: slot?.pid ?? 0,
          meta: slot?.meta,
          respawns: Math.max(0, (this.supervisor.spawns.get(vassal.id) ?? 1) - 1),
          attempts: this.supervisor.quickDeathCount(vassal.id),
        };
      }),
    });
  }

  /** Every vassal stops (byte 0, or 2 with emperor-graceful-shutdown); SIGKILL after reload-mercy. */
  stop(): Promise<void> {
    if (this.stopping) return this.stopping;
    this.log('[emperor] *** RAGNAROK EVOKED ***');
    this.sd?.notify('STOPPING=1', 'STATUS=The Emperor is stopping its vassals');
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    // reload-mercy's default is 0 ("none set"): the Emperor then waits 30 s (reference §6.3); a
    // 0 here made the NO MERCY timer fire at once (and Node 24 warn of a negative timeout)
    const mercyMs = (this.config.value('reload-mercy') || 30) * 1000;
    const late = setTimeout(() => {
      for (const slot of this.supervisor.slots())
        this.log(`[emperor] NO MERCY for vassal ${this.byId.get(slot.id)?.file.name ?? slot.id} !!!`);
    }, mercyMs - 50);
    late.unref();
    this.stopping = this.supervisor.stop(mercyMs).then(async () => {
      clearTimeout(late);
      await Promise.all([...this.stopHooks]);
      for (const [signal, handler] of this.signals.splice(0)) process.off(signal, handler);
      this.stats?.close();
      this.fifo?.close();
      if (this.fifo && this.config.value('vacuum'))
        for (const f of this.fifo.files) rmSync(f, { force: true });
      for (const vassal of this.byId.values()) vassal.onDemand?.close();
      for (const monitor of this.monitors) monitor.close?.();
      const pidfile = this.config.value('emperor-pidfile');
      if (pidfile) rmSync(pidfile, { force: true });
      this.log('The Emperor is buried.');
      this.finish(0);
    });
    return this.stopping;
  }

  private installSignals(): void {
    for (const [signal, action] of EMPEROR_SIGNALS) {
      const handler = () => action(this);
      process.on(signal, handler);
      this.signals.push([signal, handler]);
    }
  }
}

/** uWSGI's EXILE exit code: the vassal is not respawned. */
const EXILE_CODE = 26;
