// File triggers of the master (reference §2.3): touch-* options poll a file's mtime every
// check-interval (as uWSGI does), fs-* options use inotify through fs.watch, js-autoreload polls
// the app's module files (the counterpart of py-autoreload). A row per option.

import { spawn } from 'node:child_process';
import { type FSWatcher, readdirSync, type Stats, statSync, unwatchFile, watch, watchFile } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import type { Config } from '../config/resolve.js';

export interface WatchActions {
  gracefulReload(why: string): void;
  brutalReload(why: string): void;
  chainReload(why: string): void;
  /** touch-mules-reload: the mules only. */
  mulesReload?(why: string): void;
  log(line: string): void;
}

type TouchAction = (actions: WatchActions, path: string, arg: string) => void;

/** touch-* options: `path` or, for touch-exec, `path command`. */
const TOUCH_OPTIONS = {
  'touch-reload': (a, path) => a.gracefulReload(`${path} has been touched... grace them all !!!`),
  'touch-workers-reload': (a, path) => a.gracefulReload(`${path} has been touched... workers reload !!!`),
  'touch-chain-reload': (a, path) => a.chainReload(`${path} has been touched... chain reload !!!`),
  'touch-mules-reload': (a, path) => a.mulesReload?.(`${path} has been touched... mules reload !!!`),
  'touch-exec': (a, path, command) => {
    a.log(`${path} has been touched... running "${command}"`);
    spawn('/bin/sh', ['-c', command], { stdio: 'inherit', detached: false }).on('error', (err) =>
      a.log(`touch-exec ${command}: ${err.message}`),
    );
  },
} as const satisfies Record<string, TouchAction>;

/** fs-* options (inotify): the path changed in any way. */
const FS_OPTIONS = {
  'fs-reload': (a, path) => a.gracefulReload(`[uwsgi-fsmon] ${path} has been modified: graceful reload`),
  'fs-brutal-reload': (a, path) => a.brutalReload(`[uwsgi-fsmon] ${path} has been modified: brutal reload`),
} as const satisfies Record<string, TouchAction>;

const MODULE_EXTENSIONS = new Set(['.js', '.mjs', '.cjs', '.ts', '.mts', '.cts', '.json']);

/** The module files of an app: everything with a module extension under its directory, node_modules aside. */
function moduleFiles(dir: string, out: string[] = [], depth = 0): string[] {
  if (depth > 8) return out;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of names) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const path = join(dir, name);
    let st: Stats;
    try {
      st = statSync(path);
    } catch {
      continue;
    }
    if (st.isDirectory()) moduleFiles(path, out, depth + 1);
    else if (MODULE_EXTENSIONS.has(extname(name))) out.push(path);
  }
  return out;
}

export class MasterWatchers {
  private readonly polled: string[] = [];
  private readonly watchers: FSWatcher[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly config: Config,
    private readonly actions: WatchActions,
  ) {}

  start(appFiles: readonly string[]): void {
    const interval = this.config.value('check-interval') * 1000;
    for (const [option, action] of Object.entries(TOUCH_OPTIONS) as Array<
      [keyof typeof TOUCH_OPTIONS, TouchAction]
    >) {
      for (const { value } of this.config.all(option)) {
        const space = value.indexOf(' ');
        const path = option === 'touch-exec' && space > 0 ? value.slice(0, space) : value;
        const arg = option === 'touch-exec' && space > 0 ? value.slice(space + 1) : '';
        this.poll(path, interval, () => action(this.actions, path, arg));
      }
    }
    for (const [option, action] of Object.entries(FS_OPTIONS) as Array<
      [keyof typeof FS_OPTIONS, TouchAction]
    >) {
      for (const { value } of this.config.all(option)) {
        try {
          // several events come for one save: one action per burst
          let pending: NodeJS.Timeout | undefined;
          const watcher = watch(value, { persistent: false }, () => {
            if (pending) return;
            pending = setTimeout(() => {
              pending = undefined;
              action(this.actions, value, '');
            }, 100);
          });
          this.watchers.push(watcher);
        } catch (err) {
          this.actions.log(`${option}: cannot watch ${value}: ${(err as Error).message}`);
        }
      }
    }
    const autoreload = this.config.value('js-autoreload') ?? 0;
    if (autoreload > 0 && appFiles.length > 0) this.autoreload(appFiles, autoreload * 1000);
  }

  /** uWSGI's touch semantics: a change of mtime (creating the file counts; deleting it does not). */
  private poll(path: string, interval: number, fire: () => void): void {
    this.polled.push(path);
    watchFile(path, { interval, persistent: false }, (current, previous) => {
      if (current.mtimeMs !== previous.mtimeMs && current.mtimeMs !== 0) fire();
    });
  }

  /** js-autoreload: every N s, any app module file with a new mtime (or a new file) reloads the workers. */
  private autoreload(appFiles: readonly string[], every: number): void {
    const roots = [...new Set(appFiles.map((f) => dirname(resolve(f))))];
    const snapshot = () => {
      const seen = new Map<string, number>();
      for (const root of roots)
        for (const file of moduleFiles(root))
          seen.set(file, statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? 0);
      return seen;
    };
    let last = snapshot();
    this.actions.log(`js-autoreload: watching ${last.size} module files every ${every / 1000} s`);
    this.timer = setInterval(() => {
      const now = snapshot();
      const changed = [...now].find(([file, mtime]) => last.get(file) !== mtime);
      last = now;
      if (changed)
        this.actions.gracefulReload(`[uwsgi-ts-autoreload] ${changed[0]} modified: reloading the workers`);
    }, every);
    this.timer.unref();
  }

  close(): void {
    for (const path of this.polled) unwatchFile(path);
    for (const w of this.watchers) w.close();
    if (this.timer) clearInterval(this.timer);
  }
}
