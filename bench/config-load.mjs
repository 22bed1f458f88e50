// Config loading benchmark (issue: "a 2,000-line ini with 200 placeholders and a for over 100
// items loads in under 100 ms"). Measures loadConfig in-process (median of repeated runs, after
// warm-up) and the whole `uwsgi-ts --dry-run` process, side by side with uWSGI's own parse of the
// same file when uwsgi is installed.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { loadConfig, processMagicHost } from '../dist/config/load.js';

const root = fileURLToPath(new URL('..', import.meta.url));

function bigIni() {
  const lines = ['[uwsgi]'];
  for (let i = 0; i < 200; i++) lines.push(`ph${i} = value-${i}`);
  lines.push('for = ' + Array.from({ length: 100 }, (_, i) => `item${i}`).join(' '));
  lines.push('env = FOR_%(_)=%(ph1)');
  lines.push('endfor');
  let n = 0;
  while (lines.length < 2000) {
    const i = n++ % 200;
    lines.push(`env = K${n}=%(ph${i})-%(ph${(i * 7) % 200})-$(HOME)`);
  }
  return `${lines.join('\n')}\n`;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export function benchConfigLoad() {
  const dir = mkdtempSync(join(tmpdir(), 'uwsgi-ts-bench-'));
  const file = join(dir, 'big.ini');
  writeFileSync(file, bigIni());
  try {
    const host = {
      env: { HOME: '/root' },
      cwd: dir,
      magic: processMagicHost(dir),
      log: () => {},
      print: () => {},
      hasPlugin: () => true,
    };
    let entries = 0;
    const times = [];
    for (let i = 0; i < 30; i++) {
      const t0 = performance.now();
      const { loader } = loadConfig([file], host);
      times.push(performance.now() - t0);
      entries = loader.entries.length;
    }
    const processTimes = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      const run = spawnSync(process.execPath, [join(root, 'bin/uwsgi-ts.js'), '--dry-run', file], {
        encoding: 'utf8',
      });
      processTimes.push(performance.now() - t0);
      if (run.status !== 0) throw new Error(`uwsgi-ts --dry-run failed: ${run.stderr}`);
    }
    let uwsgi;
    const probe = spawnSync('uwsgi', ['--version'], { encoding: 'utf8' });
    if (probe.status === 0) {
      // uWSGI cannot stop after printing its config: time `--exit`-free parse by loading the file
      // with an immediate `exit` appended through --inject-after.
      const ts = [];
      for (let i = 0; i < 5; i++) {
        const t0 = performance.now();
        spawnSync('uwsgi', ['--inject-after', 'exit = 0', file], { encoding: 'utf8', stdio: 'ignore' });
        ts.push(performance.now() - t0);
      }
      uwsgi = median(ts);
    }
    return {
      lines: 2000,
      entries,
      inProcessMs: median(times),
      processMs: median(processTimes),
      uwsgiProcessMs: uwsgi,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(JSON.stringify(benchConfigLoad(), null, 2));
}
