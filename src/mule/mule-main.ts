// A mule process (seed manual, "uWSGI Mules"): a worker that no socket reaches. It maps the
// instance's shared memory and gets the app API as a worker does (caches, locks, sharedareas,
// signals, RPC), then either loads the apps, to run their signal handlers (signal-only mode), or
// imports its own script (a programmed mule). A signal-only mule lives until it is stopped; a
// programmed one lives while its script has something to do (a timer, a socket, a pending
// muleGetMsg() or signalWait(), a signal handler) and is respawned by the master when it ends, as
// uWSGI respawns a mule whose script returned.

import { resolve } from 'node:path';
import { isUwsgiError } from '../errors.js';
import { runHooks } from '../hooks/run-hooks.js';
import { dispatchMasterMessage, type MasterMessageHandlers } from '../ipc/messages.js';
import { ownLogWriter } from '../logging/worker-output.js';
import { workerSignals } from '../signal/worker-signals.js';
import { importModule, loadApp } from '../worker/app-loader.js';
import { installBackgroundRuntime } from '../worker/background-runtime.js';
import { installListenCapture } from '../worker/listen-capture.js';
import type { WorkerPlan } from '../worker/plan.js';
import { attachProcessServices } from '../worker/process-services.js';
import { decodeMuleCall, hasMuleFunctions } from './mule-functions.js';
import { farmInbox, muleInbox } from './mule-inbox.js';
import { isPythonScript, runPythonMule } from './python-mule.js';

class Mule {
  private plan: WorkerPlan | undefined;
  private log: (line: string) => void = ownLogWriter();
  private programmed = false;
  private loaded = false;

  /** The master's messages, one row each (src/ipc/messages.ts). */
  private readonly handlers: MasterMessageHandlers = {
    plan: (m) => {
      this.plan = m.plan;
      if (m.plan.logging.logMaster) this.log = (line) => process.send?.({ t: 'log', line });
      process.title = `uWSGI mule ${m.plan.mule?.id ?? 0}`;
    },
    // a mule has no socket
    socket: () => {},
    start: () => {
      this.start().catch((err: unknown) => this.fail(err));
    },
    stop: () => process.exit(0),
    'stats?': () => {},
    signal: (m) => workerSignals.deliver(m.num),
    'mule-msg': (m) => this.muleMessage(Buffer.from(m.data, 'base64')),
    'farm-msg': (m) => farmInbox.deliver(Buffer.from(m.data, 'base64')),
    handed: () => {},
  };

  /** A muleFunction() call runs here; any other message waits for muleGetMsg(). */
  private muleMessage(data: Buffer): void {
    const call = decodeMuleCall(data);
    if (!call) {
      muleInbox.deliver(data);
      return;
    }
    Promise.resolve()
      .then(() => call.fn(...call.args))
      .catch((err: unknown) =>
        this.log(
          `mule ${this.plan?.mule?.id ?? 0}: muleFunction ${call.name} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
        ),
      );
  }

  onMessage(message: unknown): void {
    dispatchMasterMessage(this.handlers, message, undefined);
  }

  private fail(err: unknown): never {
    const why = isUwsgiError(err)
      ? `${err.message} [${err.code}]`
      : err instanceof Error
        ? (err.stack ?? err.message)
        : String(err);
    this.log(`mule ${this.plan?.mule?.id ?? 0} failed: ${why}\n`);
    process.exit(1);
  }

  private async start(): Promise<void> {
    const plan = this.plan;
    const mule = plan?.mule;
    if (!plan || !mule) throw new Error('mule started without a plan');
    this.programmed = mule.script !== undefined;
    const shared = attachProcessServices(
      plan,
      (line) => this.log(line),
      () => this.keepAlive(),
    );
    muleInbox.changed = () => this.keepAlive();
    farmInbox.changed = () => this.keepAlive();
    installBackgroundRuntime(plan, shared, (line) => this.log(line));
    try {
      await runHooks(plan.hooks, 'as-mule', { log: (line) => this.log(`${line}\n`) });
    } catch {
      // logged FATAL: the master destroys the instance
      process.send?.({ t: 'hook-failed' });
      return;
    }
    if (mule.script !== undefined && isPythonScript(mule.script)) {
      // the script's process is the mule's life: its end ends the mule (the master respawns it)
      const code = await runPythonMule(plan, { script: mule.script }, mule.id, (line) => this.log(line));
      process.exit(code);
    } else if (mule.script !== undefined) {
      await importModule(resolve(process.cwd(), mule.script));
    } else {
      // signal-only: the app's import-time registrations (signal handlers, RPC) happen here too;
      // an app that listen()s itself must not take its port in the mule (listen-capture.ts)
      installListenCapture();
      for (const spec of plan.apps) {
        if (!spec.python) await loadApp(spec, plan.appStyle, process.cwd());
        // a Python app gets a process of its own here, for its signal handlers and
        // uwsgi.mule_msg_hook (@mulefunc); its end ends the mule, which the master starts again
        else
          runPythonMule(plan, { app: spec }, mule.id, (line) => this.log(line)).then((code) =>
            process.exit(code),
          );
      }
    }
    this.loaded = true;
    this.keepAlive();
  }

  /**
   * The IPC channel keeps a process alive: a signal-only mule always, a programmed one only while
   * it listens for signals or messages (its own timers and sockets keep it alive by themselves).
   */
  private keepAlive(): void {
    const channel = process.channel;
    if (!channel) return;
    const needed =
      !this.programmed ||
      !this.loaded ||
      workerSignals.listening ||
      muleInbox.waiting > 0 ||
      farmInbox.waiting > 0 ||
      hasMuleFunctions();
    if (needed) channel.ref();
    else channel.unref();
  }
}

export function runMule(): void {
  const mule = new Mule();
  process.on('message', (message) => mule.onMessage(message));
  // the master is gone: nobody will respawn or stop us
  process.on('disconnect', () => process.exit(0));
  process.on('SIGTERM', () => process.exit(0));
  process.on('SIGHUP', () => {});
}

runMule();
