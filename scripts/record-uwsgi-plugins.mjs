#!/usr/bin/env node
// Records what the real uWSGI 2.0.21 does with a plugin it cannot load (`plugin foo`,
// `need-plugin foo`, from the command line and from an ini file) into
// test/fixtures/config/uwsgi-2.0.21-plugins.json, so the tests compare our refusal with it
// without uWSGI installed. Needs `uwsgi` (Debian: uwsgi-core). Run from the repository root:
// `node scripts/record-uwsgi-plugins.mjs`.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const OUT = join(root, 'test/fixtures/config/uwsgi-2.0.21-plugins.json');

// `--exit=0` (`exit = 0` in a file; getopt takes an optional value only after =) ends the start
// right after the options are read: whatever comes before it decided
// the exit status (uWSGI's `exit` option; without it `plugin foo` would go on serving)
const CASES = [
  { name: 'need-plugin from the command line', args: ['--need-plugin', 'nosuchplugin', '--exit=0'] },
  {
    name: 'need-plugins, the second one missing',
    args: ['--need-plugins', 'cache,nosuchplugin', '--exit=0'],
  },
  {
    name: 'need-plugin from an ini file',
    ini: '[uwsgi]\nneed-plugin = nosuchplugin\nexit = 0\n',
    args: ['app.ini'],
  },
  { name: 'plugin from the command line goes on', args: ['--plugin', 'nosuchplugin', '--exit=0'] },
  {
    name: 'plugin from an ini file goes on',
    ini: '[uwsgi]\nplugin = nosuchplugin\nexit = 0\n',
    args: ['app.ini'],
  },
];

const dir = mkdtempSync(join(tmpdir(), 'uwsgi-plugins-'));
const version = spawnSync('uwsgi', ['--version'], { encoding: 'utf8' }).stdout.trim();
const cases = [];
try {
  for (const c of CASES) {
    if (c.ini) writeFileSync(join(dir, 'app.ini'), c.ini);
    const run = spawnSync('uwsgi', c.args, { cwd: dir, encoding: 'utf8', timeout: 10_000 });
    const lines = run.stderr.split('\n').filter((l) => /plugin/i.test(l));
    cases.push({ name: c.name, args: c.args, ini: c.ini ?? null, exitCode: run.status, lines });
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
writeFileSync(
  OUT,
  `${JSON.stringify({ uwsgi: version, recorded: new Date().toISOString().slice(0, 10), cases }, null, 2)}\n`,
);
console.log(`wrote ${OUT}`);
