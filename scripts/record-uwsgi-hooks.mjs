#!/usr/bin/env node
// Records when uWSGI 2.0.21 runs each hook phase into test/fixtures/hooks/uwsgi-2.0.21-hooks.json,
// so test/integration/hooks.test.ts checks our order and counts without uWSGI installed. Needs
// `uwsgi` with the python3 plugin (Debian: uwsgi-core, uwsgi-plugin-python3). Run from the
// repository root: `node scripts/record-uwsgi-hooks.mjs`.
//
// One run with --master --processes 2 and a `print:` hook in every phase that runs without a jail
// or an Emperor; the instance is stopped with SIGINT (SIGTERM reloads 2.0.21). Recorded: the
// phase labels in the order the log shows them, and how many times each ran.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const OUT = `${root}test/fixtures/hooks/uwsgi-2.0.21-hooks.json`;
const PHASES = [
  'asap',
  'pre-jail',
  'in-jail',
  'as-root',
  'as-user',
  'pre-app',
  'post-app',
  'master-start',
  'post-fork',
  'accepting',
  'accepting-once',
  'accepting1',
  'accepting1-once',
  'as-user-atexit',
];

const dir = mkdtempSync(join(tmpdir(), 'record-hooks-'));
writeFileSync(join(dir, 'app.py'), 'def application(e, s):\n    s("200 OK", [])\n    return [b"hi"]\n');
const args = ['--plugin', 'python3', '--master', '--processes', '2', '--http-socket', '127.0.0.1:0'];
args.push('--wsgi-file', join(dir, 'app.py'));
for (const p of PHASES) args.push(`--hook-${p}`, `print:phase ${p}`);
const child = spawn('uwsgi', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
let log = '';
child.stdout.on('data', (d) => {
  log += d;
});
child.stderr.on('data', (d) => {
  log += d;
});
setTimeout(() => child.kill('SIGINT'), 3000);
child.on('close', () => {
  rmSync(dir, { recursive: true, force: true });
  const labels = [...log.matchAll(/^running "print:phase \S+" \(([^)]+)\)\.\.\.$/gm)].map((m) => m[1]);
  const counts = {};
  for (const l of labels) counts[l] = (counts[l] ?? 0) + 1;
  const order = labels.filter((l, i) => labels.indexOf(l) === i);
  writeFileSync(
    OUT,
    `${JSON.stringify({ uwsgi: '2.0.21', args: args.slice(0, 6), processes: 2, order, counts }, null, 2)}\n`,
  );
  console.log(`wrote ${OUT}: ${order.join(', ')}`);
});
