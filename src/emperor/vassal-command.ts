// How a vassal is run (reference §6.3 "Spawn"): argv = [wrapper or uwsgi-ts] [templates before]
// --ini|--json|--yaml|--config FILE [templates after], cwd = its monitor's directory, and the
// environment with UWSGI_EMPEROR_FD set, UWSGI_RELOADS and NOTIFY_SOCKET removed and every
// UWSGI_VASSAL_<NAME> renamed to UWSGI_<NAME> (an option for the vassal).

import { statSync } from 'node:fs';
import type { Config } from '../config/resolve.js';
import type { VassalOwner } from './tyrant.js';
import type { VassalFile } from './vassal-file.js';

/**
 * Listening sockets systemd gave the Emperor (socket activation): every vassal inherits them as
 * fds 3.. with LISTEN_FDS, and uses the one bound to its own address (src/master/sockets.ts).
 */
export function activatedSockets(env: NodeJS.ProcessEnv): number[] {
  const count = Number(env['LISTEN_FDS'] ?? 0);
  const pid = env['LISTEN_PID'];
  if (!Number.isInteger(count) || count <= 0 || (pid !== undefined && Number(pid) !== process.pid)) return [];
  delete env['LISTEN_FDS'];
  delete env['LISTEN_PID'];
  return Array.from({ length: count }, (_, i) => 3 + i);
}

export interface VassalCommand {
  readonly file: string;
  readonly args: string[];
  readonly cwd: string;
  readonly env: Record<string, string>;
  /** The Emperor's fds the vassal inherits as 3, 4...; its emperor fd comes right after them. */
  readonly inherit: readonly number[];
  readonly emperorFd: number;
  /** UWSGI_EMPEROR_FD_CONFIG: the config pipe's fd, right after the emperor fd (pushed configs). */
  readonly configFd: number | undefined;
  /** An on-demand vassal's listening socket, its fd 0 (else /dev/null). */
  stdin?: number;
}

/** Variables of the Emperor's own plumbing that a vassal must not inherit. */
const DROPPED = new Set(['UWSGI_RELOADS', 'NOTIFY_SOCKET', 'UWSGI_EMPEROR_FD', 'UWSGI_EMPEROR_FD_CONFIG']);

export function vassalEnv(
  env: NodeJS.ProcessEnv,
  emperorFd: number,
  listenFds: number,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || DROPPED.has(name)) continue;
    if (name.startsWith('UWSGI_VASSAL_')) out[`UWSGI_${name.slice('UWSGI_VASSAL_'.length)}`] = value;
    else out[name] = value;
  }
  out['UWSGI_EMPEROR_FD'] = String(emperorFd);
  if (listenFds > 0) out['LISTEN_FDS'] = String(listenFds);
  return out;
}

/** The templates given before and after the vassal's own config, as uWSGI orders them. */
function templates(config: Config): { before: string[]; after: string[] } {
  const flags = (
    name: 'vassals-inherit' | 'vassals-include' | 'vassals-inherit-before' | 'vassals-include-before',
    flag: string,
  ) => config.all(name).flatMap((o) => [flag, o.value]);
  return {
    before: [
      ...flags('vassals-inherit-before', '--inherit'),
      ...flags('vassals-include-before', '--include'),
      ...config.all('vassal-set').flatMap((o) => ['--set', o.value]),
    ],
    after: [...flags('vassals-inherit', '--inherit'), ...flags('vassals-include', '--include')],
  };
}

/**
 * `emperor-magic-exec`: an executable config is run and its output is the config (`exec://`).
 * uWSGI 2.0.21 passes `exec://NAME`, which its shell looks up in PATH (not found unless `.` is
 * there: test/fixtures/emperor-magic-exec/); the absolute path here runs the file itself.
 */
function configSource(config: Config, file: VassalFile): string {
  // a config the monitor holds comes over the config pipe (src/emperor/config-pipe.ts)
  if (file.config !== undefined) return `emperor://${file.name}`;
  if (config.value('emperor-magic-exec') !== true) return file.path;
  try {
    return (statSync(file.path).mode & 0o111) !== 0 ? `exec://${file.path}` : file.path;
  } catch {
    return file.path;
  }
}

/** The command of vassal `file` under this Emperor. */
export function vassalCommand(
  config: Config,
  file: VassalFile,
  owner: VassalOwner | undefined,
  activated: readonly number[],
): VassalCommand {
  const { before, after } = templates(config);
  const own = [...before, file.flag, configSource(config, file), ...after];
  const wrapper = config.value('emperor-wrapper');
  // without a wrapper the vassal is this same uwsgi-ts, run by this same Node
  const run = wrapper ? [wrapper] : [process.execPath, process.argv[1] ?? 'uwsgi-ts'];
  // emperor-tyrant-initgroups: Node's spawn can set a uid and gid but clears the supplementary
  // groups; setpriv(1) (util-linux) sets all three, then execs the vassal
  const [command, ...prefix] =
    owner?.initgroups === true
      ? ['setpriv', `--reuid=${owner.uid}`, `--regid=${owner.gid}`, '--init-groups', '--', ...run]
      : run;
  const emperorFd = 3 + activated.length;
  const env = vassalEnv(process.env, emperorFd, activated.length);
  const configFd = file.config !== undefined ? emperorFd + 1 : undefined;
  if (configFd !== undefined) env['UWSGI_EMPEROR_FD_CONFIG'] = String(configFd);
  return {
    file: command ?? process.execPath,
    args: [...prefix, ...own],
    cwd: file.dir,
    env,
    inherit: activated,
    emperorFd,
    configFd,
  };
}
