// The master process: binds every socket once, drops privileges, writes pidfiles, then opens its
// services (src/master/services.ts) and its roles (src/master/roles.ts) from their tables, and
// turns every lifecycle trigger into a request to one state machine (src/master/lifecycle.ts).
// It is an orchestrator: a new kind of child or master-side subsystem is a row, not an edit here.

import { rmSync, writeFileSync } from 'node:fs';
import type { Config } from '../config/resolve.js';
import { UwsgiError } from '../errors.js';
import type { HookPhaseName } from '../hooks/hook-phases.js';
import { type HookPlan, hookPlan } from '../hooks/hook-plan.js';
import { isLazy } from '../hooks/process-hooks.js';
import { HookFailed, runHooks } from '../hooks/run-hooks.js';
import { dispatchWorkerMessage } from '../ipc/messages.js';
import { createLogSink, isUdpLogto, masterOwnsLog } from '../logging/log-config.js';
import type { LogSink } from '../logging/log-sink.js';
import { ctime } from '../logging/request-log.js';
import { muleConfig } from '../mule/mule-config.js';
import type { BoundSocket } from '../net/bind.js';
import { logBanner, startFailure } from './banner.js';
import { Lifecycle } from './lifecycle.js';
import type { MasterContext, Provided, Service, ServicePhase } from './master-context.js';
import { type ChildRef, masterMessageTable } from './message-table.js';
import { applyPrivileges } from './privileges.js';
import type { RoleRunner } from './roles/role-row.js';
import { ROLES } from './roles.js';
import { subscribe2Targets } from './services/subscribe.js';
import { SERVICES } from './services.js';
import { bindAll, socketRequests } from './sockets.js';
import { loadRoutingCompiler, mercySeconds, routingPart, staticPart, workerCores } from './worker-plan.js';

export interface MasterOptions {
  readonly config: Config;
  /** Where log lines go (stderr, or the logto file). */
  readonly logFd: number;
  /** Reads the configuration again (the same argv and config files), for reloads. */
  readonly reread?: () => Config;
}

export class Master implements MasterContext {
  config: Config;
  readonly logFd: number;
  readonly logs: LogSink;
  readonly logsOwned: boolean;
  bound: BoundSocket[] = [];
  readonly pidfiles: string[] = [];
  readonly lifecycle: Lifecycle;
  private readonly reread: (() => Config) | undefined;
  private readonly provided = new Map<keyof Provided, unknown>();
  private readonly services: Array<{ name: string; service: Service }> = [];
  private readonly roles: RoleRunner[] = [];
  private finish: (code: number) => void = () => {};
  /** The master's hooks (src/hooks/), read with the config. */
  private hooks: HookPlan = {};
  /** 1 once a hook failed: the instance is destroyed and the process exits 1. */
  private exitCode = 0;

  constructor(options: MasterOptions) {
    this.config = options.config;
    this.logFd = options.logFd;
    const logto = options.config.value('logto') ?? options.config.value('daemonize');
    const path = logto !== undefined && !isUdpLogto(logto) && options.logFd !== 2 ? logto : undefined;
    this.logsOwned = masterOwnsLog(options.config);
    this.logs = createLogSink(options.config, { fd: options.logFd, path });
    this.reread = options.reread;
    this.lifecycle = new Lifecycle({
      reload: () => this.reload(),
      chainReload: (abandon) => this.chainReload(abandon),
      brutalReload: async () => this.get('workers')?.brutalReload(),
      mulesReload: async () => this.get('mules')?.reload(),
      stop: (graceful) => this.shutdown(graceful),
      log: (line) => this.log(line),
    });
  }

  log(line: string): void {
    // the sink never throws: a closed log must not kill the master
    this.logs.line(line);
  }

  get<K extends keyof Provided>(name: K): Provided[K] | undefined {
    return this.provided.get(name) as Provided[K] | undefined;
  }

  provide<K extends keyof Provided>(name: K, value: Provided[K]): void {
    this.provided.set(name, value);
  }

  /** Opens the services of `phase`, in table order. */
  private async openServices(phase: ServicePhase): Promise<void> {
    for (const row of SERVICES) {
      if (row.phase !== phase) continue;
      const service = await row.open(this);
      if (service) this.services.push({ name: row.name, service });
    }
  }

  /** Runs a phase of the master's hooks; a failure (logged FATAL) stops the start, exit 1. */
  private async runHooks(phase: HookPhaseName): Promise<void> {
    try {
      await runHooks(this.hooks, phase, { log: (line) => this.log(line) });
    } catch (err) {
      if (!(err instanceof HookFailed)) throw err;
      throw new UwsgiError('ERR_HOOK_FAILED', err.message);
    }
  }

  destroy(): void {
    this.exitCode = 1;
    this.lifecycle.request('kill');
  }

  async run(): Promise<number> {
    const c = this.config;
    if (c.value('router-list')) {
      // uWSGI's --routers-list: the actions, on the log, then exit
      process.stderr.write((await import('../routing/action-table.js')).formatRoutersList());
      return 0;
    }
    // a bad hook line stops the start before anything runs; asap hooks run before the banner
    this.hooks = hookPlan(c);
    await this.runHooks('asap');
    await this.openServices('config');
    logBanner(this.config, (line) => this.log(line));
    // no jail is ever set up (uWSGI on Linux without namespace options runs these two anyway)
    await this.runHooks('pre-jail');
    await this.runHooks('in-jail');
    // bad rules, static options or farms stop the instance before a socket is bound
    await loadRoutingCompiler(c);
    routingPart(c);
    staticPart(c);
    muleConfig(c);
    subscribe2Targets(c);
    // each socket listens as soon as it is bound: connections wait in the kernel's queue while
    // the first workers load (native/listen.c, src/net/early-listen.ts)
    this.bound = await bindAll(c, (line) => this.log(line));
    if (c.value('post-buffering') > 0 && this.bound.some((b) => b.protocol.startsWith('http'))) {
      this.log(
        'post-buffering applies to uwsgi/FastCGI/SCGI sockets; on http sockets bodies stream to the app (no worker is held by a slow upload)',
      );
    }
    this.writePidfile(c.value('pidfile'));
    // uWSGI runs as-root and as-user only in a master started as root, around the drop
    const root = process.getuid?.() === 0;
    if (root) await this.runHooks('as-root');
    applyPrivileges(c);
    if (root) await this.runHooks('as-user');
    await this.openServices('bound');
    // logto2: opened now, so the log file belongs to the uid (uWSGI's order)
    this.logs.afterPrivileges();
    this.writePidfile(c.value('pidfile2'));
    const processes = c.value('processes');
    const { cores } = workerCores(c);
    const threaded = c.value('threads') > 1;
    this.log(`your server socket listen backlog is limited to ${c.value('listen')} connections`);
    this.log(`your mercy for graceful operations on workers is ${mercySeconds(c)} seconds`);
    this.log(
      `*** Operational MODE: ${processes > 1 ? 'preforking' : 'single process'}${cores > 1 ? (threaded ? '+threaded' : '+async') : ''} ***`,
    );
    if (c.value('master')) this.log(`spawned uWSGI master process (pid: ${process.pid})`);
    const masterTitle = c.value('procname-master') ?? (c.value('auto-procname') ? 'uWSGI master' : undefined);
    if (masterTitle) process.title = `${c.value('procname-prefix') ?? ''}${masterTitle}`;

    const table = masterMessageTable(this);
    const onMessage = (from: ChildRef, message: unknown) =>
      dispatchWorkerMessage(
        table,
        message,
        from,
        (line) => this.log(line),
        `${from.role} ${from.id} (pid: ${from.pid})`,
      );
    // apps load in the workers: without lazy-apps, pre/post app run once, around the first ones
    const lazy = isLazy(c);
    if (!lazy) await this.runHooks('pre-app');
    const runners = ROLES.map((row) => row.open(this, onMessage));
    await this.openServices('supervising');
    for (const runner of runners) {
      if (!runner) continue;
      this.roles.push(runner);
      try {
        await runner.start();
      } catch (err) {
        await Promise.all(this.roles.map((r) => r.stop(false)));
        this.cleanup();
        throw startFailure(c, err);
      }
    }
    const started = Math.min(processes, this.get('workers')?.running ?? processes);
    this.log(
      `uwsgi-ts: all workers ready (${started} ${started === 1 ? 'process' : 'processes'}, pid ${process.pid})`,
    );
    const done = new Promise<number>((resolve) => {
      this.finish = resolve;
    });
    await this.openServices('serving');
    for (const { service } of this.services) service.serve?.();
    try {
      if (!lazy) await this.runHooks('post-app');
      await this.runHooks('master-start');
    } catch {
      // logged as FATAL by the runner: the children go too
      this.destroy();
    }
    return done;
  }

  private writePidfile(path: string | undefined): void {
    if (!path) return;
    writeFileSync(path, `${process.pid}\n`);
    this.pidfiles.push(path);
  }

  /** Closes the services in reverse order; one that fails is logged and the others still close. */
  private cleanup(): void {
    for (const { name, service } of this.services.splice(0).reverse()) {
      try {
        service.close();
      } catch (err) {
        this.log(`closing ${name}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    if (this.config.value('vacuum')) {
      for (const b of this.bound) if (b.unixPath && !b.inherited) rmSync(b.unixPath, { force: true });
      for (const p of this.pidfiles) rmSync(p, { force: true });
    }
  }

  private async shutdown(graceful: boolean): Promise<void> {
    if (graceful) this.log(`${ctime(Date.now())} - graceful shutdown triggered...`);
    else this.log('SIGINT/SIGQUIT received...killing workers...');
    await Promise.all(this.roles.map((r) => r.stop(graceful)));
    // uWSGI runs the atexit hooks once the workers are buried
    await this.atexit();
    this.cleanup();
    this.log('goodbye to uWSGI.');
    this.finish(this.exitCode);
  }

  /**
   * Graceful reload: the config files are read again (apps, limits and worker options take the
   * new values; sockets stay as bound), then each role reloads by its policy. A config that does
   * not read, a bad rule or a new generation that fails keeps the old children serving.
   */
  private async reload(): Promise<void> {
    if (this.config.value('exit-on-reload')) {
      this.lifecycle.request('stop');
      return;
    }
    this.log('...gracefully reloading workers (new workers first, then the old ones drain)...');
    const previous = this.config;
    try {
      await this.rereadConfig();
      for (const { service } of this.services) service.reload?.();
      await this.roles[0]?.reload();
      this.log('uwsgi-ts: reload done, new workers serving');
      // "before app exit and reload": the old generation's apps have exited
      await this.atexit();
      // the mules (and every later role) load the new code too
      for (const runner of this.roles.slice(1)) await runner.reload();
    } catch (err) {
      this.config = previous;
      const code = (err as { code?: unknown }).code;
      this.log(
        `reload failed, the old workers keep serving: ${err instanceof Error ? err.message : String(err)}${typeof code === 'string' ? ` [${code}]` : ''}`,
      );
    } finally {
      for (const { service } of this.services) service.reloaded?.();
    }
  }

  /** The atexit hooks (hook-as-user-atexit, exec-as-user-atexit); a failure is logged, exit 1. */
  private async atexit(): Promise<void> {
    try {
      await runHooks(this.hooks, 'atexit', { log: (line) => this.log(line) });
    } catch {
      this.exitCode = 1;
    }
  }

  private async chainReload(abandon: () => boolean): Promise<void> {
    const pool = this.get('workers');
    if (!pool) return;
    if (await pool.chainReload(abandon)) this.log('chain reload complete');
    else this.log('chain reload interrupted (a full reload or a stop took over)');
  }

  private async rereadConfig(): Promise<void> {
    if (!this.reread) return;
    const fresh = this.reread();
    // a bad rule or hook line fails the reload: the old workers keep serving
    await loadRoutingCompiler(fresh);
    routingPart(fresh);
    const hooks = hookPlan(fresh);
    const sockets = (c: Config) => JSON.stringify(socketRequests(c).sockets.map((r) => [r.protocol, r.raw]));
    if (sockets(fresh) !== sockets(this.config))
      this.log('reload: socket options changed; the bound sockets are kept until a restart');
    this.config = fresh;
    this.hooks = hooks;
    this.log('reload: configuration re-read');
  }
}
