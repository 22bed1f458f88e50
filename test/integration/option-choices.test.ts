// Issue 11 acceptance: "every enumerated option given a bad value is refused with its origin (a
// table-driven test over the option table)". Every row that declares choices or bounds gets a bad
// value from the command line (under --dry-run) and from an ini file (a real start): exit 1, one
// line ending in the error code, naming the option and where the value came from.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { OptionSpec } from '../../src/config/option.js';
import { ALL_OPTIONS } from '../../src/config/option-registry.js';
import { capabilityOf } from '../../src/config/served-check.js';
import { ownLines, runCli, tempFiles } from '../helpers/cli.js';

interface BadValue {
  readonly value: string;
  readonly code: 'ERR_CONFIG_BAD_CHOICE' | 'ERR_CONFIG_OUT_OF_RANGE';
}

/** One bad value per declared constraint of a row. */
function badValues(spec: OptionSpec): BadValue[] {
  const out: BadValue[] = [];
  if (spec.choices) {
    out.push({
      value: spec.choiceOf === 'head' ? 'nosuchchoice x' : 'nosuchchoice',
      code: 'ERR_CONFIG_BAD_CHOICE',
    });
  }
  // min - 1 stays >= 0: the integer parser refuses negatives with its own code
  if (spec.min !== undefined && spec.min > 0)
    out.push({ value: String(spec.min - 1), code: 'ERR_CONFIG_OUT_OF_RANGE' });
  if (spec.max !== undefined) out.push({ value: String(spec.max + 1), code: 'ERR_CONFIG_OUT_OF_RANGE' });
  return out;
}

// options of a capability not served yet are refused before their value is looked at
// (not-served-yet.test.ts covers them)
const ROWS = ALL_OPTIONS.filter((spec) => badValues(spec).length > 0 && capabilityOf(spec) === undefined);

function assertRefused(
  run: { code: number | null; stderr: string },
  code: string,
  name: string,
  where: RegExp,
) {
  assert.equal(run.code, 1, run.stderr);
  const lines = ownLines(run.stderr);
  assert.equal(lines.length, 1, run.stderr);
  const line = lines[0] ?? '';
  assert.ok(line.endsWith(`[${code}]`), line);
  assert.ok(line.includes(`option "${name}"`), line);
  assert.match(line, where);
}

describe('every option with choices or bounds refuses a bad value, naming its origin', {
  concurrency: 2,
}, () => {
  let tmp: { dir: string; cleanup: () => void } | undefined;
  before(() => {
    tmp = tempFiles({});
  });
  after(() => tmp?.cleanup());

  it('covers the enumerations and bounds the issue names', () => {
    const names = ROWS.map((s) => s.name);
    for (const name of [
      'app-style',
      'cheaper-algo',
      'protocol',
      'log-encoder',
      'log-req-encoder',
      'processes',
    ])
      assert.ok(names.includes(name), name);
  });

  for (const spec of ROWS) {
    for (const bad of badValues(spec)) {
      it(`--${spec.name} ${bad.value}`, { timeout: 20_000 }, async () => {
        // an optional argument goes after `=` (getopt's rule: a bare next word is a config file)
        const argv =
          spec.arg === 'optional' ? [`--${spec.name}=${bad.value}`] : [`--${spec.name}`, bad.value];
        const run = await runCli(['--dry-run', ...argv]);
        assertRefused(run, bad.code, spec.name, new RegExp(`\\(command line --${spec.name}\\)`));
      });
      it(`${spec.name} = ${bad.value} in an ini file`, { timeout: 20_000 }, async () => {
        assert.ok(tmp);
        const file = `${spec.name}-${bad.code}.ini`;
        writeFileSync(
          join(tmp.dir, file),
          `[uwsgi]\nhttp-socket = 127.0.0.1:0\n${spec.name} = ${bad.value}\n`,
        );
        const run = await runCli([file], { cwd: tmp.dir });
        assertRefused(run, bad.code, spec.name, new RegExp(`\\(${file.replace(/\./g, '\\.')}:3\\)`));
        assert.doesNotMatch(run.stderr, /spawned uWSGI worker/);
      });
    }
  }
});
