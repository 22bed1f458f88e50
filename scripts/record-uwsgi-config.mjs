#!/usr/bin/env node
// Records the real uWSGI 2.0.21's --show-config block for every case of the config corpus
// (test/fixtures/config/cases.json) into test/fixtures/config/expected/, so that
// test/integration/show-config-corpus.test.ts compares our output without needing uWSGI.
//
// Usage: node scripts/record-uwsgi-config.mjs [--uwsgi /path/to/uwsgi] [case-name ...]
// With no case name, expected/ is rebuilt from scratch. The corpus is copied to the fixed path
// /tmp/uwsgi-ts-corpus first, so that the magic variables that depend on a config file's location
// (%d %p %0..%9 %j) are the same when recording and when testing.
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
const FIXTURES = join(REPO, 'test', 'fixtures', 'config');
const EXPECTED = join(FIXTURES, 'expected');
const CORPUS = '/tmp/uwsgi-ts-corpus';
const BASE_PATH = '/usr/local/bin:/usr/bin:/bin';
const BEGIN = ';uWSGI instance configuration';
const END = ';end of configuration';
const TIMEOUT_MS = 5000;

// --- same logic as test/helpers/show-config.ts (keep the two in step) ---

function sleepSync(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

/**
 * Takes /tmp/uwsgi-ts-corpus.lock (a directory holding the owner's pid) so that a recording and a
 * test run never rewrite the shared corpus under each other; returns the release function.
 */
function lockCorpus(to = CORPUS, timeoutMs = 300_000) {
  const lock = `${to}.lock`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      return () => rmSync(lock, { recursive: true, force: true });
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
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
function copyCorpus(from, to = CORPUS) {
  rmSync(to, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
  cpSync(from, to, {
    recursive: true,
    verbatimSymlinks: true,
    filter: (src) => relative(from, src).split(sep)[0] !== 'expected',
  });
}

/** The lines from `;uWSGI instance configuration` to `;end of configuration`, each ending in \n. */
function extractBlock(stderr) {
  const lines = stderr.split('\n');
  const start = lines.indexOf(BEGIN);
  if (start < 0) return undefined;
  const end = lines.indexOf(END, start);
  if (end < 0) return undefined;
  return lines
    .slice(start, end + 1)
    .map((l) => `${l}\n`)
    .join('');
}

/** Replaces the value of every `key = value` line whose key is masked by `<masked>`. */
function maskBlock(block, mask = []) {
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

/** Runs one case; resolves with stdout, stderr and the exit code (null when killed). */
function runCase(command, args, c, timeoutMs) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: CORPUS,
      env: { PATH: BASE_PATH, ...c.env },
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let killed = false;
    const kill = () => {
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
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
      if (stderr.includes(`\n${END}\n`)) kill();
    });
    child.stdin.on('error', () => {});
    child.stdin.end(c.stdin ?? '');
    let code = null;
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

// --- recorder ---

function parseArgs(argv) {
  const out = { uwsgi: 'uwsgi', only: [] };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--uwsgi') out.uwsgi = argv[++i];
    else out.only.push(argv[i]);
  }
  return out;
}

function loadCases() {
  const cases = JSON.parse(readFileSync(join(FIXTURES, 'cases.json'), 'utf8'));
  const names = new Set();
  for (const c of cases) {
    if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(c.name)) throw new Error(`bad case name: ${c.name}`);
    if (names.has(c.name)) throw new Error(`duplicate case name: ${c.name}`);
    if (!Array.isArray(c.args)) throw new Error(`${c.name}: args must be an array`);
    names.add(c.name);
  }
  return cases;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const cases = loadCases();
  const unknown = opts.only.filter((n) => !cases.some((c) => c.name === n));
  if (unknown.length > 0) throw new Error(`unknown case(s): ${unknown.join(', ')}`);
  const selected = opts.only.length === 0 ? cases : cases.filter((c) => opts.only.includes(c.name));

  const release = lockCorpus();
  let blocks = 0;
  let errors = 0;
  try {
    if (opts.only.length === 0) rmSync(EXPECTED, { recursive: true, force: true });
    mkdirSync(EXPECTED, { recursive: true });
    for (const c of selected) {
      for (const ext of ['txt', 'stdout', 'error'])
        rmSync(join(EXPECTED, `${c.name}.${ext}`), { force: true });
      // a fresh copy per case (and a second try for failures) so that a process that is not ours
      // touching the shared path cannot turn a case into a bogus .error
      let r;
      let block;
      for (let attempt = 0; attempt < 2 && block === undefined; attempt++) {
        copyCorpus(FIXTURES);
        r = await runCase(opts.uwsgi, ['--show-config', ...c.args], c, TIMEOUT_MS);
        block = extractBlock(r.stderr);
      }
      if (block === undefined) {
        // uWSGI failed before printing a block: keep what it said, for the error-path tests
        errors++;
        writeFileSync(join(EXPECTED, `${c.name}.error`), `exit code: ${r.code}\n${r.stderr}`, 'latin1');
        process.stdout.write(`error  ${c.name} (exit ${r.code})\n`);
        continue;
      }
      blocks++;
      writeFileSync(join(EXPECTED, `${c.name}.txt`), maskBlock(block, c.mask), 'latin1');
      // print writes to stdout before the block is shown
      if (r.stdout.length > 0) writeFileSync(join(EXPECTED, `${c.name}.stdout`), r.stdout, 'latin1');
      process.stdout.write(`ok     ${c.name}\n`);
    }
  } finally {
    release();
  }
  process.stdout.write(`${blocks} blocks, ${errors} errors recorded in ${relative(REPO, EXPECTED)}\n`);
}

await main();
