// UWSGI_* environment variables as options (reference §3.1 step 1): `UWSGI_HTTP_SOCKET=:80`
// is `http-socket = :80`, in the order of the environment.

export interface EnvOption {
  readonly key: string;
  readonly value: string;
  readonly name: string;
}

/** Variables uWSGI uses for its own plumbing; they are never options. */
const SKIPPED = new Set([
  'UWSGI_RELOADS',
  'UWSGI_VASSALS_DIR',
  'UWSGI_EMPEROR_FD',
  'UWSGI_EMPEROR_FD_CONFIG',
  'UWSGI_EMPEROR_PROXY',
  'UWSGI_BROODLORD_NUM',
  'UWSGI_JAIL_PID',
  'UWSGI_ORIGINAL_PROC_NAME',
]);

/** uwsgi-ts's own plumbing variables use the UWSGI_TS_ prefix and are not options either. */
const OWN_PREFIX = 'UWSGI_TS_';

export function envOptions(env: Readonly<Record<string, string | undefined>>): EnvOption[] {
  const out: EnvOption[] = [];
  for (const [name, value] of Object.entries(env)) {
    // `UWSGI_` alone is the option with an empty name, as uWSGI reads it
    if (!name.startsWith('UWSGI_') || value === undefined) continue;
    if (SKIPPED.has(name) || name.startsWith(OWN_PREFIX)) continue;
    out.push({ key: name.slice(6).toLowerCase().replaceAll('_', '-'), value, name });
  }
  return out;
}
