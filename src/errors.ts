// One registry of permanent error codes. Tests assert codes, never message text.
// Messages are lower case and name the bad value and where it came from (`app.ini:3`).

export const ERROR_CODES = {
  ERR_CONFIG_UNKNOWN_OPTION: 'an option that neither uwsgi-ts nor uWSGI knows',
  ERR_CONFIG_MISSING_ARGUMENT: 'a command-line option that needs a value was given none',
  ERR_CONFIG_UNEXPECTED_ARGUMENT: 'a command-line flag was given a value',
  ERR_CONFIG_FILE_NOT_FOUND: 'a config file (or a file named by an option) does not exist or cannot be read',
  ERR_CONFIG_SECTION_NOT_FOUND:
    'a config file has no section of the requested name (an error under --strict)',
  ERR_CONFIG_UNKNOWN_FORMAT: 'a config file whose extension names no known format',
  ERR_CONFIG_PARSE: 'a json or yaml config file that does not parse',
  ERR_CONFIG_READ: 'an @() or scheme read failed (missing file, failing exec://, bad fd://)',
  ERR_CONFIG_BAD_VALUE: 'a value that its option cannot use (a bad integer, a negative count...)',
  ERR_CONFIG_BAD_CHOICE:
    'a value outside the fixed set its option takes (app-style, cheaper-algo, protocol, log-encoder...)',
  ERR_CONFIG_OUT_OF_RANGE: "an integer below its option's minimum or above its maximum (processes = 0...)",
  ERR_CONFIG_RECURSIVE_LOGIC: 'a for/if block opened inside another one',
  ERR_CONFIG_INCLUDE_DEPTH: 'config files that include each other without end',
  ERR_CONFIG_STRICT_UNKNOWN: 'an unknown config directive under --strict',
  ERR_CONFIG_NOT_SUPPORTED: 'an option whose subsystem uwsgi-ts does not serve yet, under --strict',
  ERR_CONFIG_NOT_SERVED_YET:
    'an option (or plugin, or app file) of a capability uwsgi-ts does not serve yet (Python, CGI, gateways, spooler, attached daemons, Emperor): the start stops and the message says what works today',
  ERR_CONFIG_PLUGIN_NOT_FOUND:
    'need-plugin naming a plugin with no uwsgi-ts counterpart (uWSGI 2.0.21: unable to load plugin, exit 1)',
  ERR_CONFIG_NO_LOADER:
    'under --strict, an app or mount whose file no app loader accepts (JS/TS extensions only)',
  ERR_CONFIG_FORBIDDEN: 'an option refused by a blacklist/whitelist block',
  ERR_CONFIG_PLACEHOLDER_IS_OPTION: 'set-placeholder given the name of a real option',
  ERR_CONFIG_EXIT: 'the `exit` option was used',
  ERR_SOCKET_IN_USE: 'a socket address is already bound by another process',
  ERR_SOCKET_BIND: 'a socket could not be bound (bad address, permission, missing directory)',
  ERR_SOCKET_BAD_ADDRESS: 'a socket address that cannot be parsed',
  ERR_SOCKET_NONE: 'no socket to serve on',
  ERR_APP_LOAD: 'an app module could not be loaded or has no usable export',
  ERR_APP_STYLE:
    'a handler called Node-style returned a Response without writing (it is a fetch handler: app-style = fetch)',
  ERR_APP_NONE: 'need-app is set and no app could be loaded',
  ERR_PROCESS_PRIVILEGES: 'uid/gid/chdir could not be applied',
  ERR_PROTOCOL_TRUNCATED: 'the peer closed the connection in the middle of a request',
  ERR_UWSGI_BLOCK_TOO_BIG: 'a uwsgi packet whose vars block is larger than buffer-size',
  ERR_UWSGI_BAD_VARS: 'a uwsgi vars block that overruns itself or has an empty key',
  ERR_UWSGI_TOO_MANY_VARS: 'a uwsgi request with more vars than max-vars',
  ERR_UWSGI_UNSUPPORTED_MODIFIER: 'a uwsgi packet whose modifier1 nothing handles',
  ERR_FASTCGI_BAD_VERSION: 'a FastCGI record whose version is not 1',
  ERR_FASTCGI_BAD_RECORD: 'a FastCGI record that is malformed or out of place',
  ERR_FASTCGI_PARAMS_TOO_BIG: 'FastCGI params larger than buffer-size',
  ERR_SCGI_BAD_NETSTRING: 'an SCGI header that is not a valid netstring of NUL-separated pairs',
  ERR_SCGI_HEADERS_TOO_BIG: 'an SCGI header larger than buffer-size',
  ERR_HTTP_BAD_REQUEST: 'an HTTP request the parser refuses (bad syntax, bad chunk size, bad Content-Length)',
  ERR_HTTP_SMUGGLING: 'an HTTP request with both Content-Length and Transfer-Encoding',
  ERR_HTTP_HEADERS_TOO_BIG: 'an HTTP request head larger than the server accepts',
  ERR_BODY_TOO_LARGE: 'a request body larger than limit-post',
  ERR_APP_EXCEPTION: 'the app threw or rejected while handling a request',
  ERR_API_OUTSIDE_SERVER:
    "an app API function (`import { ... } from 'uwsgi-ts'`) called outside a uwsgi-ts worker",
  ERR_API_UNAVAILABLE: 'an app API function that the uwsgi-ts running this worker does not provide',
  ERR_API_BAD_ARGUMENT: 'an app API function given a value it cannot use (a negative limit, not a request)',
  ERR_API_NO_REQUEST: 'a per-request app API function called while no request is in flight',
  ERR_WEBSOCKET_HANDSHAKE:
    'websocketHandshake() on a request that cannot become a WebSocket (no Sec-WebSocket-Key, a response already started, a FastCGI request)',
  ERR_WEBSOCKET_CLOSED:
    'recv()/send() on a WebSocket that is closed (the peer closed it, a pong never came, a protocol error, a message over websockets-max-size)',
  ERR_CHUNKED_INPUT:
    'chunkedRead() got no body bytes within its timeout (chunked-input-timeout, else socket-timeout), or the body was cut short',
  ERR_SIGNAL_NOT_DELIVERED:
    'a remote uwsgi signal (modifier1 110) that the node did not accept or could not be reached',
  ERR_RPC_UNKNOWN_FUNCTION: 'a local rpc() call of a function this process has not registered',
  ERR_RPC_FAILED:
    'an rpc function threw or returned neither text nor bytes, or a remote node closed without a reply (unknown function, failing function)',
  ERR_RPC_SLOTS_FULL: 'registerRpc() of a new name when every rpc-max slot is taken',
  ERR_RPC_CONNECT: 'rpc() could not connect to the node (refused, unreachable, bad address)',
  ERR_RPC_TIMEOUT: 'an rpc() call to a node got no reply within socket-timeout',
  ERR_RPC_TOO_LARGE: 'an rpc() request whose name and arguments exceed 65535 bytes or 254 arguments',
  ERR_METRIC_UNKNOWN: 'a metrics API call naming a metric the instance does not have',
  ERR_METRIC_READ_ONLY:
    'a metrics API update of a metric the server collects (built-in, collector, alias): only manual metrics change',
  ERR_CACHE_CONFIG:
    'a cache/cache2 option uWSGI refuses too (no name, no items, bad blocksize/blocks/keysize/hashsize/hash) or a duplicate cache name',
  ERR_CACHE_UNSUPPORTED:
    'a cache option uwsgi-ts does not serve (UDP replication: nodes, udp, sync, cache-udp-*)',
  ERR_CACHE_UNKNOWN: 'an option or call naming a cache the instance does not have',
  ERR_CACHE_REMOTE: 'a remote cache (name@host:port) that could not be reached or did not answer in time',
  ERR_CACHE_STORE_INVALID:
    'a cache store file that is not a uwsgi-ts store or was written for another geometry (items, blocksize...)',
  ERR_CACHE_PRELOAD: 'an add-cache-item without KEY=VALUE, or a load-file-in-cache file that cannot be read',
  ERR_ALARM_UNKNOWN: 'alarm() naming no alarm of the instance',
  ERR_ALARM_PLUGIN:
    'an alarm whose plugin uwsgi-ts does not provide (curl, xmpp, mule...) or whose subsystem is missing',
  ERR_ROUTE_SYNTAX: 'a route rule that does not split into subject and action (uWSGI: invalid route syntax)',
  ERR_ROUTE_UNKNOWN_ACTION: 'a route rule naming an action no router provides',
  ERR_ROUTE_UNKNOWN_CONDITION: 'a route-if rule naming a condition that does not exist',
  ERR_ROUTE_BAD_REGEXP: 'a route regexp that does not compile, or uses PCRE syntax with no JS equivalent',
  ERR_ROUTE_BAD_ARGS:
    'route action arguments the action refuses at start-up (addvar without =, file without filename=...)',
  ERR_ROUTE_SUBSYSTEM_MISSING:
    'a route action or condition that needs a subsystem not built or not configured (cache, rpc, metrics...)',
  ERR_STATIC_TRAVERSAL:
    'a static file request whose path tries to leave its root (.., encoded or double-encoded dots and slashes, a backslash, a NUL byte): 403 and a log line',
  ERR_STATIC_OUTSIDE_ROOT:
    'a static file whose real path (through a symlink) is outside its root and every static-safe path: 403 and a log line',
  ERR_SPOOL_ARGS_TOO_BIG:
    "spool() arguments whose vars exceed 64 KiB, or one value longer than 65535 bytes (use 'body')",
  ERR_SPOOL_BAD_FILE: 'a spool file whose header or vars block is malformed (set aside, never run)',
  ERR_SPOOL_UNKNOWN_SPOOLER:
    'spool() naming a spooler directory that is neither a spooler nor a spooler-external of the instance, or no spooler at all',
  ERR_SPOOL_BAD_ARGUMENT:
    'spool() given a value it cannot write (a priority with a slash, an at that is not a time)',
  ERR_SPOOL_WRITE: 'a spool file could not be written (the directory is missing or not writable)',
  ERR_HOOK_CONFIG:
    'a hook-* line that does not parse, names no hook action, or names one uwsgi-ts refuses (call:, mount:...): the start stops naming the option',
  ERR_HOOK_FAILED:
    'a hook or exec-* command failed at its phase: FATAL hook failed, destroying instance (exit 1)',
  ERR_DAEMON_CONFIG:
    'an attached daemon option uwsgi-ts cannot run (no command, a smart daemon without its pidfile, a bad signal, an attach-daemon2 key such as ns or cgroup that Node cannot apply)',
  ERR_EMPEROR_MONITOR: 'an `emperor` source whose scheme has no monitor in uwsgi-ts (pg://, zmq://...)',
  ERR_EMPEROR_NOT_SUPPORTED:
    'an Emperor option uwsgi-ts refuses by name (emperor-use-clone, emperor-broodlord...), with what to use instead',
  ERR_CGI_SECURITY:
    'a CGI script path that resolves outside its directory (a symlink out, not under cgi-safe)',
  ERR_CGI_SPAWN: 'a CGI script (or its cgi-helper) that could not be started',
  ERR_CGI_HEADERS: 'a CGI script whose output has no valid header block',
  ERR_CGI_TIMEOUT: 'a CGI script still running at cgi-timeout (killed with its process group)',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** An error the user caused, reported as one line (no stack unless UWSGI_TS_DEBUG is set). */
export class UwsgiError extends Error {
  readonly code: ErrorCode;
  /** Process exit status when this error ends the program. */
  readonly exitCode: number;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; exitCode?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'UwsgiError';
    this.code = code;
    this.exitCode = options?.exitCode ?? 1;
  }
}

export function isUwsgiError(err: unknown): err is UwsgiError {
  return err instanceof UwsgiError;
}
