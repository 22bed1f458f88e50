// The --show-config corpus: for every case of test/fixtures/config/cases.json recorded from the real
// uWSGI 2.0.21 (scripts/record-uwsgi-config.mjs), our block must be byte-identical (after masking).
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  copyCorpus,
  extractBlock,
  loadCases,
  lockCorpus,
  maskBlock,
  runCase,
} from '../helpers/show-config.js';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const FIXTURES = join(REPO, 'test', 'fixtures', 'config');
const EXPECTED = join(FIXTURES, 'expected');
const CLI = join(REPO, 'bin', 'uwsgi-ts.js');
const CASE_TIMEOUT_MS = 10_000;

const cases = loadCases(join(FIXTURES, 'cases.json'));

// the corpus lives at a fixed path shared with the recorder (and other checkouts): hold it for the run
let release: (() => void) | undefined;
before(() => {
  release = lockCorpus();
  copyCorpus(FIXTURES);
});
after(() => {
  release?.();
});

test('the corpus has at least 40 recorded blocks', () => {
  const recorded = cases.filter((c) => existsSync(join(EXPECTED, `${c.name}.txt`)));
  assert.ok(recorded.length >= 40, `only ${recorded.length} cases have an expected block`);
});

const run = (c: (typeof cases)[number]) =>
  runCase(
    process.execPath,
    [CLI, '--show-config', '--dry-run', ...c.args],
    c,
    CASE_TIMEOUT_MS - 1000,
    undefined,
    false,
  );

/** A refusal is one line naming its code, exit 1, no stack trace. */
function assertRefused(result: { code: number | null; stderr: string }, code: string): void {
  assert.equal(result.code, 1, result.stderr);
  const lines = result.stderr.split('\n').filter((l) => l.startsWith('uwsgi-ts: '));
  assert.equal(lines.length, 1, result.stderr);
  assert.ok(lines[0]?.endsWith(`[${code}]`), `expected ${code}, got: ${result.stderr}`);
  assert.doesNotMatch(result.stderr, /^\s+at /m, 'no stack trace without UWSGI_TS_DEBUG');
}

for (const c of cases) {
  const expectedFile = join(EXPECTED, `${c.name}.txt`);
  const errorFile = join(EXPECTED, `${c.name}.error`);
  if (c.differs) {
    const differs = c.differs;
    test(`show-config ${c.name} (deliberate difference: ${differs.why})`, {
      timeout: CASE_TIMEOUT_MS,
    }, async () => {
      assert.ok(
        existsSync(expectedFile) || existsSync(errorFile),
        'the difference is against a uWSGI recording',
      );
      const result = await run(c);
      if (differs.error) return assertRefused(result, differs.error);
      const block = extractBlock(result.stderr);
      assert.ok(block !== undefined, result.stderr);
      assert.equal(maskBlock(block, c.mask), readFileSync(join(EXPECTED, `${c.name}.ours.txt`), 'latin1'));
      assert.notEqual(
        block,
        readFileSync(expectedFile, 'latin1'),
        'a recorded difference that is no longer one',
      );
    });
    continue;
  }
  if (existsSync(errorFile)) {
    test(`show-config ${c.name} is refused, as uWSGI refuses it`, { timeout: CASE_TIMEOUT_MS }, async () => {
      assert.ok(c.error, `case ${c.name} needs the error code uwsgi-ts refuses it with`);
      assertRefused(await run(c), c.error);
    });
    continue;
  }
  if (!existsSync(expectedFile)) continue;
  test(`show-config ${c.name}`, { timeout: CASE_TIMEOUT_MS }, async () => {
    const expected = readFileSync(expectedFile, 'latin1');
    const result = await run(c);
    const block = extractBlock(result.stderr);
    assert.ok(block !== undefined, `no show-config block on stderr (exit ${result.code}):\n${result.stderr}`);
    assert.equal(maskBlock(block, c.mask), expected);
    const stdoutFile = join(EXPECTED, `${c.name}.stdout`);
    if (existsSync(stdoutFile)) assert.equal(result.stdout, readFileSync(stdoutFile, 'latin1'));
  });
}
