// The two numbers systemd's notify protocol needs from us besides the messages: CLOCK_MONOTONIC
// in µs (RELOADING=1 carries it for Type=notify-reload) and the watchdog period (WATCHDOG_USEC,
// for this pid when WATCHDOG_PID is set): systemd recommends pinging at half of it.

/** CLOCK_MONOTONIC in µs: process.hrtime is that clock on Linux. */
export function monotonicUsec(): bigint {
  return process.hrtime.bigint() / 1000n;
}

/** How often to send WATCHDOG=1, in ms, or undefined when systemd asked for no watchdog. */
export function watchdogEveryMs(env: NodeJS.ProcessEnv): number | undefined {
  const usec = Number(env['WATCHDOG_USEC']);
  const pid = env['WATCHDOG_PID'];
  if (!Number.isFinite(usec) || usec <= 0) return undefined;
  if (pid !== undefined && Number(pid) !== process.pid) return undefined;
  return Math.max(1, Math.floor(usec / 2000));
}
