// The master's one table of child-to-master messages (src/ipc/messages.ts): every type has its
// row, so a new type without a handler does not compile. A message from the wrong role, or for a
// subsystem that is not configured, is dropped with a line where that helps an operator.

import type { WorkerMessageHandlers } from '../ipc/messages.js';
import type { MasterContext } from './master-context.js';

/** Who sent a message: its role, its id (worker or mule number) and pid. */
export interface ChildRef {
  readonly role: 'worker' | 'mule' | 'spooler';
  readonly id: number;
  readonly pid: number;
}

export function masterMessageTable(ctx: MasterContext): WorkerMessageHandlers<ChildRef> {
  /** A row of the worker pool's own handlers, for messages from its workers. */
  const pool =
    <T extends 'ready' | 'failed' | 'ping' | 'req' | 'user-harakiri' | 'stats' | 'recycle'>(t: T) =>
    (m: Parameters<WorkerMessageHandlers<ChildRef>[T]>[0], from: ChildRef) => {
      const workers = ctx.get('workers');
      const slot = from.role === 'worker' ? workers?.slotOf(from.pid) : undefined;
      if (workers && slot) (workers.handlers[t] as (m: unknown, s: typeof slot) => void)(m, slot);
    };
  const signals =
    <T extends 'signal-raise' | 'signal-register' | 'signal-add' | 'signal-done'>() =>
    (m: Parameters<WorkerMessageHandlers<ChildRef>[T]>[0], from: ChildRef) =>
      // uwsgi signals know workers by id and mules as 0 (src/signal/signal-router.ts)
      ctx.get('signals')?.onWorkerMessage(from.role === 'worker' ? from.id : 0, from.pid, m);
  return {
    ready: pool('ready'),
    failed: pool('failed'),
    ping: pool('ping'),
    req: pool('req'),
    'user-harakiri': pool('user-harakiri'),
    stats: (m, from) => {
      const workers = ctx.get('workers');
      if (from.role === 'worker' && workers && !workers.slotOf(from.pid))
        workers.lateStats(from.id, m.snapshot);
      else pool('stats')(m, from);
    },
    recycle: pool('recycle'),
    log: (m) => ctx.log(m.line.replace(/\n$/, '')),
    alarm: (m) => {
      if (!ctx.get('alarms')?.raise(m.name, m.message)) ctx.log(`alarm(): no alarm named "${m.name}"`);
    },
    'signal-raise': signals<'signal-raise'>(),
    'signal-register': signals<'signal-register'>(),
    'signal-add': signals<'signal-add'>(),
    'signal-done': (m, from) => {
      // mule-harakiri watches a mule's signal handlers (src/mule/mule-pool.ts)
      if (from.role === 'mule') ctx.get('mules')?.signalDone(from.pid);
      signals<'signal-done'>()(m, from);
    },
    'spooler-status': (m, from) => ctx.get('spoolers')?.status(from.pid, m),
    // uWSGI: "FATAL hook failed, destroying instance" (the child logged it), then exit 1
    'hook-failed': () => ctx.destroy(),
    'farm-msg': (m) => {
      if (!ctx.get('mules')?.farmMsg(m.farm, Buffer.from(m.data, 'base64')))
        ctx.log(`farm_msg(): no farm named "${m.farm}": message dropped`);
    },
    'farm-get': (_m, from) => {
      if (from.role === 'mule') ctx.get('mules')?.farmAsk(from.pid, from.id);
    },
    'mule-msg': (m) => {
      // muleMsg() from a worker or a mule: to the mule it names, or the next programmed one
      const forward = { t: 'mule-msg', data: m.data };
      const mules = ctx.get('mules');
      if (m.mule > 0) {
        if (!mules?.send(m.mule, forward))
          ctx.log(`mule_msg(): mule ${m.mule} is not running: message dropped`);
      } else if (!mules || mules.sendAnyProgrammed(forward) === 0) {
        ctx.log('mule_msg(): no programmed mule is running: message dropped');
      }
    },
  };
}
