// Options served today outside the `ready` subsystems (subsystem-status.ts). A subsystem lands
// option by option: an option listed here is used by the server; any other option of a
// non-ready subsystem is parsed, shown, and reported as not supported yet. Adding support is
// adding its name here (and a test).

export const SERVED_OPTIONS: ReadonlySet<string> = new Set([
  // sockets (reference §2.1)
  'socket',
  'uwsgi-socket',
  'http-socket',
  'http11-socket',
  'https-socket',
  'fastcgi-socket',
  'scgi-socket',
  'protocol',
  'shared-socket',
  'listen',
  'buffer-size',
  'socket-timeout',
  'max-vars',
  'chmod-socket',
  'chown-socket',
  'vacuum',
  'limit-post',
  // uwsgi/FastCGI/SCGI sockets; http-socket bodies stream (README)
  'post-buffering',
  'umask',
  // processes (reference §2.2)
  'master',
  'processes',
  'threads',
  'async',
  'daemonize',
  'pidfile',
  'pidfile2',
  'stop',
  'reload',
  'procname',
  'procname-prefix',
  'procname-master',
  'auto-procname',
  'chdir',
  'env',
  'unenv',
  'uid',
  'gid',
  'add-gid',
  'die-on-term',
  'exit-on-reload',
  'reload-mercy',
  'worker-reload-mercy',
  // file triggers (reference §2.3)
  'touch-reload',
  'touch-workers-reload',
  'touch-chain-reload',
  'touch-exec',
  'fs-reload',
  'fs-brutal-reload',
  'check-interval',
  'js-autoreload',
  // the master FIFO (reference §6.1)
  'master-fifo',
  // recycling (reference §2.3)
  'max-requests',
  'max-requests-delta',
  'min-worker-lifetime',
  'max-worker-lifetime',
  'max-worker-lifetime-delta',
  'reload-on-rss',
  'evil-reload-on-rss',
  'mem-collector-freq',
  'reload-on-exception',
  // apps
  'app',
  'app-style',
  'mount',
  'manage-script-name',
  'need-app',
  'no-default-app',
  'callable',
  // logging
  'logto',
  'disable-logging',
  'log-micros',
  'log-master',
  // accepted with nothing to do on Node (README: "Options that mean nothing on Node")
  'lazy-apps',
  'lazy',
  'enable-threads',
  'thunder-lock',
  'plugin',
  'plugins',
  'need-plugin',
  'need-plugins',
  'plugins-dir',
  'autoload',
]);

/**
 * Options of a `ready` subsystem that are not served yet: reported like any unserved option.
 * (config: blacklist/whitelist contexts, DNS `resolve`, `fallback-config`.)
 */
export const UNSERVED_OPTIONS: ReadonlySet<string> = new Set([
  'blacklist',
  'end-blacklist',
  'whitelist',
  'end-whitelist',
  'resolve',
  'fallback-config',
]);
