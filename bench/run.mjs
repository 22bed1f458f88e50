#!/usr/bin/env node
// `npm run bench`: every benchmark, side by side, printed as a table ready for RESULTS.md.

import { execSync } from 'node:child_process';
import { cpus, hostname } from 'node:os';
import { benchConfigLoad } from './config-load.mjs';

const commit = (() => {
  try {
    return execSync('git rev-parse --short HEAD', { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
})();

console.log(
  `date: ${new Date().toISOString().slice(0, 10)}  commit: ${commit}  machine: ${hostname()}, ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}`,
);
const c = benchConfigLoad();
console.log('\n| config load (2,000-line ini, 200 placeholders, for over 100 items) | time |');
console.log('|---|---|');
console.log(
  `| loadConfig in-process, median of 30 (${c.entries} options) | ${c.inProcessMs.toFixed(1)} ms |`,
);
console.log(`| \`uwsgi-ts --dry-run\` whole process, median of 5 | ${c.processMs.toFixed(0)} ms |`);
if (c.uwsgiProcessMs !== undefined)
  console.log(
    `| \`uwsgi\` 2.0.21 parse + exit, whole process, median of 5 | ${c.uwsgiProcessMs.toFixed(0)} ms |`,
  );
