// File monitors that raise uwsgi signals (reference §2.3; seed manual "fsmon"): `fs-signal` and
// addFileMonitor() watch a path with inotify (fs.watch) and raise on any change; `touch-signal`
// polls a file's mtime every check-interval, as uWSGI's touch options do. uWSGI 2.0.21's lines
// (test/fixtures/signal/uwsgi-2.0.21-signals.json).

import { type FSWatcher, unwatchFile, watch, watchFile } from 'node:fs';
import { ctime } from '../logging/ctime.js';

export interface FileMonitorActions {
  raise(num: number): void;
  log(line: string): void;
}

/** Several inotify events come for one save: one signal per burst. */
const BURST_MS = 100;

export class FileMonitors {
  private readonly watchers = new Map<string, FSWatcher>();
  private readonly polled = new Set<string>();
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly actions: FileMonitorActions) {}

  /** inotify monitor; the same path and signal again is kept once. Returns false when the path cannot be watched. */
  watch(path: string, num: number): boolean {
    const key = `${num} ${path}`;
    if (this.watchers.has(key)) return true;
    const { log, raise } = this.actions;
    let pending: NodeJS.Timeout | undefined;
    try {
      const watcher = watch(path, { persistent: false }, () => {
        if (pending) return;
        pending = setTimeout(() => {
          if (pending) this.timers.delete(pending);
          pending = undefined;
          log(`${ctime(Date.now())} - [uwsgi-fsmon] detected event on "${path}"`);
          raise(num);
        }, BURST_MS);
        this.timers.add(pending);
      });
      watcher.on('error', () => {});
      this.watchers.set(key, watcher);
    } catch (err) {
      log(`[uwsgi-fsmon] unable to register monitor for "${path}" (${(err as Error).message})`);
      return false;
    }
    log(`[uwsgi-fsmon] registered monitor for "${path}"`);
    return true;
  }

  /** `touch-signal`: a new mtime (creating the file counts, deleting it does not). */
  touch(path: string, num: number, intervalMs: number): void {
    this.polled.add(path);
    watchFile(path, { interval: intervalMs, persistent: false }, (current, previous) => {
      if (current.mtimeMs === previous.mtimeMs || current.mtimeMs === 0) return;
      this.actions.log(`${ctime(Date.now())} - [uwsgi-touch-signal] raising ${num}`);
      this.actions.raise(num);
    });
  }

  close(): void {
    for (const w of this.watchers.values()) w.close();
    for (const path of this.polled) unwatchFile(path);
    for (const t of this.timers) clearTimeout(t);
    this.watchers.clear();
    this.polled.clear();
  }
}
