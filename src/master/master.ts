// The master process: binds every socket once, drops privileges, writes pidfiles, spawns and
// supervises the workers and turns UNIX signals into lifecycle events. uwsgi-ts differs from
// uWSGI 2.0 on purpose (README): SIGTERM stops gracefully, SIGHUP reloads with zero downtime,
// SIGINT/SIGQUIT stop at once.

import { fork } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { isAlarmMessage } from '../alarm/alarm-message.js';
import { Alarms, alarmsConfigured, type SocketQueue } from '../alarm/alarms.js';
import { CacheKeeper } from '../cache/cache-keeper.js';
import { formatOrigin } from '../config/entry.js';
import { findOption } from '../config/option-registry.js';
import type { Config } from '../config/resolve.js';
import { UwsgiError } from '../errors.js';
import { isWorkerMessage, type WorkerMessage } from '../ipc/messages.js';
import { createLogSink, isUdpLogto, masterOwnsLog, workerLogging } from '../logging/log-config.js';
import type { LogSink } from '../logging/log-sink.js';
import { ctime } from '../logging/request-log.js';
import {
  ownLogWorkerStdio,
  PIPED_WORKER_STDIO,
  readWatchdogReports,
  readWorkerOutput,
} from '../logging/worker-output.js';
import { MasterMetrics } from '../metrics/master-metrics.js';
import { type MuleConfig, type MuleSpec, muleConfig } from '../mule/mule-config.js';
import { MulePool } from '../mule/mule-pool.js';
import { parseAddress } from '../net/address.js';
import { type BoundSocket, bindSocket, type SocketRequest } from '../net/bind.js';
import { boundPort, createServerHandle, type NativeHandle } from '../net/native-handle.js';
import { PROTOCOL_NAMES, SOCKET_OPTIONS, type SocketProtocol } from '../net/socket-protocol.js';
import { formatRoutersList } from '../routing/action-table.js';
import { type RoutingPlan, routingPlan } from '../routing/routing-plan.js';
import { createRegion } from '../shared/region.js';
import { SharedHost } from '../shared/remote-host.js';
import { needsSharing, planShared } from '../shared/shared-plan.js';
import { SharedServices } from '../shared/shared-services.js';
import { MasterSignals } from '../signal/master-signals.js';
import { type StaticPlan, staticPlan } from '../static/static-plan.js';
import { listenQueue, unixListenQueue } from '../stats/listen-queue.js';
import { socketName, statsDocument } from '../stats/stats-document.js';
import { StatsServer } from '../stats/stats-server.js';
import { VERSION } from '../version.js';
import type { AppSpec, AppStyle, WorkerPlan } from '../worker/plan.js';
import { compileRouting } from '../worker/routing-host.js';
import { Cheaper, type ElasticConfig, elasticConfig } from './cheaper.js';
import { type FifoActions, MasterFifo } from './fifo.js';
import { applyPrivileges } from './privileges.js';
import { MasterWatchers } from './watchers.js';
import { WorkerPool, type WorkerProcess } from './worker-pool.js';

/** The static-file part of a worker's plan (src/static/static-plan.ts), only when configured. */
function staticPart(c: Config): { static?: StaticPlan } {
  const plan = staticPlan(c);
  return plan ? { static: plan } : {};
}

/**
 * The routing part of a worker's plan (src/routing/routing-plan.ts), only when rules are set; the
 * rules are compiled here too, so a bad one stops the instance (or a reload) before any worker
 * starts, with the coded error naming the option and its origin.
 */
function routingPart(c: Config): { routing?: RoutingPlan } {
  const plan = routingPlan(c);
  if (plan === undefined) return {};
  compileRouting(plan);
  return { routing: plan };
}

const WORKER_ENTRY = fileURLToPath(new URL('../worker/worker-main.js', import.meta.url));
const MULE_ENTRY = fileURLToPath(new URL('../mule/mule-main.js', import.meta.url));

export interface MasterOptions {
  readonly config: Config;
  /** Where log lines go (stderr, or the logto file). */
  readonly logFd: number;
  /** Reads the configuration again (the same argv and config files), for reloads. */
  readonly reread?: () => Config;
}

function socketRequests(config: Config): { sockets: SocketRequest[]; shared: SocketRequest[] } {
  const sockets: SocketRequest[] = [];
  const shared: SocketRequest[] = [];
  const defaultProtocol = PROTOCOL_NAMES[config.value('protocol') ?? 'uwsgi'] ?? 'uwsgi';
  for (const entry of config.entries) {
    const name = findOption(entry.key)?.name;
    if (!name) continue;
    const where = formatOrigin(entry.origin);
    if (name === 'shared-socket') {
      shared.push({ protocol: 'uwsgi', address: parseAddress(entry.value, where), raw: entry.value, where });
      continue;
    }
    if (!(name in SOCKET_OPTIONS)) continue;
    let protocol: SocketProtocol = SOCKET_OPTIONS[name as keyof typeof SOCKET_OPTIONS];
    if (name === 'socket') protocol = defaultProtocol;
    if (protocol === 'https') {
      const [addr = '', cert, key, ciphers, ca] = entry.value.split(',');
      if (!cert || !key) {
        throw new UwsgiError(
          'ERR_SOCKET_BAD_ADDRESS',
          `https-socket needs ADDR,CERT,KEY: "${entry.value}" (${where})`,
        );
      }
      sockets.push({
        protocol,
        address: parseAddress(addr, where),
        raw: entry.value,
        where,
        tls: { cert, key, ...(ciphers ? { ciphers } : {}), ...(ca ? { ca } : {}) },
      });
    } else sockets.push({ protocol, address: parseAddress(entry.value, where), raw: entry.value, where });
  }
  return { sockets, shared };
}

/** `file[:callable]`: the last `:` after the last `/` names the export. */
function appSpec(mountpoint: string, value: string): AppSpec {
  const colon = value.lastIndexOf(':');
  if (colon > value.lastIndexOf('/') && colon > 1) {
    return { mountpoint, file: value.slice(0, colon), callable: value.slice(colon + 1) };
  }
  return { mountpoint, file: value, callable: undefined };
}

function appSpecs(config: Config): AppSpec[] {
  const apps: AppSpec[] = [];
  const callable = config.get('callable')?.value;
  for (const entry of config.entries) {
    const name = findOption(entry.key)?.name;
    if (name === 'app') {
      const spec = appSpec('', entry.value);
      apps.push(spec.callable === undefined && callable ? { ...spec, callable } : spec);
    } else if (name === 'mount') {
      const eq = entry.value.indexOf('=');
      if (eq < 0)
        throw new UwsgiError(
          'ERR_CONFIG_BAD_VALUE',
          `mount needs /mountpoint=app: "${entry.value}" (${formatOrigin(entry.origin)})`,
        );
      const spec = appSpec(entry.value.slice(0, eq), entry.value.slice(eq + 1));
      // uWSGI applies `callable` to mounted apps too (the seed's `callable = app`)
      apps.push(spec.callable === undefined && callable ? { ...spec, callable } : spec);
    }
  }
  return apps;
}

/**
 * Listening sockets passed by systemd socket activation (LISTEN_FDS, fds from 3), keyed by the
 * address they are bound to, so that `socket = /run/app.sock` uses the inherited fd.
 */
function inheritedSockets(): Map<string, NativeHandle> {
  const found = new Map<string, NativeHandle>();
  const count = Number(process.env['LISTEN_FDS'] ?? 0);
  const pid = process.env['LISTEN_PID'];
  if (!count || (pid !== undefined && Number(pid) !== process.pid)) return found;
  for (let fd = 3; fd < 3 + count; fd++) {
    const handle = createServerHandle(null, 0, 0, fd);
    if (typeof handle === 'number') continue;
    const out: { address?: string; port?: number } = {};
    // TCP sockets are matched by address; any inherited fd is also reachable as fd://N
    if (handle.getsockname?.(out) === 0 && out.port !== undefined)
      found.set(`tcp:${out.address}:${out.port}`, handle);
    found.set(`fd:${fd}`, handle);
  }
  delete process.env['LISTEN_FDS'];
  delete process.env['LISTEN_PID'];
  return found;
}

export class Master {
  private config: Config;
  private readonly logFd: number;
  private readonly reread: (() => Config) | undefined;
  private bound: BoundSocket[] = [];
  private pool: WorkerPool | undefined;
  private pidfiles: string[] = [];
  private shuttingDown = false;
  private fifo: MasterFifo | undefined;
  private watchers: MasterWatchers | undefined;
  private stats: StatsServer | undefined;
  private reloading = false;
  private elastic: ElasticConfig | undefined;
  private cheaper: Cheaper | undefined;
  /** The instance's shared memory and the services in it (src/shared/). */
  private shared: SharedServices | undefined;
  /** Without the addon: the master answers the workers' shared service calls (src/shared/remote-host.ts). */
  private sharedHost: SharedHost | undefined;
  private sharedRemote: string | undefined;
  /** Stores, preloads and the sweeper of the caches (src/cache/cache-keeper.ts). */
  private caches: CacheKeeper | undefined;
  /** uwsgi signals, timers, cron and file monitors (src/signal/master-signals.ts). */
  private signals: MasterSignals | undefined;
  private mules: MulePool | undefined;
  private muleSpecs: MuleConfig = { mules: [], farms: new Map() };
  /** The metrics collector, stats pushers and carbon (src/metrics/master-metrics.ts). */
  private metrics: MasterMetrics | undefined;
  /** The alarms (src/alarm/alarms.ts). */
  private alarms: Alarms | undefined;

  /** Where every line ends (src/logging/log-sink.ts). */
  private readonly logs: LogSink;
  /** The master is the only writer of the log: workers' output reaches it through pipes. */
  private readonly logsOwned: boolean;

  constructor(options: MasterOptions) {
    this.config = options.config;
    this.logFd = options.logFd;
    const logto = options.config.value('logto') ?? options.config.value('daemonize');
    const path = logto !== undefined && !isUdpLogto(logto) && options.logFd !== 2 ? logto : undefined;
    this.logsOwned = masterOwnsLog(options.config);
    this.logs = createLogSink(options.config, { fd: options.logFd, path });
    this.reread = options.reread;
  }

  log(line: string): void {
    // the sink never throws: a closed log must not kill the master
    this.logs.line(line);
  }

  private banner(): void {
    const c = this.config;
    this.log(`*** Starting uWSGI-ts ${VERSION} (64bit) on [${ctime(Date.now())}] ***`);
    this.log(`compiled with version: Node.js ${process.version}`);
    this.log(`os: ${process.platform}-${process.arch}`);
    this.log(`nodename: ${hostname()}`);
    this.log(`detected number of CPU cores: ${cpus().length}`);
    this.log(`current working directory: ${process.cwd()}`);
    this.log(`detected binary path: ${process.argv[1] ?? process.execPath}`);
    if (process.getuid?.() === 0 && c.value('uid') === undefined) {
      this.log('uWSGI running as root, you can use --uid/--gid/--chroot options');
      this.log('*** WARNING: you are running uWSGI as root !!! (use the --uid flag) *** ');
    }
    if (!c.value('master'))
      this.log('*** WARNING: you are running uWSGI without its master process manager ***');
  }

  private plan(id: number, generation: number, apps: AppSpec[], maxConcurrent: number): WorkerPlan {
    const c = this.config;
    const auto = c.value('auto-procname');
    const prefix = c.value('procname-prefix') ?? '';
    const base = c.value('procname') ?? (auto ? `uWSGI worker ${id}` : undefined);
    return {
      id,
      generation,
      sockets: this.bound.map((b) => ({
        index: b.index,
        protocol: b.protocol,
        ...(b.tls ? { tls: b.tls } : {}),
      })),
      apps,
      appStyle: (c.value('app-style') ?? 'auto') as AppStyle,
      manageScriptName: c.value('manage-script-name') === true,
      noDefaultApp: c.value('no-default-app') === true,
      needApp: c.value('need-app') === true,
      bufferSize: c.value('buffer-size') ?? 4096,
      maxVars: c.value('max-vars') ?? 64,
      limitPost: c.value('limit-post') ?? 0,
      postBuffering: c.value('post-buffering') ?? 0,
      socketTimeout: c.value('socket-timeout') ?? 4,
      listenBacklog: c.value('listen') ?? 100,
      logging: workerLogging(c, this.logsOwned),
      threads: c.value('threads') ?? 1,
      async: c.value('async') ?? 1,
      maxConcurrent,
      procname:
        base === undefined ? (prefix ? `${prefix}uWSGI worker ${id}` : undefined) : `${prefix}${base}`,
      hostname: hostname(),
      rpcMax: c.value('rpc-max') ?? 64,
      // the cheaper subsystem reads the workers' busy state through the stats counters
      // the cheaper subsystem and the metrics read the workers' busy state through the stats counters
      stats: c.value('stats') !== undefined || this.elastic !== undefined || this.metrics !== undefined,
      harakiri: { seconds: c.value('harakiri') ?? 0, verbose: c.value('harakiri-verbose') === true },
      ...(this.shared ? { shared: this.shared.plan } : {}),
      ...(this.sharedRemote ? { sharedRemote: this.sharedRemote } : {}),
      ...staticPart(c),
      ...routingPart(c),
      recycle: {
        maxRequests:
          (c.value('max-requests') ?? 0) > 0
            ? (c.value('max-requests') ?? 0) + id * (c.value('max-requests-delta') ?? 0)
            : 0,
        reloadOnRssMB: c.value('reload-on-rss') ?? 0,
        reloadOnException: c.value('reload-on-exception') === true,
        exceptionTypes: c.all('reload-on-exception-type').map((o) => String(o.value)),
        exceptionValues: c.all('reload-on-exception-value').map((o) => String(o.value)),
        exceptionReprs: c.all('reload-on-exception-repr').map((o) => String(o.value)),
        minLifetimeS: c.value('min-worker-lifetime') ?? 10,
      },
    };
  }

  async run(): Promise<number> {
    const c = this.config;
    if (c.value('router-list')) {
      // uWSGI's --routers-list: the actions, on the log, then exit
      process.stderr.write(formatRoutersList());
      return 0;
    }
    this.startAlarms(c);
    this.banner();
    // bad rules stop the instance before a socket is bound or a worker forked
    routingPart(c);
    // and so do bad static options (a static-expires regexp, a static-map without =)
    staticPart(c);
    // and a farm naming a mule that does not exist
    this.muleSpecs = muleConfig(c);
    const { sockets, shared } = socketRequests(c);
    if (sockets.length === 0) {
      throw new UwsgiError(
        'ERR_SOCKET_NONE',
        'no socket to serve on: give --http-socket, --socket, --fastcgi-socket or --scgi-socket',
      );
    }
    const umask = c.value('umask');
    if (umask !== undefined) process.umask(umask);
    const chmod = c.value('chmod-socket');
    const chown = c.value('chown-socket');
    const bindOptions = {
      ...(chmod !== undefined ? { chmod } : {}),
      ...(chown ? { chown } : {}),
      inherited: inheritedSockets(),
    };
    const sharedBound: BoundSocket[] = [];
    for (const [i, request] of shared.entries()) {
      const b = await bindSocket(i, request, { ...bindOptions, shared: [] });
      sharedBound.push(b);
      this.log(`uwsgi shared socket ${i} bound to ${b.description} fd ${b.handle.fd}`);
    }
    for (const [i, request] of sockets.entries()) {
      const b = await bindSocket(i, request, { ...bindOptions, shared: sharedBound });
      this.bound.push(b);
      const verb = b.inherited ? 'inherited' : 'bound to';
      this.log(`uwsgi socket ${i} ${verb} ${b.description} fd ${b.handle.fd}`);
    }
    if ((c.value('post-buffering') ?? 0) > 0 && this.bound.some((b) => b.protocol.startsWith('http'))) {
      this.log(
        'post-buffering applies to uwsgi/FastCGI/SCGI sockets; on http sockets bodies stream to the app (no worker is held by a slow upload)',
      );
    }
    this.writePidfile(c.value('pidfile'));
    applyPrivileges(c);
    await this.openShared(c);
    this.openMetrics(c);
    // logto2: opened now, so the log file belongs to the uid (uWSGI's order)
    this.logs.afterPrivileges();
    this.writePidfile(c.value('pidfile2'));

    const processes = Math.max(1, c.value('processes') ?? 1);
    const threads = c.value('threads') ?? 1;
    const asyncCores = c.value('async') ?? 1;
    const cores = Math.max(1, threads) * Math.max(1, asyncCores);
    const bounded = c.get('threads') !== undefined || c.get('async') !== undefined;
    const apps = appSpecs(c);
    this.elastic = elasticConfig(c, (name) => {
      const origin = c.all(name as 'cheaper').at(-1)?.origin;
      return origin ? formatOrigin(origin) : 'default';
    });
    this.log(`your server socket listen backlog is limited to ${c.value('listen') ?? 100} connections`);
    this.log(`your mercy for graceful operations on workers is ${this.mercySeconds()} seconds`);
    this.log(
      `*** Operational MODE: ${processes > 1 ? 'preforking' : 'single process'}${cores > 1 ? (threads > 1 ? '+threaded' : '+async') : ''} ***`,
    );
    // uwsgi signals, timers, cron, file monitors (src/signal/): a bad line stops the start here
    this.signals = new MasterSignals({
      config: c,
      serving: () => this.pool?.serving() ?? [],
      send: (pid, num) =>
        (this.pool?.sendTo(pid, { t: 'signal', num }) || this.mules?.sendToPid(pid, { t: 'signal', num })) ??
        false,
      mules: () => this.mules?.serving() ?? [],
      shape: {
        get processes() {
          return pool()?.max ?? processes;
        },
        mules: this.muleSpecs.mules.length,
        spoolers: [],
        farms: this.muleSpecs.farms,
      },
      log: (line) => this.log(line),
    });
    const pool = () => this.pool;
    if (c.value('master')) this.log(`spawned uWSGI master process (pid: ${process.pid})`);
    const auto = c.value('auto-procname');
    const masterTitle = c.value('procname-master') ?? (auto ? 'uWSGI master' : undefined);
    if (masterTitle) process.title = `${c.value('procname-prefix') ?? ''}${masterTitle}`;

    this.pool = new WorkerPool({
      count: processes,
      cores,
      respawn: c.value('master') === true,
      // the current config: a reload may have re-read it
      plan: (id, generation) => this.plan(id, generation, appSpecs(this.config), bounded ? cores : 0),
      sockets: this.bound.map((b) => ({ index: b.index, handle: b.handle })),
      spawn: (id) => {
        const child = this.forkChild(WORKER_ENTRY, { UWSGI_TS_WORKER_ID: String(id) }, id);
        readWatchdogReports(child, (message) => child.emit('message', message));
        return child as unknown as WorkerProcess;
      },
      clock: { now: () => Date.now(), setTimeout: (fn, ms) => setTimeout(fn, ms) },
      lifetimeMs: (id) => {
        const lifetime = c.value('max-worker-lifetime') ?? 0;
        return lifetime > 0 ? (lifetime + id * (c.value('max-worker-lifetime-delta') ?? 0)) * 1000 : 0;
      },
      log: (line) => this.log(line),
      ...(this.elastic ? { elastic: { initial: this.elastic.initial } } : {}),
    });
    this.installSignals();
    this.startFifo();
    await this.startStats();
    this.watchers = new MasterWatchers(c, {
      gracefulReload: (why) => {
        this.log(why);
        void this.reload();
      },
      brutalReload: (why) => {
        this.log(why);
        this.pool?.brutalReload();
      },
      mulesReload: (why) => {
        this.log(why);
        void this.mules?.reload();
      },
      chainReload: (why) => {
        this.log(why);
        void this.pool?.chainReload().then(() => this.log('chain reload complete'));
      },
      log: (line) => this.log(line),
    });
    this.watchers.start(apps.map((a) => a.file));
    try {
      await this.pool.start();
    } catch (err) {
      await this.pool.kill('SIGKILL');
      this.cleanup();
      const why = err instanceof Error ? err.message : String(err);
      const needApp = c.value('need-app') === true;
      throw new UwsgiError(
        needApp ? 'ERR_APP_NONE' : 'ERR_APP_LOAD',
        needApp
          ? `need-app is set and the app did not load (${why}): GAME OVER`
          : `the first workers failed to start: ${why}`,
      );
    }
    // mules after the workers, as uWSGI spawns them
    if (this.muleSpecs.mules.length > 0) {
      this.mules = new MulePool({
        specs: this.muleSpecs.mules,
        spawn: (spec) => this.spawnMule(spec),
        mercyMs: (c.value('mule-reload-mercy') ?? 60) * 1000,
        log: (line) => this.log(line),
      });
      this.mules.start();
    }
    const started = this.elastic?.initial ?? processes;
    this.log(
      `uwsgi-ts: all workers ready (${started} ${started === 1 ? 'process' : 'processes'}, pid ${process.pid})`,
    );
    this.startCheaper();
    this.signals.start();
    this.metrics?.start();
    this.alarms?.start();
    this.watchMemory();
    this.watchHarakiri();
    return new Promise<number>((resolve) => {
      this.finish = resolve;
    });
  }

  private finish: (code: number) => void = () => {};

  /** Forks mule `spec`: the worker's stdio and shared memory, a plan with no socket. */
  /**
   * Forks a worker or a mule (`wid` 0): the log's stdio (pipes the master reads when it owns the
   * log), the shared memory at REGION_FD (6), and what every such process sends the master:
   * alarm(), its own log lines, mule messages, uwsgi signal requests (src/signal/).
   */
  private forkChild(entry: string, env: Record<string, string>, wid: number) {
    const logStdio = this.logFd === 2 ? 'inherit' : this.logFd;
    const child = fork(entry, [], {
      stdio: [
        ...(this.logsOwned ? PIPED_WORKER_STDIO : ownLogWorkerStdio(logStdio)),
        ...(this.shared?.region.fd !== undefined ? [this.shared.region.fd] : []),
      ],
      env: { ...process.env, ...env },
      execArgv: workerExecArgv(),
    });
    if (this.logsOwned) readWorkerOutput(child, this.logs);
    child.on('message', (message: unknown) => {
      if (isAlarmMessage(message) && !this.alarms?.raise(message.name, message.message))
        this.log(`alarm(): no alarm named "${message.name}"`);
      if (!isWorkerMessage(message)) return;
      // a worker's log lines go through its pool (onWorkerLog)
      if (message.t === 'log') {
        if (wid === 0) this.log(message.line.replace(/\n$/, ''));
      } else if (message.t === 'mule-msg') this.routeMuleMessage(message);
      else this.signals?.onWorkerMessage(wid, child.pid ?? 0, message);
    });
    return child;
  }

  /** Forks mule `spec` with a plan that has no socket, and starts it. */
  private spawnMule(spec: MuleSpec) {
    const child = this.forkChild(MULE_ENTRY, { UWSGI_TS_MULE_ID: String(spec.id) }, 0);
    child.on('error', (err) => this.log(`mule ${spec.id}: ${err.message}`));
    const plan = this.plan(0, 0, appSpecs(this.config), 0);
    child.send({
      t: 'plan',
      plan: {
        ...plan,
        sockets: [],
        mule: { id: spec.id, script: spec.script },
        harakiri: { seconds: 0, verbose: false },
      },
    });
    child.send({ t: 'start' });
    return child;
  }

  /** muleMsg() from a worker or a mule: to the mule it names, or the next programmed one. */
  private routeMuleMessage(message: Extract<WorkerMessage, { t: 'mule-msg' }>): void {
    const forward = { t: 'mule-msg', data: message.data };
    const mules = this.mules;
    if (message.mule > 0) {
      if (!mules?.send(message.mule, forward))
        this.log(`mule_msg(): mule ${message.mule} is not running: message dropped`);
    } else if (!mules || mules.sendAnyProgrammed(forward) === 0) {
      this.log('mule_msg(): no programmed mule is running: message dropped');
    }
  }

  /**
   * `alarm` (src/alarm/): built first, so a bad alarm stops the instance before anything starts
   * and `alarm-list` prints before the banner, as in uWSGI. alarm-log sees every line through the
   * log sink (the alarm-log options make the master own the log).
   */
  private startAlarms(c: Config): void {
    if (!alarmsConfigured(c)) return;
    const alarms = new Alarms(c, {
      log: (line) => this.log(line),
      now: () => Date.now(),
      sockets: () => this.socketQueues(),
      // the signals start later in run(); an alarm fires only once they do
      raiseSignal: (num) => void this.signals?.raise(num),
    });
    this.alarms = alarms;
    if (c.value('alarm-list')) for (const line of alarms.listLines()) this.log(line);
    if (alarms.watchesLog) this.logs.observe((line) => alarms.checkLine(line));
  }

  /** Every bound socket's listen queue (alarm-backlog, socket.N.listen_queue). */
  private socketQueues(): SocketQueue[] {
    const backlog = this.config.value('listen') ?? 100;
    return this.bound.map((b) => {
      const port = b.address.kind === 'tcp' ? boundPort(b.handle) : undefined;
      const q = port === undefined ? undefined : listenQueue(port);
      return {
        name: socketName(b),
        fd: b.handle.fd,
        queue: q?.queue ?? socketQueue(b),
        max: q?.max || backlog,
      };
    });
  }

  /**
   * Metrics (src/metrics/): the values live in the shared memory opened just before; initial and
   * restored values are written before any worker starts. Carbon without metrics runs here too.
   */
  private openMetrics(c: Config): void {
    const store = this.shared?.metrics;
    if (!store && this.shared === undefined && c.value('enable-metrics') === true)
      this.log('*** WARNING: no shared memory: the metrics subsystem is off ***');
    store?.initialize();
    const metrics = new MasterMetrics(c, store, {
      workers: () => this.pool?.stats(200) ?? Promise.resolve([]),
      listenQueues: () => this.socketQueues().map((q) => q.queue),
      firstSocketName: () => (this.bound[0] ? socketName(this.bound[0]) : undefined),
      log: (line) => this.log(line),
    });
    for (const line of metrics.startupLines()) this.log(line);
    if (store || c.all('carbon').length > 0) this.metrics = metrics;
    else metrics.close();
  }

  /**
   * The shared memory every worker maps (issue "Shared services"). Without the addon, the
   * services live in the master only: said once, and an app calling them gets a clear error.
   */
  private async openShared(c: Config): Promise<void> {
    const plan = planShared(c, { sockets: this.bound.length });
    const { region, warning } = createRegion(plan.layout);
    this.shared = new SharedServices(plan, region, (line) => this.log(line));
    if (warning) {
      // the fallback: the services live in the master, the workers call them over a socket
      this.sharedHost = new SharedHost(this.shared, (line) => this.log(line));
      this.sharedRemote = await this.sharedHost.start();
      if (needsSharing(c))
        this.log(
          `*** WARNING: ${warning}: shared services (caches, locks, sharedareas, metrics) go through the master (slower) ***`,
        );
    }
    for (const line of this.shared.startupLines()) this.log(line);
    if (plan.caches.length > 0) {
      this.caches = new CacheKeeper(plan.caches, this.shared.caches, region, (line) => this.log(line));
      this.caches.start(c);
    }
  }

  /** cheaper / idle / cheap (src/master/cheaper.ts). */
  private startCheaper(): void {
    if (!this.elastic || !this.pool) return;
    const bound = this.bound;
    this.cheaper = new Cheaper(this.elastic, {
      pool: this.pool,
      queue: () => bound.reduce((n, b) => n + socketQueue(b), 0),
      rss: (pid) => (residentMB(pid) ?? 0) * 1048576,
      log: (line) => this.log(line),
      shutdown: () => void this.shutdown(true),
    });
    this.cheaper.start();
    // `cheap`: the first workers put the sockets in listening state; from now on connections
    // wait in the kernel's queue until the first one wakes the workers up
    if (this.elastic.cheapAtStart) this.cheaper.sleepNow();
  }

  /** `stats = ADDR` (reference §5): the document is built on each connection. */
  private async startStats(): Promise<void> {
    const address = this.config.value('stats');
    if (!address || !this.pool) return;
    const pool = this.pool;
    this.stats = new StatsServer({
      address,
      http: this.config.value('stats-http') === true,
      minified: this.config.value('stats-minified') === true,
      document: async () =>
        statsDocument(this.config, this.bound, await pool.stats(200), {
          ...(this.shared
            ? {
                locks: {
                  user: this.shared.lockStats(),
                  sharedareas: this.shared.sharedareaLockStats(),
                  caches: this.shared.cacheLockStats(),
                },
                caches: this.shared.caches.stats().map((c) => ({ ...c })),
              }
            : {}),
          metrics: this.config.value('stats-no-metrics') ? undefined : this.metrics?.statsSection(),
          signals: this.signals,
        }),
      log: (line) => this.log(line),
    });
    await this.stats.start();
  }

  /** harakiri (reference §2.4): the master's check, every second, for workers whose loop is blocked. */
  private watchHarakiri(): void {
    const seconds = this.config.value('harakiri') ?? 0;
    // also without a global harakiri: any app may call setUserHarakiri() (src/api/harakiri.ts)
    if (!this.pool) return;
    const pool = this.pool;
    setInterval(() => pool.checkHarakiri(seconds * 1000, ctime), 1000).unref();
  }

  /**
   * evil-reload-on-rss (reference §2.3): every mem-collector-freq seconds the master reads each
   * worker's RSS and kills the ones above the limit (the respawn path logs and replaces them).
   */
  private watchMemory(): void {
    const limit = this.config.value('evil-reload-on-rss') ?? 0;
    if (limit <= 0 || !this.pool) return;
    const pool = this.pool;
    const every = Math.max(1, this.config.value('mem-collector-freq') ?? 3) * 1000;
    setInterval(() => {
      for (const pid of pool.pids()) {
        const rss = residentMB(pid);
        if (rss !== undefined && rss > limit) {
          this.log(
            `worker (pid: ${pid}) has ${rss} MB of RSS, above evil-reload-on-rss ${limit} MB: killing it`,
          );
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }
      }
    }, every).unref();
  }

  private mercySeconds(): number {
    return this.config.value('reload-mercy') || this.config.value('worker-reload-mercy') || 60;
  }

  private writePidfile(path: string | undefined): void {
    if (!path) return;
    writeFileSync(path, `${process.pid}\n`);
    this.pidfiles.push(path);
  }

  private cleanup(): void {
    this.caches?.close();
    this.sharedHost?.close();
    this.cheaper?.close();
    this.metrics?.close();
    this.alarms?.close();
    this.fifo?.close();
    this.watchers?.close();
    this.signals?.close();
    this.stats?.close();
    if (this.config.value('vacuum')) {
      for (const f of this.fifo?.files ?? []) rmSync(f, { force: true });
      for (const b of this.bound) if (b.unixPath && !b.inherited) rmSync(b.unixPath, { force: true });
      for (const p of this.pidfiles) rmSync(p, { force: true });
    }
  }

  private async shutdown(graceful: boolean): Promise<void> {
    if (this.shuttingDown || !this.pool) return;
    this.shuttingDown = true;
    if (graceful) {
      this.log(`${ctime(Date.now())} - graceful shutdown triggered...`);
      await Promise.all([this.pool.stop(this.mercySeconds() * 1000), this.mules?.stop()]);
    } else {
      this.log('SIGINT/SIGQUIT received...killing workers...');
      await Promise.all([this.pool.kill('SIGKILL'), this.mules?.stop()]);
    }
    this.cleanup();
    this.log('goodbye to uWSGI.');
    this.finish(0);
  }

  private async reload(): Promise<void> {
    if (!this.pool || this.reloading || this.shuttingDown) return;
    if (this.config.value('exit-on-reload')) {
      await this.shutdown(true);
      return;
    }
    this.reloading = true;
    // log-reopen: uWSGI reopens logto when it comes back from a reload
    if (this.config.value('log-reopen')) this.logs.reopen();
    this.log('...gracefully reloading workers (new workers first, then the old ones drain)...');
    const previous = this.config;
    try {
      this.rereadConfig();
      await this.pool.reload();
      this.log('uwsgi-ts: reload done, new workers serving');
      // the mules load the new code too
      await this.mules?.reload();
    } catch (err) {
      this.config = previous;
      this.log(
        `reload failed, the old workers keep serving: ${err instanceof Error ? err.message : String(err)}`,
      );
    } finally {
      this.reloading = false;
    }
  }

  /**
   * A reload re-reads the config files (issue "Operations"): apps, limits and worker options take
   * the new values; sockets stay bound as they are (changing them needs a restart).
   */
  private rereadConfig(): void {
    if (!this.reread) return;
    const fresh = this.reread();
    // a bad rule fails the reload: the old workers keep serving
    routingPart(fresh);
    const sockets = (c: Config) => JSON.stringify(socketRequests(c).sockets.map((r) => [r.protocol, r.raw]));
    if (sockets(fresh) !== sockets(this.config))
      this.log('reload: socket options changed; the bound sockets are kept until a restart');
    this.config = fresh;
    const processes = Math.max(1, fresh.value('processes') ?? 1);
    this.pool?.setCount(processes);
    this.log('reload: configuration re-read');
  }

  private installSignals(): void {
    const table: ReadonlyArray<[NodeJS.Signals, () => void]> = [
      ['SIGTERM', () => void this.shutdown(true)],
      ['SIGINT', () => void this.shutdown(false)],
      ['SIGQUIT', () => void this.shutdown(false)],
      ['SIGHUP', () => void this.reload()],
    ];
    for (const [signal, handler] of table) process.on(signal, handler);
  }

  /** `master-fifo`: the FIFO commands of reference §6.1, as far as the subsystems exist. */
  private startFifo(): void {
    const paths = this.config.all('master-fifo').map((o) => o.value);
    if (paths.length === 0) return;
    const pool = this.pool;
    const actions: FifoActions = {
      gracefulReload: () => void this.reload(),
      brutalReload: () => pool?.brutalReload(),
      chainReload: () => {
        this.log('chain reload starting...');
        void pool?.chainReload().then(() => this.log('chain reload complete'));
      },
      gracefulStop: () => void this.shutdown(true),
      brutalStop: () => void this.shutdown(false),
      reopenLogs: () => this.logs.reopen(),
      rotateLogs: () => this.logs.rotate(),
      rewritePidfiles: () => {
        for (const path of this.pidfiles) writeFileSync(path, `${process.pid}\n`);
        this.log('pidfiles rewritten');
      },
      cheaperIncrease: () =>
        this.cheaper ? this.cheaper.increase() : this.log('master fifo: + needs cheaper mode (cheaper = N)'),
      cheaperDecrease: () =>
        this.cheaper ? this.cheaper.decrease() : this.log('master fifo: - needs cheaper mode (cheaper = N)'),
      statsToLog: () =>
        this.log(`stats: master pid ${process.pid}, workers ${pool?.pids().join(', ') ?? 'none'}`),
      log: (line) => this.log(line),
    };
    this.fifo = new MasterFifo(paths, actions);
    this.fifo.start();
  }
}

/** Connections waiting to be accepted on a bound socket (cheaper backlog, idle wake-up). */
function socketQueue(b: BoundSocket): number {
  const a = b.address;
  if (a.kind === 'tcp') {
    const port = boundPort(b.handle);
    return port === undefined ? 0 : (listenQueue(port)?.queue ?? 0);
  }
  if (a.kind === 'unix') return unixListenQueue(a.path);
  if (a.kind === 'abstract') return unixListenQueue(`@${a.name}`);
  return 0;
}

/** VmRSS of a process in MB, from /proc (Linux). */
function residentMB(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.floor(Number(m[1]) / 1024) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A development aid: with UWSGI_TS_WORKER_PROF=DIR every worker and mule writes a V8 CPU profile
 * there when it exits gracefully (node --cpu-prof; stop the instance with SIGTERM, not SIGINT),
 * sampled every UWSGI_TS_WORKER_PROF_INTERVAL microseconds (default 1000).
 */
function workerExecArgv(): string[] {
  const dir = process.env['UWSGI_TS_WORKER_PROF'];
  return dir
    ? [
        '--cpu-prof',
        `--cpu-prof-dir=${dir}`,
        '--cpu-prof-interval',
        process.env['UWSGI_TS_WORKER_PROF_INTERVAL'] ?? '1000',
      ]
    : [];
}
