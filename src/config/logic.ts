// Config logic (reference §3.6): `for*` and `if-*` open a block; every option read until the
// next closer is passed through the block instead of being added. Conditions are evaluated for
// each enclosed option, as uWSGI 2.0 does, with `%(_)` replaced in the value. No nesting.
// Observed on 2.0.21: `%(_)` is the env/option value when there is one (also for the `if-not-`
// forms, `if-not-env = FOO=other` gives FOO's value), else it stays as written.

import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { globSync } from './glob.js';

/** What a logic block needs from the loader. */
export interface LogicContext {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly hostname: string;
  /** First exported option of that name so far. */
  firstValue(name: string): string | undefined;
  /** Plugins that uwsgi-ts has built in, for `if-plugin`. */
  hasPlugin(name: string): boolean;
}

/**
 * A block opener: given its argument, one element per time the enclosed option is added, the
 * value of `%(_)` for it (undefined: left as written). A `for` gives its tokens; a true condition
 * gives one element; a false one none.
 */
export type LogicOpener = (arg: string, ctx: LogicContext) => ReadonlyArray<string | undefined>;

function isType(path: string, cwd: string, want: 'file' | 'dir'): boolean {
  try {
    const st = statSync(resolve(cwd, path));
    return want === 'file' ? st.isFile() : st.isDirectory();
  } catch {
    return false;
  }
}

/** `NAME` or `NAME=value`: whether it holds (set, and equal when a value is given), and the value. */
function keyed(
  arg: string,
  get: (name: string) => string | undefined,
): { holds: boolean; value: string | undefined } {
  const eq = arg.indexOf('=');
  const value = get(eq < 0 ? arg : arg.slice(0, eq));
  const holds = value !== undefined && (eq < 0 || value === arg.slice(eq + 1));
  return { holds, value };
}

type Iterations = ReadonlyArray<string | undefined>;
const when = (holds: boolean, value: string | undefined): Iterations => (holds ? [value] : []);
const positive = (k: { holds: boolean; value: string | undefined }): Iterations => when(k.holds, k.value);
const negative = (k: { holds: boolean; value: string | undefined }): Iterations => when(!k.holds, k.value);
const unless = (holds: boolean, arg: string): Iterations => (holds ? [] : [arg]);

function hostnameMatches(pattern: string, hostname: string): boolean {
  try {
    return new RegExp(pattern).test(hostname);
  } catch {
    return false;
  }
}

function readLines(path: string, cwd: string): string[] {
  try {
    const text = readFileSync(resolve(cwd, path), 'utf8');
    const lines = text.split('\n').map((l) => l.replace(/\r$/, ''));
    if (lines.at(-1) === '') lines.pop();
    return lines;
  } catch {
    return [];
  }
}

/** An empty variable is set (observed: `if-env = EMPTY` holds with `%(_)` empty). */
const envGet = (ctx: LogicContext) => (name: string) => ctx.env[name];

export const LOGIC_OPENERS: Readonly<Record<string, LogicOpener>> = {
  for: (arg) => arg.split(' ').filter((t) => t !== ''),
  'for-glob': (arg, ctx) => globSync(arg, ctx.cwd),
  'for-times': (arg) => {
    const n = Number.parseInt(arg, 10);
    return Array.from({ length: Number.isFinite(n) && n > 0 ? n : 0 }, (_, i) => String(i + 1));
  },
  'for-readline': (arg, ctx) => readLines(arg, ctx.cwd),
  'if-env': (arg, ctx) => positive(keyed(arg, envGet(ctx))),
  'if-not-env': (arg, ctx) => negative(keyed(arg, envGet(ctx))),
  'if-opt': (arg, ctx) => positive(keyed(arg, (n) => ctx.firstValue(n))),
  'if-not-opt': (arg, ctx) => negative(keyed(arg, (n) => ctx.firstValue(n))),
  'if-exists': (arg, ctx) => unless(!existsSync(resolve(ctx.cwd, arg)), arg),
  'if-not-exists': (arg, ctx) => unless(existsSync(resolve(ctx.cwd, arg)), arg),
  'if-file': (arg, ctx) => unless(!isType(arg, ctx.cwd, 'file'), arg),
  'if-not-file': (arg, ctx) => unless(isType(arg, ctx.cwd, 'file'), arg),
  'if-dir': (arg, ctx) => unless(!isType(arg, ctx.cwd, 'dir'), arg),
  'if-not-dir': (arg, ctx) => unless(isType(arg, ctx.cwd, 'dir'), arg),
  'if-plugin': (arg, ctx) => unless(!ctx.hasPlugin(arg), arg),
  'if-not-plugin': (arg, ctx) => unless(ctx.hasPlugin(arg), arg),
  'if-hostname': (arg, ctx) => unless(ctx.hostname !== arg, arg),
  'if-not-hostname': (arg, ctx) => unless(ctx.hostname === arg, arg),
  'if-hostname-match': (arg, ctx) => unless(!hostnameMatches(arg, ctx.hostname), arg),
  'if-not-hostname-match': (arg, ctx) => unless(hostnameMatches(arg, ctx.hostname), arg),
  'if-reload': (_arg, ctx) => when(ctx.env['UWSGI_RELOADS'] !== undefined, undefined),
  'if-not-reload': (_arg, ctx) => when(ctx.env['UWSGI_RELOADS'] === undefined, undefined),
};

/** Keys that close whatever block is open (reference §3.6: regardless of its kind). */
export const LOGIC_CLOSERS: ReadonlySet<string> = new Set(['endfor', 'end-for', 'endif', 'end-if', 'end']);
