// The master's UNIX signals, as lifecycle requests. uwsgi-ts differs from uWSGI 2.0 on purpose
// (README): SIGTERM stops gracefully, SIGHUP reloads with zero downtime, SIGINT/SIGQUIT stop at once.

import type { LifecycleOp } from '../lifecycle.js';
import type { ServiceRow } from '../master-context.js';

const SIGNALS: ReadonlyArray<readonly [NodeJS.Signals, LifecycleOp]> = [
  ['SIGTERM', 'stop'],
  ['SIGINT', 'kill'],
  ['SIGQUIT', 'kill'],
  ['SIGHUP', 'reload'],
];

export const posixSignalsService: ServiceRow = {
  name: 'posix-signals',
  phase: 'supervising',
  open(ctx) {
    const installed = SIGNALS.map(([signal, op]) => {
      const handler = () => void ctx.lifecycle.request(op);
      process.on(signal, handler);
      return [signal, handler] as const;
    });
    return {
      close() {
        for (const [signal, handler] of installed) process.off(signal, handler);
      },
    };
  },
};
