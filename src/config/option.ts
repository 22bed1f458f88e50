// The shape of one row of the option table: everything the CLI, the config sources, --help and
// docs/options.md need to know about an option. Facts follow uwsgi-reference.md §2.

/** How the command line takes the option's value (getopt's has_arg, as uWSGI declares it). */
export type ArgForm = 'none' | 'required' | 'optional';

/**
 * How the raw string becomes a value. The parser of each kind lives in `value-kinds.ts`.
 * - `flag`: uWSGI boolean: missing or anything but false/off/no/0 is true (reference §3.7)
 * - `int`: base-10 integer; `seconds` and `megabytes` are integers with a unit
 * - `octal`: unix permission bits (chmod-socket, umask)
 * - `kv`: `k=v,k2=v2` keyval list (cache2, subscribe2, attach-daemon2...)
 * - `addr`: socket address (`host:port`, `:port`, `/path`, `@abstract`, `=N`)
 * - `string`, `path`, `command`: kept as written
 */
export type ValueKind =
  | 'flag'
  | 'int'
  | 'seconds'
  | 'megabytes'
  | 'octal'
  | 'kv'
  | 'addr'
  | 'string'
  | 'path'
  | 'command';

/**
 * Subsystems, used to group --help and docs/options.md and to say which options are served yet
 * (see `subsystem-status.ts`). Adding a subsystem is adding a row there.
 */
export type Subsystem =
  | 'config'
  | 'socket'
  | 'process'
  | 'app'
  | 'reload'
  | 'harakiri'
  | 'logging'
  | 'static'
  | 'routing'
  | 'cache'
  | 'sharedarea'
  | 'locks'
  | 'rpc'
  | 'signal'
  | 'spooler'
  | 'mule'
  | 'cron'
  | 'alarm'
  | 'metrics'
  | 'stats'
  | 'fifo'
  | 'cheaper'
  | 'emperor'
  | 'gateway'
  | 'subscription'
  | 'security'
  | 'python'
  | 'cgi'
  | 'websocket'
  | 'daemon'
  | 'uwsgi-only';

export interface OptionSpec {
  /** The long name, as written after `--` and as the ini/json/yaml key. */
  readonly name: string;
  /** Other long names for the same option (`workers` for `processes`). */
  readonly aliases?: readonly string[];
  /** uWSGI's one-letter flag (`s` for `--socket`). */
  readonly short?: string;
  readonly arg: ArgForm;
  readonly kind: ValueKind;
  /** Repeatable: every occurrence is kept, in order ([L] in reference §2). Otherwise the last wins. */
  readonly list?: boolean;
  /** Using the option turns on `master` ([M] in reference §2). */
  readonly master?: boolean;
  /** Runs while the config is being read (ini, include, set, for, if-*...; reference §3.1 step 3). */
  readonly immediate?: boolean;
  /** The default as a user would write it, shown in --help; absent when there is none. */
  readonly default?: string;
  readonly subsystem: Subsystem;
  /** One line for --help. Our own words. */
  readonly help: string;
  /** For options uwsgi-ts will never serve: what to use instead. */
  readonly instead?: string;
  /**
   * The only values the option takes (checked by `resolve()`, with the origin in the message).
   * With `choiceOf: 'head'` only the value's head is checked: the text before the first space,
   * then before the first `:` (`log-encoder = json:ID {...}` checks `json`).
   */
  readonly choices?: readonly string[];
  readonly choiceOf?: 'value' | 'head';
  /** Bounds of an integer kind, inclusive (`processes` >= 1, a modifier1 <= 255). */
  readonly min?: number;
  readonly max?: number;
}
