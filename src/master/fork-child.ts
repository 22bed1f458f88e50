// Forks a child of any role: the log's stdio (pipes the master reads when it owns the log), the
// shared memory at REGION_FD (6), the role's environment. A failed send or spawn surfaces as the
// child's 'error' event: logged, never thrown (an unhandled one would end the master).

import { type ChildProcess, fork } from 'node:child_process';
import { ownLogWorkerStdio, PIPED_WORKER_STDIO, readWorkerOutput } from '../logging/worker-output.js';
import { workerExecArgv } from './fork-args.js';
import type { MasterContext } from './master-context.js';

export function forkChild(
  ctx: MasterContext,
  entry: string,
  env: Record<string, string>,
  who: string,
): ChildProcess {
  const logStdio = ctx.logFd === 2 ? 'inherit' : ctx.logFd;
  const regionFd = ctx.get('shared')?.services.region.fd;
  const child = fork(entry, [], {
    stdio: [
      ...(ctx.logsOwned ? PIPED_WORKER_STDIO : ownLogWorkerStdio(logStdio)),
      ...(regionFd !== undefined ? [regionFd] : []),
    ],
    env: { ...process.env, ...env },
    execArgv: workerExecArgv(),
  });
  child.on('error', (err: NodeJS.ErrnoException) =>
    ctx.log(`${who} (pid: ${child.pid ?? 0}): ${err.message}${err.code ? ` [${err.code}]` : ''}`),
  );
  if (ctx.logsOwned) readWorkerOutput(child, ctx.logs);
  return child;
}
