// The vassal side of the emperor protocol (reference §6.3): started with UWSGI_EMPEROR_FD, the
// instance tells its Emperor it is spawned and accepting once its first workers serve, and loyal
// after its first request; it sends a heartbeat every `heartbeat` seconds and obeys bytes 0 (stop
// now), 1 (reload) and 2 (stop gracefully). Its Emperor gone (EOF), it stops, as uWSGI's do.

import net from 'node:net';
import {
  decodeToVassal,
  encodeFromVassal,
  TO_VASSAL,
  type ToVassal,
} from '../../emperor/emperor-messages.js';
import type { HookPhaseName } from '../../hooks/hook-phases.js';
import { hookPlan } from '../../hooks/hook-plan.js';
import { runHooks } from '../../hooks/run-hooks.js';
import type { LifecycleOp } from '../lifecycle.js';
import type { MasterContext, ServiceRow } from '../master-context.js';

const REQUESTS: Readonly<Record<ToVassal, LifecycleOp>> = {
  stop: 'kill',
  reload: 'reload',
  'graceful-stop': 'stop',
};

/** The hooks each message runs before it is obeyed (uWSGI 2.0.21: test/fixtures/emperor-hooks/). */
const HOOKS_OF: Readonly<Record<ToVassal, HookPhaseName>> = {
  stop: 'emperor-stop',
  reload: 'emperor-reload',
  'graceful-stop': 'emperor-stop',
};

export const emperorLinkService: ServiceRow = {
  name: 'emperor-link',
  // before the workers: they keep request counters for a vassal (the loyalty below)
  phase: 'bound',
  open(ctx) {
    const raw = process.env['UWSGI_EMPEROR_FD'];
    if (raw === undefined) return undefined;
    // the workers and anything they run are not vassals
    delete process.env['UWSGI_EMPEROR_FD'];
    const fd = Number(raw);
    if (!Number.isInteger(fd) || fd < 0) {
      ctx.log(`UWSGI_EMPEROR_FD=${raw} is not an fd: running without an Emperor`);
      return undefined;
    }
    ctx.log(`*** has_emperor mode detected (fd: ${fd}) ***`);
    let socket: net.Socket;
    try {
      // paused until the first workers serve: what the Emperor says meanwhile waits in the socket
      socket = new net.Socket({ fd, readable: true, writable: true });
      socket.pause();
    } catch (err) {
      ctx.log(
        `emperor fd ${fd}: ${err instanceof Error ? err.message : String(err)}: running without an Emperor`,
      );
      return undefined;
    }
    const link = new EmperorLink(ctx, socket);
    ctx.provide('emperor', { fd, tell: (message) => link.tell(message) });
    return link;
  },
};

class EmperorLink {
  private closing = false;
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly ctx: MasterContext,
    private readonly socket: net.Socket,
  ) {
    socket.on('data', (chunk: Buffer) => {
      for (const message of decodeToVassal(chunk)) this.obey(message);
    });
    const lost = () => {
      if (this.closing) return;
      this.closing = true;
      ctx.log('lost connection with my emperor !!!');
      // a failing emperor-lost hook (FATAL logged) ends the instance all the same
      void this.hooks('emperor-lost').finally(() => ctx.lifecycle.request('kill'));
    };
    socket.on('end', lost);
    socket.on('close', lost);
    socket.on('error', lost);
  }

  serve(): void {
    this.send('spawned');
    this.send('accepting');
    this.socket.resume();
    // loyal after the first request, as a uWSGI 2.0.21 vassal (test/fixtures/emperor/): until
    // then the Emperor throttles it if it dies. The workers' counters are asked once a second.
    this.every(1000, async (stop) => {
      const rows = (await this.ctx.get('workers')?.stats(200)) ?? [];
      if (this.closing || !rows.some((r) => (r.snapshot?.requests ?? 0) > 0)) return;
      stop();
      this.ctx.log('announcing my loyalty to the Emperor...');
      this.send('loyal');
    });
    const heartbeat = this.ctx.config.value('heartbeat') ?? 0;
    if (heartbeat > 0) this.every(heartbeat * 1000, () => this.send('heartbeat'));
  }

  /** Runs one of the vassal's emperor-* phases; a failure is logged (FATAL) and ends nothing more. */
  private async hooks(phase: HookPhaseName): Promise<void> {
    try {
      await runHooks(hookPlan(this.ctx.config), phase, { log: (line) => this.ctx.log(line) });
    } catch {
      // HookFailed: its lines are logged; the Emperor's request is obeyed all the same
    }
  }

  private obey(message: ToVassal): void {
    this.ctx.log(`received message ${TO_VASSAL[message]} from emperor`);
    void this.hooks(HOOKS_OF[message]).finally(() => this.carryOut(message));
  }

  private carryOut(message: ToVassal): void {
    this.ctx.lifecycle.request(REQUESTS[message]);
    // a uWSGI vassal says `accepting` again once a reload is over (test/fixtures/emperor/)
    if (message === 'reload')
      this.every(200, (stop) => {
        if (this.ctx.lifecycle.current !== undefined) return;
        stop();
        if (!this.ctx.lifecycle.isStopping) this.send('accepting');
      });
  }

  /** A byte for the Emperor from another service (die-on-idle's voluntary shutdown). */
  tell(message: Parameters<typeof encodeFromVassal>[0]): void {
    this.send(message);
  }

  private send(message: Parameters<typeof encodeFromVassal>[0]): void {
    if (!this.closing && !this.socket.destroyed) this.socket.write(encodeFromVassal(message));
  }

  /** A coarse repeating timer that never keeps the process alive; `stop` ends it. */
  private every(ms: number, fn: (stop: () => void) => unknown): void {
    const timer = setInterval(() => void fn(() => clearInterval(timer)), ms);
    timer.unref();
    this.timers.push(timer);
  }

  close(): void {
    this.closing = true;
    for (const t of this.timers) clearInterval(t);
    this.socket.destroy();
  }
}
