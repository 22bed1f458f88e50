#!/usr/bin/env node
// Runs the whole suite with node:test through tsx. Node 20 does not expand quoted globs, so the
// file list is built here. Pass paths or name fragments to run a subset: `npm test -- corpus`.

import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

function collect(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (name === 'fixtures' || name === 'helpers') continue;
    if (statSync(path).isDirectory()) out.push(...collect(path));
    else if (name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

const filters = process.argv.slice(2);
const files = collect(join(root, 'test'))
  .map((f) => relative(root, f))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
// The TAP stream goes through unchanged; the failing tests are kept and printed again at the end,
// so that the tail of a long run (all a CI log may keep) names what failed and why.
const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...files], {
  cwd: root,
  stdio: ['inherit', 'pipe', 'inherit'],
});
const failures = [];
let current = null;
let pending = '';
function scan(line) {
  const start = /^(\s*)not ok \d+ - /.exec(line);
  if (start) {
    current = { indent: start[1].length, lines: [line] };
    failures.push(current);
    return;
  }
  if (current === null) return;
  if (current.lines.length < 80) current.lines.push(line);
  // the YAML block of a failure ends with `...` at its indentation plus two
  if (line === `${' '.repeat(current.indent + 2)}...`) current = null;
}
child.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  const text = pending + chunk.toString('utf8');
  const lines = text.split('\n');
  pending = lines.pop();
  for (const line of lines) scan(line);
});
child.on('close', (code, signal) => {
  if (pending) scan(pending);
  // a failing subtest also fails its suite: print the innermost ones, the ones that say why
  const leaves = failures.filter((f) => !/failureType: 'subtestsFailed'/.test(f.lines.join('\n')));
  if (leaves.length > 0) {
    process.stdout.write(`\n# ${leaves.length} failing test(s), again:\n`);
    for (const f of leaves.slice(0, 10)) process.stdout.write(`${f.lines.join('\n')}\n`);
  }
  process.exit(code ?? (signal ? 1 : 0));
});
