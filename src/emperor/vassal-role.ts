// The vassal role's row for the generic supervisor: uWSGI 2.0.21's Emperor lines (reference §6.3),
// no reload policy of its own (a vassal reloads itself on byte 1), and the throttle: a vassal that
// dies before it is loyal waits emperor-throttle ms more each time, up to emperor-max-throttle.

import type { Config } from '../config/resolve.js';
import type { RoleSpec } from '../master/supervisor/role.js';

export function vassalRole(config: Config, nameOf: (id: number) => string): RoleSpec {
  const throttle = config.value('emperor-throttle') ?? 1000;
  const maxThrottle = config.value('emperor-max-throttle') ?? 180_000;
  const blacklist = !config.value('emperor-no-blacklist');
  return {
    noun: 'vassal',
    // ready = loyal: until then a death counts against the vassal (uWSGI's blacklist)
    handshake: true,
    reload: 'restart',
    backoff: blacklist
      ? { quickDeathMs: 0, firstMs: throttle, maxMs: maxThrottle, growth: 'linear', untilReady: true }
      : { quickDeathMs: 0, firstMs: 0, maxMs: 0 },
    lines: {
      spawned: (id, pid) => `[emperor] starting vassal ${nameOf(id)} (pid: ${pid})`,
      respawned: (id, pid) => `[emperor] respawning vassal ${nameOf(id)} (new pid: ${pid})`,
      died: (id, pid, how) => `[emperor] curse the uwsgi instance ${nameOf(id)} (pid: ${pid})${how}`,
      diedForGood: (id, pid, how) => `[emperor] curse the uwsgi instance ${nameOf(id)} (pid: ${pid})${how}`,
      diedYoung: (id, pid, how) =>
        `[emperor] vassal ${nameOf(id)} (pid: ${pid}) died before it was loyal${how}`,
      replacementDied: (id, pid, how) => `[emperor] vassal ${nameOf(id)} (pid: ${pid}) died${how}`,
      buried: (id) => `[emperor] removed uwsgi instance ${nameOf(id)}`,
      stopping: (id) => `[emperor] stop the uwsgi instance ${nameOf(id)}`,
      dismissed: (id) => [`[emperor] removed uwsgi instance ${nameOf(id)}`],
      backingOff: (id, ms) =>
        ms >= maxThrottle
          ? `[emperor] maximum throttle level for vassal ${nameOf(id)} reached !!! (next attempt in ${ms} ms)`
          : `[emperor] unloyal bad behaving vassal found: ${nameOf(id)} throttling it... (next attempt in ${ms} ms)`,
      chainStep: (id) => `[emperor] reload the uwsgi instance ${nameOf(id)}`,
    },
  };
}
