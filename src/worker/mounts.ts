// Which app serves a request (reference §2.2 `mount`, `manage-script-name`): with
// manage-script-name the longest mountpoint that PATH_INFO equals or continues with `/` wins and
// becomes SCRIPT_NAME; otherwise the request's SCRIPT_NAME picks the app. The first app loaded
// is the default app unless `no-default-app`. A mountpoint written with a trailing slash
// (`mount = /foobis/=app`) matches as without it, and SCRIPT_NAME is the mountpoint as written,
// PATH_INFO what follows it (`/foobis/x` -> `/foobis/` + `x`), as uWSGI 2.0.21 answers
// (test/fixtures/mounts-uwsgi.json, mountpointsTrailingSlash).

export interface MountPick<T> {
  readonly app: T;
  /** The path prefix the app is mounted on, without a trailing slash ('' for the default app). */
  readonly mountpoint: string;
  /** SCRIPT_NAME: the mountpoint as written (with its trailing slash, if it had one). */
  readonly scriptName: string;
}

export interface MountTable<T> {
  /** The app and its mountpoint ('' for the default app), or undefined when none serves it. */
  select(pathInfo: string, scriptName: string): MountPick<T> | undefined;
  readonly size: number;
}

export function buildMountTable<T>(
  apps: ReadonlyArray<{ readonly mountpoint: string; readonly app: T }>,
  options: { readonly manageScriptName: boolean; readonly noDefaultApp: boolean },
): MountTable<T> {
  const first = apps[0];
  const fallback =
    options.noDefaultApp || !first ? undefined : { app: first.app, mountpoint: '', scriptName: '' };
  const mounted = apps
    .filter((a) => a.mountpoint !== '')
    .map((a) => ({ app: a.app, mountpoint: a.mountpoint.replace(/\/+$/, ''), scriptName: a.mountpoint }))
    .sort((a, b) => b.mountpoint.length - a.mountpoint.length);
  const defaultApp = apps.find((a) => a.mountpoint === '');
  const bare = defaultApp ? { app: defaultApp.app, mountpoint: '', scriptName: '' } : fallback;
  if (mounted.length === 0) return { select: () => bare, size: apps.length };
  return {
    size: apps.length,
    select(pathInfo, scriptName) {
      if (options.manageScriptName) {
        for (const m of mounted) {
          if (
            pathInfo.startsWith(m.mountpoint) &&
            (pathInfo.length === m.mountpoint.length || pathInfo[m.mountpoint.length] === '/')
          ) {
            return m;
          }
        }
        return bare;
      }
      if (scriptName !== '') {
        const hit = mounted.find((m) => m.mountpoint === scriptName.replace(/\/+$/, ''));
        if (hit) return hit;
      }
      return bare;
    },
  };
}
