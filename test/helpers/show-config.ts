// Helpers for the --show-config corpus (test/fixtures/config): copy it to its fixed path, run a
// case, cut the block out of stderr and mask machine-specific values.
// scripts/record-uwsgi-config.mjs holds a plain-JS copy of copyCorpus/extractBlock/maskBlock: keep them in step.
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

/** Fixed location: %d %p %0..%9 %j depend on it, so recording and testing must use the same path. */
export const CORPUS_DIR = '/tmp/uwsgi-ts-corpus';
/** The only environment variable a case gets besides its own `env`. */
export const BASE_PATH = '/usr/local/bin:/usr/bin:/bin';
export const BLOCK_BEGIN = ';uWSGI instance configuration';
export const BLOCK_END = ';end of configuration';

/** One entry of test/fixtures/config/cases.json. */
export interface CorpusCase {
  readonly name: string;
  readonly args: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  readonly stdin?: string;
  readonly mask?: readonly string[];
  readonly note?: string;
  /** For a case uWSGI refuses (recorded as `.error`): the code uwsgi-ts must refuse it with. */
  readonly error?: string;
  /**
   * A deliberate difference from uWSGI (README): uwsgi-ts either refuses the case with `error`, or
   * prints `expected/<name>.ours.txt` (`block: true`) instead of uWSGI's recorded block.
   */
  readonly differs?: { readonly why: string; readonly error?: string; readonly block?: boolean };
}

function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'string');
}

function isStringRecord(v: unknown): v is Record<string, string> {
  return (
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    Object.values(v).every((x) => typeof x === 'string')
  );
}

function isCorpusCase(v: unknown): v is CorpusCase {
  if (typeof v !== 'object' || v === null) return false;
  const c = v as Record<string, unknown>;
  return (
    typeof c['name'] === 'string' &&
    isStringArray(c['args']) &&
    (c['env'] === undefined || isStringRecord(c['env'])) &&
    (c['stdin'] === undefined || typeof c['stdin'] === 'string') &&
    (c['mask'] === undefined || isStringArray(c['mask'])) &&
    (c['note'] === undefined || typeof c['note'] === 'string') &&
    (c['error'] === undefined || typeof c['error'] === 'string') &&
    (c['differs'] === undefined || (typeof c['differs'] === 'object' && c['differs'] !== null))
  );
}

/** Reads and validates cases.json. */
export function loadCases(file: string): CorpusCase[] {
  const data: unknown = JSON.parse(readFileSync(file, 'utf8'));
  if (!Array.isArray(data)) throw new TypeError(`${file}: expected an array of cases`);
  return data.map((c, i) => {
    if (!isCorpusCase(c)) throw new TypeError(`${file}: case #${i} is malformed`);
    return c;
  });
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes `<to>.lock` (a directory holding the owner's pid) so that a recording and a test run never
 * rewrite the shared corpus under each other; returns the release function.
 */
export function lockCorpus(to: string = CORPUS_DIR, timeoutMs = 300_000): () => void {
  const lock = `${to}.lock`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      return () => rmSync(lock, { recursive: true, force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let stale = false;
    try {
      stale = !isAlive(Number(readFileSync(join(lock, 'pid'), 'utf8')));
    } catch {
      // no pid yet: stale only if the owner died right after mkdir
      try {
        stale = Date.now() - statSync(lock).mtimeMs > 10_000;
      } catch {
        stale = false;
      }
    }
    if (stale) rmSync(lock, { recursive: true, force: true });
    else if (Date.now() > deadline) throw new Error(`${lock} is held by another run`);
    else sleepSync(100);
  }
}

/** Copies the corpus (without expected/) to `to`, replacing what was there; symlinks are kept as they are. */
export function copyCorpus(from: string, to: string = CORPUS_DIR): void {
  rmSync(to, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
  cpSync(from, to, {
    recursive: true,
    verbatimSymlinks: true,
    filter: (src) => relative(from, src).split(sep)[0] !== 'expected',
  });
}

/** The lines from `;uWSGI instance configuration` to `;end of configuration`, each ending in \n. */
export function extractBlock(stderr: string): string | undefined {
  const lines = stderr.split('\n');
  const start = lines.indexOf(BLOCK_BEGIN);
  if (start < 0) return undefined;
  const end = lines.indexOf(BLOCK_END, start);
  if (end < 0) return undefined;
  return lines
    .slice(start, end + 1)
    .map((l) => `${l}\n`)
    .join('');
}

/** Replaces the value of every `key = value` line whose key is masked by `<masked>`. */
export function maskBlock(block: string, mask: readonly string[] = []): string {
  if (mask.length === 0) return block;
  const keys = new Set(mask);
  return block
    .split('\n')
    .map((line) => {
      const eq = line.indexOf(' = ');
      return eq > 0 && keys.has(line.slice(0, eq)) ? `${line.slice(0, eq)} = <masked>` : line;
    })
    .join('\n');
}

export interface RunResult {
  readonly stdout: string;
  readonly stderr: string;
  /** Exit code, or null when the process was killed. */
  readonly code: number | null;
}

/**
 * Runs `command ...args` in the corpus with the case's environment and stdin; the process group
 * is SIGKILLed as soon as the block is complete, or after `timeoutMs`. Output is decoded as
 * latin1 so that bytes compare one to one with the recorded files.
 */
export function runCase(
  command: string,
  args: readonly string[],
  c: CorpusCase,
  timeoutMs: number,
  cwd: string = CORPUS_DIR,
  /** uWSGI goes on to start after the block; uwsgi-ts --dry-run exits by itself (and its exit status matters). */
  killAfterBlock = true,
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], {
      cwd,
      env: { PATH: BASE_PATH, ...c.env },
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let killed = false;
    const kill = (): void => {
      if (killed || child.pid === undefined) return;
      killed = true;
      try {
        // uWSGI reloads on SIGTERM; SIGKILL the whole group so that workers go too
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(kill, timeoutMs);
    child.stdout.setEncoding('latin1');
    child.stderr.setEncoding('latin1');
    child.stdout.on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.on('data', (d: string) => {
      stderr += d;
      if (killAfterBlock && stderr.includes(`\n${BLOCK_END}\n`)) kill();
    });
    child.stdin.on('error', () => {});
    child.stdin.end(c.stdin ?? '');
    let code: number | null = null;
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('exit', (exitCode, signal) => {
      code = signal ? null : exitCode;
      // anything left in the group (workers) would keep the pipes open
      kill();
    });
    child.on('close', () => {
      clearTimeout(timer);
      resolve({ stdout, stderr, code });
    });
  });
}
