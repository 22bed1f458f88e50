// uWSGI's hook phases, one row each, in the order they run (checked against uWSGI 2.0.21 with every
// phase set at once: asap, pre-jail, in-jail, as root, as user, pre app, post app, master-start,
// post-fork, accepting, accepting-once, accepting1, accepting1-once; atexit at stop and reload).
// `where` says which process runs it. uWSGI loads apps in the master and forks, so its pre/post
// app hooks run once; uwsgi-ts loads apps in each worker, so without lazy-apps they run in the
// master around the first workers' start (once, uWSGI's order), and with lazy-apps in each worker
// around its own load, as uWSGI runs them with lazy-apps.

// 'emperor': the Emperor's own process; 'vassal-spawn': a vassal's process before its config is
// read (src/emperor/as-vassal.ts), where uWSGI runs them in the forked child before exec
export type HookWhere = 'master' | 'worker' | 'mule' | 'emperor' | 'vassal-spawn';

export interface HookPhase {
  /** The hook-* option (ACTION:ARGS lines). */
  readonly hook: string;
  /** The exec-* option (shell commands), where uWSGI has one. */
  readonly exec?: string;
  /** The label of `running "..." (LABEL)...`. */
  readonly label: string;
  /** The exec lines' label is the credentials they run with (`as uid: 0 gid: 0`). */
  readonly execLabelIsIds?: boolean;
  readonly where: HookWhere;
}

export const HOOK_PHASES = {
  asap: { hook: 'hook-asap', exec: 'exec-asap', label: 'asap', where: 'master' },
  'pre-jail': { hook: 'hook-pre-jail', exec: 'exec-pre-jail', label: 'pre-jail', where: 'master' },
  'in-jail': { hook: 'hook-in-jail', exec: 'exec-in-jail', label: 'in-jail', where: 'master' },
  // these two run only in a master started as root (uWSGI: not at all otherwise)
  'as-root': { hook: 'hook-as-root', exec: 'exec-as-root', label: 'as root', where: 'master' },
  'as-user': {
    hook: 'hook-as-user',
    exec: 'exec-as-user',
    label: 'as user',
    execLabelIsIds: true,
    where: 'master',
  },
  'pre-app': { hook: 'hook-pre-app', exec: 'exec-pre-app', label: 'pre app', where: 'master' },
  'post-app': { hook: 'hook-post-app', exec: 'exec-post-app', label: 'post app', where: 'master' },
  'master-start': { hook: 'hook-master-start', label: 'master-start', where: 'master' },
  'post-fork': { hook: 'hook-post-fork', label: 'post-fork', where: 'worker' },
  accepting: { hook: 'hook-accepting', label: 'accepting', where: 'worker' },
  'accepting-once': { hook: 'hook-accepting-once', label: 'accepting-once', where: 'worker' },
  accepting1: { hook: 'hook-accepting1', label: 'accepting1', where: 'worker' },
  'accepting1-once': { hook: 'hook-accepting1-once', label: 'accepting1-once', where: 'worker' },
  atexit: {
    hook: 'hook-as-user-atexit',
    exec: 'exec-as-user-atexit',
    label: 'atexit',
    execLabelIsIds: true,
    where: 'master',
  },
  'as-mule': { hook: 'hook-as-mule', label: 'as-mule', where: 'mule' },
  // The Emperor's phases (test/fixtures/emperor-hooks/, recorded from uWSGI 2.0.21): emperor-start
  // once the Emperor is up, before its first scan; as-vassal in each vassal before it runs (its
  // putenv/cd are the vassal's); as-emperor in the Emperor after each vassal started (its exec
  // lines labelled `as-emperor for vassal "NAME" pid: N uid: N gid: N`, see run-hooks.ts).
  'emperor-start': { hook: 'hook-emperor-start', label: 'emperor-start', where: 'emperor' },
  'as-vassal': {
    hook: 'hook-as-vassal',
    exec: 'exec-as-vassal',
    label: 'as-vassal',
    where: 'vassal-spawn',
  },
  'as-emperor': {
    hook: 'hook-as-emperor',
    exec: 'exec-as-emperor',
    label: 'as-emperor',
    where: 'emperor',
  },
  // in a vassal's master: its Emperor sent stop (byte 0 or 2) / reload (byte 1), or the link broke
  'emperor-stop': { hook: 'hook-emperor-stop', label: 'emperor-stop', where: 'master' },
  'emperor-reload': { hook: 'hook-emperor-reload', label: 'emperor-reload', where: 'master' },
  'emperor-lost': { hook: 'hook-emperor-lost', label: 'emperor-lost', where: 'master' },
} as const satisfies Readonly<Record<string, HookPhase>>;

export type HookPhaseName = keyof typeof HOOK_PHASES;

/** Every option this module serves (src/config/served-options.ts lists them). */
export const HOOK_OPTIONS: readonly string[] = Object.values(
  HOOK_PHASES as Record<string, HookPhase>,
).flatMap((p) => (p.exec ? [p.hook, p.exec] : [p.hook]));
