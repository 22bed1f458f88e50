#!/usr/bin/env node
// Asks the real uWSGI how each of its options takes its argument (getopt's has_arg) and which one-letter
// flag it has, so the option table can be checked against it. Output: test/fixtures/uwsgi-options.json.
//
// Usage: node scripts/probe-uwsgi-options.mjs [--uwsgi BIN] [--plugins-dir DIR] [--plugins a,b,...]
//                                             [--out FILE] [--jobs N] [--immediate]
//
// Nothing is served: every probe ends in a getopt error (an unknown option placed after the probed one), so
// uWSGI stops before binding anything, and only IMMEDIATE options run their handler (with a harmless value,
// in a scratch directory). uWSGI ignores SIGTERM, so stragglers get SIGKILL (their own process group).
//
// --immediate adds `immediate: true|false` for options that take a value: an IMMEDIATE option's value is
// never placeholder-expanded (reference §3.1), so `--set-ph p=5 --OPT=%(p) --get OPT` prints `%(p)` for it.

import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const HERE = new URL('.', import.meta.url).pathname;
const TIMEOUT_MS = 3000;

/** @param {string[]} argv */
function parseArgs(argv) {
  const args = {
    uwsgi: 'uwsgi',
    pluginsDir: '/usr/lib/uwsgi/plugins',
    plugins: /** @type {string[] | null} */ (null),
    out: resolve(HERE, '../test/fixtures/uwsgi-options.json'),
    jobs: 8,
    immediate: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--uwsgi') args.uwsgi = next();
    else if (a === '--plugins-dir') args.pluginsDir = next();
    else if (a === '--plugins') args.plugins = next().split(',').filter(Boolean);
    else if (a === '--out') args.out = resolve(next());
    else if (a === '--jobs') args.jobs = Number(next());
    else if (a === '--immediate') args.immediate = true;
    else throw new Error(`unknown argument ${a}`);
  }
  return args;
}

const ARGS = parseArgs(process.argv.slice(2));
const SCRATCH = mkdtempSync(join(tmpdir(), 'probe-uwsgi-'));
// A UWSGI_* variable in our own environment would become an option of every probe (reference §3.1).
const ENV = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('UWSGI_')));

/**
 * Runs uWSGI once and returns stdout+stderr. Killed (whole process group) after TIMEOUT_MS.
 * @param {string[]} argv
 * @returns {Promise<string>}
 */
function run(argv) {
  return new Promise((done) => {
    const child = spawn(ARGS.uwsgi, argv, {
      cwd: SCRATCH,
      env: ENV,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let out = '';
    child.stdout.on('data', (b) => {
      out += b;
    });
    child.stderr.on('data', (b) => {
      out += b;
    });
    const killGroup = () => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(killGroup, TIMEOUT_MS);
    child.on('error', (err) => {
      clearTimeout(timer);
      done(`spawn error: ${err.message}`);
    });
    child.on('close', () => {
      clearTimeout(timer);
      killGroup(); // a worker or daemon it may have left behind
      done(out);
    });
  });
}

/** @param {string | null} plugin */
const pluginArgs = (plugin) => (plugin ? ['--plugin', plugin] : []);

/** @param {string} text */
const lines = (text) =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^[A-Za-z0-9_-]+$/.test(l));

/**
 * getopt's has_arg for one option.
 * @param {string} name
 * @param {string | null} plugin
 * @returns {Promise<'none' | 'required' | 'optional' | 'unknown'>}
 */
async function probeArg(name, plugin) {
  const p = pluginArgs(plugin);
  // 1. `--OPT=x`: a no_argument option is refused by getopt before anything runs.
  const one = await run([...p, `--${name}=x`, '--zzz-probe-end']);
  if (one.includes(`option '--${name}' doesn't allow an argument`)) return 'none';
  // 2. `--OPT --a --b`: a required argument swallows `--a`, so getopt trips on `--b`; an optional one does not.
  const two = await run([...p, `--${name}`, '--zzz-probe-first', '--zzz-probe-second']);
  if (two.includes("unrecognized option '--zzz-probe-second'")) return 'required';
  if (two.includes("unrecognized option '--zzz-probe-first'")) return 'optional';
  // 3. An immediate handler exited before getopt got there: `--OPT` as the last word.
  const three = await run([...p, `--${name}`]);
  if (three.includes(`option '--${name}' requires an argument`)) return 'required';
  if (three.includes('unrecognized option')) return 'unknown';
  return 'optional';
}

/**
 * Whether an option with a value is IMMEDIATE (its value escapes placeholder expansion).
 * @param {string} name
 * @param {string | null} plugin
 * @returns {Promise<boolean | null>}
 */
async function probeImmediate(name, plugin) {
  const out = await run([
    ...pluginArgs(plugin),
    '--set-ph',
    'zzprobe=5',
    `--${name}=%(zzprobe)`,
    '--get',
    name,
  ]);
  const got = out.split('\n').map((l) => l.trim());
  if (got.includes('%(zzprobe)')) return true;
  if (got.includes('5')) return false;
  return null;
}

/**
 * `-s|--socket` lines of `uwsgi --help`.
 * @param {string | null} plugin
 * @returns {Promise<Map<string, string>>}
 */
async function shorts(plugin) {
  const out = await run([...pluginArgs(plugin), '--help']);
  const map = new Map();
  for (const m of out.matchAll(/^\s+-([A-Za-z0-9])\|--([A-Za-z0-9_-]+)/gm)) map.set(m[2], m[1]);
  return map;
}

/**
 * @template T, R
 * @param {T[]} items
 * @param {(item: T) => Promise<R>} fn
 * @returns {Promise<R[]>}
 */
async function pool(items, fn) {
  const results = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, ARGS.jobs) }, worker));
  return results;
}

async function main() {
  const plugins =
    ARGS.plugins ??
    readdirSync(ARGS.pluginsDir)
      .filter((f) => f.endsWith('_plugin.so'))
      .map((f) => f.slice(0, -'_plugin.so'.length))
      .sort();

  /** @type {{ name: string, plugin: string | null }[]} */
  const options = [];
  const seen = new Set();
  const core = lines(await run(['--dump-options']));
  if (core.length === 0) throw new Error(`${ARGS.uwsgi} --dump-options printed nothing`);
  for (const name of core) {
    seen.add(name);
    options.push({ name, plugin: null });
  }
  /** @type {Map<string, string>} */
  const shortOf = await shorts(null);
  for (const plugin of plugins) {
    const own = lines(await run(['--plugin', plugin, '--dump-options'])).filter((n) => !seen.has(n));
    if (own.length === 0) continue;
    for (const name of own) {
      seen.add(name);
      options.push({ name, plugin });
    }
    for (const [name, s] of await shorts(plugin)) if (!shortOf.has(name)) shortOf.set(name, s);
  }

  let doneCount = 0;
  const facts = await pool(options, async ({ name, plugin }) => {
    const arg = await probeArg(name, plugin);
    const immediate = ARGS.immediate && arg !== 'none' ? await probeImmediate(name, plugin) : undefined;
    doneCount++;
    if (doneCount % 100 === 0) process.stderr.write(`probed ${doneCount}/${options.length}\n`);
    return { arg, immediate };
  });

  /** @type {Record<string, { arg: string, short?: string, plugin?: string, immediate?: boolean | null }>} */
  const result = {};
  options.forEach(({ name, plugin }, i) => {
    const f = facts[i];
    const row = { arg: f.arg };
    const s = shortOf.get(name);
    if (s !== undefined) row.short = s;
    if (plugin !== null) row.plugin = plugin;
    if (f.immediate !== undefined) row.immediate = f.immediate;
    result[name] = row;
  });
  writeFileSync(ARGS.out, `${JSON.stringify(result, null, 2)}\n`);
  const unknown = Object.entries(result).filter(([, r]) => r.arg === 'unknown');
  process.stderr.write(`wrote ${options.length} options to ${ARGS.out}\n`);
  if (unknown.length > 0) process.stderr.write(`undetermined: ${unknown.map(([n]) => n).join(', ')}\n`);
}

try {
  await main();
} finally {
  rmSync(SCRATCH, { recursive: true, force: true });
}
