// Extra arguments for the Node processes the master forks.

/**
 * V8's young generation, capped: 4 MB semi-spaces instead of V8's default that grows to 16 MB.
 * A request's objects die young; behind nginx (a connection per request) the default let each
 * worker's young generation grow to its cap, and a small one stays in the CPU's cache: measured
 * (issue 12, bench/RESULTS.md) 15-25% less CPU per request and ~15 MB less RSS per worker on
 * Node 20 behind nginx, no change on http-socket keep-alive. NODE_OPTIONS choosing
 * --max-semi-space-size, or the master's own flag, wins.
 */
const YOUNG_GENERATION = '--max-semi-space-size=4';

/** The flags every forked child gets; UWSGI_TS_WORKER_PROF adds the profiler's. */
export function workerExecArgv(): string[] {
  const chosen = /--max-semi-space-size/.test(
    `${process.env['NODE_OPTIONS'] ?? ''} ${process.execArgv.join(' ')}`,
  );
  const args = chosen ? [] : [YOUNG_GENERATION];
  const dir = process.env['UWSGI_TS_WORKER_PROF'];
  // A development aid: with UWSGI_TS_WORKER_PROF=DIR every worker and mule writes a V8 CPU profile
  // there when it exits gracefully (node --cpu-prof; stop the instance with SIGTERM, not SIGINT),
  // sampled every UWSGI_TS_WORKER_PROF_INTERVAL microseconds (default 1000).
  if (dir) {
    args.push(
      '--cpu-prof',
      `--cpu-prof-dir=${dir}`,
      '--cpu-prof-interval',
      process.env['UWSGI_TS_WORKER_PROF_INTERVAL'] ?? '1000',
    );
  }
  return args;
}
