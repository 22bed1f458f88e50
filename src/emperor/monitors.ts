// The Emperor's monitors (reference §6.3 "Vassal discovery"), one row per scheme: `dir://` and
// `glob://`; a plain value is glob()bed: one result ending in `/` is a directory, else a glob.
// A scheme uwsgi-ts has no monitor for is refused when the Emperor starts.

import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { globSync } from '../config/glob.js';
import { UwsgiError } from '../errors.js';
import { pgMonitor } from './pg-monitor.js';
import { type ScanRules, type VassalFile, vassalFile } from './vassal-file.js';

export interface Monitor {
  /** As emperor-stats lists it. */
  readonly source: string;
  /** Every vassal found now (a database monitor answers later). */
  scan(): VassalFile[] | Promise<VassalFile[]>;
  close?(): void;
}

type MonitorFactory = (arg: string, rules: ScanRules, cwd: string, log: (line: string) => void) => Monitor;

const dirMonitor: MonitorFactory = (arg, rules, cwd) => {
  const dir = resolve(cwd, arg);
  return {
    source: `dir://${arg}`,
    scan() {
      let names: string[];
      try {
        names = readdirSync(dir);
      } catch {
        // a missing directory has no vassals (it may appear later)
        return [];
      }
      const out: VassalFile[] = [];
      for (const name of names.sort()) {
        const found = vassalFile(join(dir, name), this.source, rules);
        if (found) out.push(found);
      }
      return out;
    },
  };
};

const globMonitor: MonitorFactory = (arg, rules, cwd) => ({
  source: `glob://${arg}`,
  scan() {
    const out: VassalFile[] = [];
    for (const path of globSync(arg, cwd)) {
      const found = vassalFile(resolve(cwd, path), this.source, rules);
      if (found) out.push(found);
    }
    return out;
  },
});

const SCHEMES: Readonly<Record<string, MonitorFactory>> = {
  dir: dirMonitor,
  glob: globMonitor,
  pg: (arg, rules, _cwd, log) => pgMonitor(arg, rules, log),
};

/** Monitors that uWSGI has and uwsgi-ts does not (yet): refused by name, with what to use. */
const NOT_SERVED: Readonly<Record<string, string>> = {
  zmq: 'the ZeroMQ monitor is not provided; use a directory of vassal files',
  amqp: 'the AMQP monitor is not provided; use a directory of vassal files',
  mongodb: 'the MongoDB monitor is not provided; use a directory of vassal files',
};

/** The monitor of one `emperor` value. */
export function openMonitor(
  value: string,
  rules: ScanRules,
  cwd: string,
  log: (line: string) => void = () => {},
): Monitor {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(value);
  if (scheme) {
    const name = scheme[1]?.toLowerCase() ?? '';
    const factory = SCHEMES[name];
    if (factory) return factory(value.slice(scheme[0].length), rules, cwd, log);
    throw new UwsgiError(
      'ERR_EMPEROR_MONITOR',
      `emperor = ${value}: ${NOT_SERVED[name] ?? `no Emperor monitor for the scheme "${name}://"`}`,
    );
  }
  const matches = globSync(value, cwd);
  const single = matches.length === 1 ? matches[0] : undefined;
  // glob(GLOB_MARK) marks a directory with `/`; a plain path that names one is one too
  if (single !== undefined && (single.endsWith('/') || isDirectory(resolve(cwd, single))))
    return dirMonitor(single, rules, cwd, log);
  return globMonitor(value, rules, cwd, log);
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
