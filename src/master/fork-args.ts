// Extra arguments for the Node processes the master forks.

/**
 * A development aid: with UWSGI_TS_WORKER_PROF=DIR every worker and mule writes a V8 CPU profile
 * there when it exits gracefully (node --cpu-prof; stop the instance with SIGTERM, not SIGINT),
 * sampled every UWSGI_TS_WORKER_PROF_INTERVAL microseconds (default 1000).
 */
export function workerExecArgv(): string[] {
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
