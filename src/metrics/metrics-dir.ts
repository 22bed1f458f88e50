// `metrics-dir` (seed manual "The metrics directory"): one file per metric, named after it, as
// uWSGI 2.0.21 lays them out: 4096 bytes (one mapped page), the value in decimal and a newline at
// the start, NUL bytes after (recorded: test/fixtures/metrics/uwsgi-stats-metrics.json). A file is
// rewritten when its value changes; uWSGI leaves a metric nobody collects (a manual one) at its
// zeroed page forever, uwsgi-ts writes every metric. `metrics-dir-restore` reads them back.

import { closeSync, constants, ftruncateSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { UwsgiError } from '../errors.js';
import { leadingInteger } from './collectors.js';

/** uWSGI maps one page per metric file. */
export const METRIC_FILE_SIZE = 4096;

/** The bytes at the start of a file holding `value` (the rest of the page stays NUL). */
export function metricFileText(value: bigint): string {
  return `${value}\n`;
}

/** The value a metric file holds: its text up to the first NUL (an untouched page is 0). */
export function parseMetricFile(bytes: Uint8Array): bigint {
  const end = bytes.indexOf(0);
  return leadingInteger(Buffer.from(end < 0 ? bytes : bytes.subarray(0, end)).toString('latin1'));
}

export class MetricsDir {
  private readonly fds = new Map<string, number>();
  /** What each file holds now (undefined: the zeroed page). */
  private readonly written = new Map<string, string>();

  constructor(
    readonly dir: string,
    names: readonly string[],
  ) {
    let isDir = false;
    try {
      isDir = statSync(dir).isDirectory();
    } catch {
      isDir = false;
    }
    // uWSGI: "The directory must exist in advance."
    if (!isDir)
      throw new UwsgiError('ERR_CONFIG_BAD_VALUE', `metrics-dir ${dir}: no such directory (create it first)`);
    for (const name of names) {
      // 0660 under the umask: uWSGI's files are -rw-r----- with the usual 022
      const fd = openSync(join(dir, name), constants.O_RDWR | constants.O_CREAT, 0o660);
      ftruncateSync(fd, METRIC_FILE_SIZE);
      // a page left by an earlier run is cleared (its value was read first by `restore`)
      writeSync(fd, Buffer.alloc(METRIC_FILE_SIZE), 0, METRIC_FILE_SIZE, 0);
      this.fds.set(name, fd);
    }
  }

  /** The values the files hold now (metrics-dir-restore), 0 for an untouched page. */
  static restore(dir: string, names: readonly string[]): Map<string, bigint> {
    const out = new Map<string, bigint>();
    for (const name of names) {
      try {
        out.set(name, parseMetricFile(readFileSync(join(dir, name))));
      } catch {
        // a metric new since the last run has no file yet
      }
    }
    return out;
  }

  /** Rewrites the file of `name` when its value changed. */
  update(name: string, value: bigint): void {
    const fd = this.fds.get(name);
    if (fd === undefined) return;
    const text = metricFileText(value);
    const before = this.written.get(name);
    if (before === text || (before === undefined && value === 0n)) return;
    // NULs over what a longer previous value left
    const bytes = Buffer.alloc(Math.max(text.length, before?.length ?? 0));
    bytes.write(text, 'latin1');
    writeSync(fd, bytes, 0, bytes.length, 0);
    this.written.set(name, text);
  }

  close(): void {
    for (const fd of this.fds.values()) closeSync(fd);
    this.fds.clear();
  }
}
