// The CLI as a user meets it: --version, --help, docs/options.md, and one-line errors that name
// the option and where it came from (errors are asserted by code, never by full text).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ALL_OPTIONS } from '../../src/config/option-registry.js';
import { ownLines, REPO, runCli, tempFiles } from '../helpers/cli.js';

test('--version prints the package version', async () => {
  const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string };
  const run = await runCli(['--version']);
  assert.equal(run.code, 0);
  assert.equal(run.stdout, `${pkg.version}\n`);
});

test('--help lists every option of the table', async () => {
  const run = await runCli(['--help']);
  assert.equal(run.code, 0);
  const flags = new Set(run.stdout.match(/--[a-z0-9][a-z0-9_-]*/g));
  assert.ok(ALL_OPTIONS.length > 900);
  for (const spec of ALL_OPTIONS) assert.ok(flags.has(`--${spec.name}`), `--help misses --${spec.name}`);
});

test('docs/options.md is generated from the table and current (npm run docs)', async () => {
  const run = await runCli(['--docs-options']);
  assert.equal(run.code, 0);
  assert.equal(readFileSync(join(REPO, 'docs', 'options.md'), 'utf8'), run.stdout);
});

test('docs/errors.md is generated from the error registry and current', async () => {
  const run = await runCli(['--docs-errors']);
  assert.equal(run.code, 0);
  assert.equal(readFileSync(join(REPO, 'docs', 'errors.md'), 'utf8'), run.stdout);
  assert.match(run.stdout, /ERR_CONFIG_UNKNOWN_OPTION/);
});

test('an unknown command-line option is one line with a did-you-mean, exit 1', async () => {
  const run = await runCli(['--proccesses', '4', '--dry-run']);
  assert.equal(run.code, 1);
  const lines = ownLines(run.stderr);
  assert.equal(lines.length, 1, run.stderr);
  assert.match(
    lines[0] ?? '',
    /'--proccesses'.*did you mean '--processes'\?.*\[ERR_CONFIG_UNKNOWN_OPTION\]$/,
  );
  assert.doesNotMatch(run.stderr, /^\s+at /m);
});

test('an unknown ini key never used as a placeholder is a warning naming file:line; a used one is silent', async () => {
  const { dir, cleanup } = tempFiles({
    'app.ini': '[uwsgi]\nshow-config = true\nprocesess = 4\nbase = /srv\nchdir = %(base)\n',
  });
  try {
    const run = await runCli(['--dry-run', 'app.ini'], { cwd: dir });
    assert.equal(run.code, 0, run.stderr);
    const warnings = ownLines(run.stderr).filter((l) => l.includes('unknown option'));
    assert.equal(warnings.length, 1, run.stderr);
    assert.match(warnings[0] ?? '', /"procesess" \(app\.ini:3\).*did you mean "processes"/);
    assert.match(run.stderr, /^chdir = \/srv$/m);
  } finally {
    cleanup();
  }
});

test('an option whose subsystem is not built yet is parsed, shown, and warned about by name', async () => {
  const run = await runCli(['--dry-run', '--fastrouter', '127.0.0.1:3017', '--spooler', '/tmp/spool']);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stderr, /^fastrouter = 127\.0\.0\.1:3017$/m);
  const lines = ownLines(run.stderr);
  assert.ok(
    lines.some((l) => /option "fastrouter" \(command line --fastrouter\) is not supported yet/.test(l)),
    run.stderr,
  );
  assert.ok(
    lines.some((l) => /option "spooler" .* is not supported yet/.test(l)),
    run.stderr,
  );
});

test('under --strict an option not supported yet is an error', async () => {
  const run = await runCli(['--strict', '--dry-run', '--fastrouter', '127.0.0.1:3017']);
  assert.equal(run.code, 1);
  assert.match(ownLines(run.stderr).at(-1) ?? '', /"fastrouter".*\[ERR_CONFIG_NOT_SUPPORTED\]$/);
});

test('a bad integer names the option and its origin, from a file and from the environment', async () => {
  const { dir, cleanup } = tempFiles({ 'app.ini': '[uwsgi]\nmaster = true\nprocesses = four\n' });
  try {
    const fromFile = await runCli(['--dry-run', 'app.ini'], { cwd: dir });
    assert.equal(fromFile.code, 1);
    assert.match(
      ownLines(fromFile.stderr).at(-1) ?? '',
      /"processes".*"four".*app\.ini:3.*\[ERR_CONFIG_BAD_VALUE\]$/,
    );
    const fromEnv = await runCli(['--dry-run'], { env: { UWSGI_LISTEN: '-5' } });
    assert.equal(fromEnv.code, 1);
    assert.match(
      ownLines(fromEnv.stderr).at(-1) ?? '',
      /"listen".*environment UWSGI_LISTEN.*\[ERR_CONFIG_BAD_VALUE\]$/,
    );
  } finally {
    cleanup();
  }
});

test('an unreadable @() file names the option and where it was written', async () => {
  const { dir, cleanup } = tempFiles({ 'app.ini': '[uwsgi]\nchdir = @(missing.txt)\n' });
  try {
    const run = await runCli(['--dry-run', 'app.ini'], { cwd: dir });
    assert.equal(run.code, 1);
    assert.match(
      ownLines(run.stderr).at(-1) ?? '',
      /"chdir".*app\.ini:2.*missing\.txt.*\[ERR_CONFIG_READ\]$/,
    );
  } finally {
    cleanup();
  }
});

test('a missing config file and a missing section name themselves and who asked for them', async () => {
  const { dir, cleanup } = tempFiles({
    'app.ini': '[uwsgi]\ninclude = other.ini\n',
    'multi.ini': '[uwsgi]\nmaster = 1\n',
  });
  try {
    const file = await runCli(['--dry-run', 'app.ini'], { cwd: dir });
    assert.equal(file.code, 1);
    assert.match(
      ownLines(file.stderr).at(-1) ?? '',
      /other\.ini.*app\.ini:2.*\[ERR_CONFIG_FILE_NOT_FOUND\]$/,
    );
    const section = await runCli(['--dry-run', '--ini', 'multi.ini:prod'], { cwd: dir });
    assert.equal(section.code, 1);
    assert.match(
      ownLines(section.stderr).at(-1) ?? '',
      /"prod".*multi\.ini.*--ini.*\[ERR_CONFIG_SECTION_NOT_FOUND\]$/,
    );
  } finally {
    cleanup();
  }
});

test('recursive logic names the option and its line', async () => {
  const { dir, cleanup } = tempFiles({
    'app.ini': '[uwsgi]\nfor = a b\nif-env = PATH\nx = 1\nendif\nendfor\n',
  });
  try {
    const run = await runCli(['--dry-run', 'app.ini'], { cwd: dir });
    assert.equal(run.code, 1);
    assert.match(ownLines(run.stderr).at(-1) ?? '', /if-env.*app\.ini:3.*\[ERR_CONFIG_RECURSIVE_LOGIC\]$/);
  } finally {
    cleanup();
  }
});

test('UWSGI_TS_DEBUG=1 adds the stack trace to an error', async () => {
  const run = await runCli(['--dry-run', '--ini', 'nowhere.ini'], { env: { UWSGI_TS_DEBUG: '1' } });
  assert.equal(run.code, 1);
  assert.match(run.stderr, /^\s+at /m);
});

test('starting with no socket is one line naming what to give, exit 1', async () => {
  const run = await runCli(['--master', '--app', 'test/fixtures/apps/hello.mjs']);
  assert.equal(run.code, 1);
  assert.match(ownLines(run.stderr).at(-1) ?? '', /--http-socket.*\[ERR_SOCKET_NONE\]$/);
});

test('--get prints the values of an option and exits; --dump-options lists every option', async () => {
  const { dir, cleanup } = tempFiles({
    'app.ini': '[uwsgi]\nbase = /srv\nchdir = %(base)/app\nenv = A=1\nenv = B=2\n',
  });
  try {
    const got = await runCli(['app.ini', '--get', 'chdir', '--get', 'env'], { cwd: dir });
    assert.equal(got.code, 0, got.stderr);
    assert.equal(got.stdout, '/srv/app\nA=1\nB=2\n');
    const dump = await runCli(['--dump-options']);
    assert.equal(dump.code, 0, dump.stderr);
    assert.equal(dump.stdout.split('\n').filter(Boolean).length, ALL_OPTIONS.length);
  } finally {
    cleanup();
  }
});

test('a config option not served yet is reported, not silently ignored', async () => {
  const run = await runCli(['--dry-run', '--resolve', 'ph=localhost']);
  assert.equal(run.code, 0, run.stderr);
  assert.match(
    ownLines(run.stderr).join('\n'),
    /option "resolve" \(command line --resolve\) is not supported yet/,
  );
});
