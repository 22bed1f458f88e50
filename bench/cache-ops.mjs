// cache2 engine micro-benchmark: operations per second from one process on a real shared region
// (memfd + mmap, as workers map it), 100-byte values, 1,000 distinct keys in a 10,000-item cache.
// The issue's targets: get >= 1 M/s, update >= 0.5 M/s (uWSGI 2.0.21 from Python: 6.4 M / 2.8 M).
// Needs `npm run build`. `node bench/cache-ops.mjs [seconds-per-op]` prints a table; bench/run.mjs
// may import benchCacheOps().

import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { Cache } from '../dist/cache/cache.js';
import { planCache } from '../dist/cache/cache-plan.js';
import { LayoutBuilder } from '../dist/shared/layout.js';
import { createRegion } from '../dist/shared/region.js';

const KEYS = 1000;

/**
 * Operations per wall-clock second and per CPU second of this process: on a shared, loaded
 * machine the second one says what a worker does on a core of its own.
 */
function rate(fn, seconds) {
  // warm up, then count whole batches until the time is up
  for (let i = 0; i < 50_000; i++) fn(i);
  const batch = 10_000;
  let done = 0;
  const cpu = process.cpuUsage();
  const start = performance.now();
  const until = start + seconds * 1000;
  let now = start;
  while (now < until) {
    for (let i = 0; i < batch; i++) fn(done + i);
    done += batch;
    now = performance.now();
  }
  const used = process.cpuUsage(cpu);
  return { wall: done / ((now - start) / 1000), cpu: done / ((used.user + used.system) / 1e6) };
}

export function benchCacheOps(seconds = 1) {
  const builder = new LayoutBuilder();
  const plan = planCache('name=bench,items=10000,blocksize=128', builder);
  const { region, warning } = createRegion(builder.build());
  const cache = new Cache(plan, region);
  const keys = Array.from({ length: KEYS }, (_, i) => `user:${i}:profile`);
  const text = 'v'.repeat(100);
  const bytes = Buffer.alloc(100, 'b');
  for (const key of keys) cache.set(key, text);
  const fresh = Array.from({ length: KEYS }, (_, i) => `fresh:${i}`);
  let sink = 0;
  const ops = {
    'get (Buffer copy)': (i) => {
      sink += cache.get(keys[i % KEYS]).length;
    },
    'getString (UTF-8)': (i) => {
      sink += cache.getString(keys[i % KEYS]).length;
    },
    'update (string value)': (i) => {
      cache.update(keys[i % KEYS], text);
    },
    'update (Buffer value)': (i) => {
      cache.update(keys[i % KEYS], bytes);
    },
    'set new key + del': (i) => {
      const key = fresh[i % KEYS];
      cache.set(key, bytes);
      cache.del(key);
    },
    exists: (i) => {
      sink += cache.exists(keys[i % KEYS]) ? 1 : 0;
    },
    inc: (i) => {
      cache.inc(`counter:${i % 16}`);
    },
  };
  const results = {};
  for (const [name, fn] of Object.entries(ops)) {
    const { wall, cpu } = rate(fn, seconds);
    results[name] = { wall: Math.round(wall), cpu: Math.round(cpu) };
  }
  if (sink === -1) console.log(sink);
  return { shared: region.shared, warning, results };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const seconds = Number(process.argv[2] ?? 1);
  const { shared, warning, results } = benchCacheOps(seconds);
  console.log(
    `cache2 engine, one process, ${shared ? 'shared memfd region' : `PRIVATE region (${warning})`}`,
  );
  console.log('| operation | ops/s | ops per CPU second |\n|---|---:|---:|');
  for (const [name, n] of Object.entries(results))
    console.log(`| ${name} | ${n.wall.toLocaleString('en-US')} | ${n.cpu.toLocaleString('en-US')} |`);
}

/**
 * The same loops in uWSGI 2.0.21's Python API, one worker (bench/apps/uwsgi_cache_bench.py);
 * undefined when uwsgi is not installed.
 */
export async function benchUwsgiCacheOps(seconds = 1) {
  const { spawn, spawnSync } = await import('node:child_process');
  if (spawnSync('uwsgi', ['--version'], { stdio: 'ignore' }).status !== 0) return undefined;
  const port = 20000 + Math.floor(Math.random() * 20000);
  const proc = spawn(
    'uwsgi',
    [
      '--plugin',
      'python3',
      '--http-socket',
      `127.0.0.1:${port}`,
      '--wsgi-file',
      new URL('./apps/uwsgi_cache_bench.py', import.meta.url).pathname,
      '--cache2',
      'name=bench,items=10000,blocksize=128',
      '--disable-logging',
    ],
    { stdio: 'ignore' },
  );
  try {
    for (let i = 0; i < 50; i++) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/?seconds=${seconds}`);
        return await res.json();
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    return undefined;
  } finally {
    proc.kill('SIGKILL');
  }
}

/** The markdown table bench/run.mjs prints: uwsgi-ts's engine next to uWSGI's Python API. */
export function cacheOpsTable(ours, theirs) {
  const row = (name, op, key) => {
    const n = ours.results[op];
    const t = theirs?.[key];
    return `| ${name} | ${n.wall.toLocaleString('en-US')} | ${n.cpu.toLocaleString('en-US')} | ${t ? Math.round(t).toLocaleString('en-US') : '-'} | ${t ? (n.wall / t).toFixed(2) : '-'}x |`;
  };
  return [
    '| 100-byte value, one process | uwsgi-ts ops/s | uwsgi-ts ops per CPU second | uWSGI 2.0.21 Python ops/s | ratio |',
    '|---|---:|---:|---:|---:|',
    row('get', 'get (Buffer copy)', 'get'),
    row('get as a string', 'getString (UTF-8)', 'get'),
    row('update', 'update (string value)', 'update'),
    row('update (Buffer)', 'update (Buffer value)', 'update'),
    row('inc', 'inc', 'inc'),
  ].join('\n');
}
