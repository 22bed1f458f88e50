// `plugin`/`plugins`/`need-plugin` values: which uWSGI plugins have a built-in counterpart in
// uwsgi-ts. A plugin of a capability not served yet is refused by not-served-yet.ts; any other
// plugin with no counterpart is what uWSGI 2.0.21 calls a missing .so: `plugin` warns and goes
// on, `need-plugin` stops with exit 1 (recorded in test/fixtures/config/uwsgi-2.0.21-plugins.json).

/**
 * Debian's uWSGI 2.0.21 plugins whose options, actions or loggers uwsgi-ts serves (the router_*
 * and transformation_* names are the `plugin` fields of src/routing/ action rows).
 */
export const BUILT_IN_PLUGINS: ReadonlySet<string> = new Set([
  'cache',
  'carbon',
  'cheaper_busyness',
  // Python WSGI apps (src/python/): uWSGI's python plugins by every name Debian ships
  'python',
  'python3',
  ...Array.from({ length: 10 }, (_, i) => `python3${i + 5}`),
  'clock_monotonic',
  'clock_realtime',
  'logfile',
  'logsocket',
  'syslog',
  'rsyslog',
  'redislog',
  'logzmq',
  'systemd_logger',
  'router_basicauth',
  'router_cache',
  'router_expires',
  'router_hash',
  'router_http',
  'router_metrics',
  'router_redirect',
  'router_rewrite',
  'router_static',
  'router_uwsgi',
  'rpc',
  'signal',
  'stats_pusher_socket',
  'stats_pusher_statsd',
  'transformation_chunked',
  'transformation_gzip',
  'transformation_offload',
  'transformation_template',
  'transformation_tofile',
  'transformation_toupper',
]);

/**
 * The plugin names of one `plugins` value, as uWSGI reads them: comma separated, an optional
 * `MODIFIER:` before the name (`0:psgi`), a path or a `_plugin.so` file name reduced to the name.
 *
 * @example pluginNames('0:psgi, /usr/lib/uwsgi/plugins/python3_plugin.so') // ['psgi', 'python3']
 */
export function pluginNames(value: string): string[] {
  const out: string[] = [];
  for (const item of value.split(',')) {
    let name = item.trim();
    const colon = name.indexOf(':');
    if (colon >= 0 && /^[0-9]+$/.test(name.slice(0, colon))) name = name.slice(colon + 1);
    name = name
      .slice(name.lastIndexOf('/') + 1)
      .replace(/\.so$/, '')
      .replace(/_plugin$/, '');
    if (name !== '') out.push(name);
  }
  return out;
}
