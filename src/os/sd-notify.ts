// systemd's notify protocol (sd_notify(3)): `KEY=VALUE` lines in one datagram to the unix socket
// named by NOTIFY_SOCKET. Node has no unix datagram sockets, so the datagram goes through the
// project's own addon (native/notify.c, built with the shared memory one); without the addon,
// through `systemd-notify` when it is installed (then the unit needs NotifyAccess=all, as the
// ones in contrib/systemd/ have), else the notifications are dropped with one log line.

import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const ADDON_PATH = fileURLToPath(new URL('../../build/Release/uwsgi_ts_notify.node', import.meta.url));

interface NotifyBinding {
  notify(path: string, message: string): void;
}

type Sender = (path: string, message: string) => void;

function isBinding(value: unknown): value is NotifyBinding {
  return typeof value === 'object' && value !== null && typeof (value as NotifyBinding).notify === 'function';
}

/** The addon's sendto(), or `systemd-notify` (which reads NOTIFY_SOCKET from its environment). */
function loadSender(log: (line: string) => void): Sender {
  try {
    const value: unknown = createRequire(import.meta.url)(ADDON_PATH);
    if (isBinding(value)) return (path, message) => value.notify(path, message);
  } catch {
    // not built: the fallback below
  }
  log(
    `sd_notify: the notify addon was not built (${ADDON_PATH}); using systemd-notify (NotifyAccess=all needed)`,
  );
  return (path, message) => {
    const child = spawn('systemd-notify', message.split('\n'), {
      env: { ...process.env, NOTIFY_SOCKET: path },
      stdio: 'ignore',
    });
    child.on('error', () => log('sd_notify: neither the notify addon nor systemd-notify is available'));
  };
}

export interface SdNotifier {
  /** Sends `KEY=VALUE` lines; a failure is logged once, never thrown. */
  notify(...lines: string[]): void;
}

/**
 * The notifier for NOTIFY_SOCKET, or undefined when systemd did not set it. The variable is
 * removed, as sd_notify(unset_environment=1) does: children are not the service's main process.
 * @example sdNotifier(process.env, log)?.notify('READY=1', 'STATUS=serving')
 */
export function sdNotifier(env: NodeJS.ProcessEnv, log: (line: string) => void): SdNotifier | undefined {
  const path = env['NOTIFY_SOCKET'];
  if (!path) return undefined;
  delete env['NOTIFY_SOCKET'];
  const send = loadSender(log);
  let failed = false;
  return {
    notify(...lines) {
      try {
        send(path, lines.join('\n'));
      } catch (err) {
        if (failed) return;
        failed = true;
        log(`sd_notify to ${path}: ${err instanceof Error ? err.message : String(err)}`);
      }
    },
  };
}
