// An Emperor for a test: a temp vassals dir, the real CLI in Emperor mode, vassal configs written
// from a template (a JS app on a unix socket), and the checks the Emperor tests share: is a pid
// alive, the Emperor's stats document, waiting on a condition with a deadline.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { vassalCompileCachePath } from '../../src/emperor/vassal-compile-cache.js';
import { type RunningServer, startServer } from './server.js';

export interface EmperorDir {
  /** The temp root: apps and sockets live here. */
  readonly root: string;
  /** The vassals directory the Emperor watches. */
  readonly vassals: string;
  socket(name: string): string;
  /** Writes `ROOT/NAME.mjs` answering `body`. */
  app(name: string, body: string): string;
  /** Writes `VASSALS/NAME.ini` serving app NAME on socket NAME, plus `extra` ini lines. */
  vassal(name: string, extra?: string): string;
  cleanup(): void;
}

export function emperorDir(): EmperorDir {
  const root = mkdtempSync(join(tmpdir(), 'uwsgi-ts-emperor-'));
  const vassals = join(root, 'vassals');
  mkdirSync(vassals);
  const socket = (name: string) => join(root, `${name}.sock`);
  const app = (name: string, body: string) => {
    const path = join(root, `${name}.mjs`);
    writeFileSync(path, `export default () => new Response(${JSON.stringify(body)});\n`);
    return path;
  };
  return {
    root,
    vassals,
    socket,
    app,
    vassal(name, extra = '') {
      const path = join(vassals, `${name}.ini`);
      const lines = [
        '[uwsgi]',
        `http-socket = ${socket(name)}`,
        `app = ${join(root, `${name}.mjs`)}`,
        'master = true',
        'processes = 1',
        'vacuum = true',
        extra,
      ];
      writeFileSync(path, `${lines.join('\n')}\n`);
      return path;
    },
    cleanup: () => {
      rmSync(root, { recursive: true, force: true });
      // the compile cache dir an Emperor on this vassals dir gave its vassals (under TMPDIR)
      rmSync(vassalCompileCachePath([vassals]), { recursive: true, force: true });
    },
  };
}

export const EMPEROR_STARTED = /\*\*\* starting uWSGI-ts Emperor \*\*\*/;

/** Starts `uwsgi-ts --emperor DIR` (scanning every second) with `args`. */
export async function startEmperor(
  dir: EmperorDir,
  args: readonly string[] = [],
  env: Readonly<Record<string, string>> = {},
): Promise<RunningServer> {
  const emperor = await startServer(['--emperor', dir.vassals, '--emperor-freq', '1', ...args], {
    cwd: dir.root,
    env,
    noWait: true,
  });
  await emperor.waitFor(EMPEROR_STARTED, 10_000);
  return emperor;
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Polls `check` every 100 ms until it is true; rejects after `timeoutMs` with `what`. */
export async function until(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

export interface VassalStats {
  readonly id: string;
  readonly pid: number;
  readonly status: string;
  readonly respawns: number;
  readonly [key: string]: unknown;
}

/** The Emperor stats document read from `port`. */
export function emperorStats(port: number): Promise<{ vassals: VassalStats[]; [key: string]: unknown }> {
  return new Promise((resolve, reject) => {
    let text = '';
    net
      .connect(port, '127.0.0.1')
      .setEncoding('utf8')
      .on('data', (d: string) => {
        text += d;
      })
      .on('end', () => {
        try {
          resolve(JSON.parse(text));
        } catch (err) {
          reject(err);
        }
      })
      .on('error', reject);
  });
}

/** A free TCP port on loopback (for emperor-stats). */
export { freePort } from './ports.js';
