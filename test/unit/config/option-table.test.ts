// The option table's integrity: one row per name, uWSGI's argument forms and short flags (as
// recorded from uWSGI 2.0.21 in test/fixtures/uwsgi-options.json), parseable defaults, and a
// handler for every config-handling option.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { CONFIGURE_HANDLERS, IMMEDIATE_HANDLERS } from '../../../src/config/immediate.js';
import { LOGIC_OPENERS } from '../../../src/config/logic.js';
import { ALL_OPTIONS, findOption } from '../../../src/config/option-registry.js';
import { VALUE_PARSERS } from '../../../src/config/value-kinds.js';

const recorded = JSON.parse(
  readFileSync(new URL('../../fixtures/uwsgi-options.json', import.meta.url), 'utf8'),
) as Record<string, { arg: string; short?: string }>;

test('every name, alias and short flag is used once', () => {
  const seen = new Set<string>();
  const shorts = new Set<string>();
  for (const spec of ALL_OPTIONS) {
    for (const name of [spec.name, ...(spec.aliases ?? [])]) {
      assert.ok(!seen.has(name), `duplicate option name ${name}`);
      seen.add(name);
    }
    if (spec.short) {
      assert.ok(!shorts.has(spec.short), `duplicate short flag -${spec.short}`);
      shorts.add(spec.short);
    }
  }
});

/**
 * Options that take more than uWSGI 2.0.21 lets them: a config of 2.0.21 still reads the same.
 * need-app: uWSGI 2.1 writes `--need-app=0` (unbit/uwsgi's t/runner), which 2.0.21 refuses.
 */
const WIDER: Readonly<Record<string, string>> = { 'need-app': 'optional' };

test('every option of uWSGI 2.0.21 (core and plugins) is known, with its argument form', () => {
  const names = Object.keys(recorded);
  assert.ok(names.length > 1000, `only ${names.length} recorded options`);
  for (const name of names) {
    const spec = findOption(name);
    assert.ok(spec, `uWSGI option ${name} is missing from the table`);
    assert.equal(spec.arg, WIDER[name] ?? recorded[name]?.arg, `argument form of ${name}`);
  }
  assert.equal(recorded['need-app']?.arg, 'none', 'the recorded form the exception widens');
});

test('short flags are uWSGI’s', () => {
  for (const [name, facts] of Object.entries(recorded)) {
    // uWSGI's --help shows -s on uwsgi-socket too, but getopt gives -s to socket only
    if (!facts.short || name === 'uwsgi-socket') continue;
    const spec = findOption(name);
    if (spec?.name === name) assert.equal(spec.short, facts.short, `short flag of ${name}`);
  }
  assert.equal(findOption('socket')?.short, 's');
  assert.equal(findOption('processes')?.short, 'p');
  assert.equal(findOption('master')?.short, 'M');
});

test('every default parses with its option’s kind; every help line is short and present', () => {
  for (const spec of ALL_OPTIONS) {
    assert.ok(spec.help.length > 0 && spec.help.length <= 80, `help of ${spec.name}`);
    if (spec.default === undefined || spec.kind === 'octal') continue;
    assert.doesNotThrow(
      () => VALUE_PARSERS[spec.kind](spec.default ?? '', spec, 'table'),
      `default of ${spec.name}`,
    );
  }
});

test('config-handling options have handlers and are immediate where uWSGI runs them at once', () => {
  for (const name of Object.keys(LOGIC_OPENERS)) assert.equal(findOption(name)?.immediate, true, name);
  for (const name of Object.keys(IMMEDIATE_HANDLERS)) assert.equal(findOption(name)?.immediate, true, name);
  for (const name of Object.keys(CONFIGURE_HANDLERS)) {
    assert.ok(findOption(name), name);
    assert.notEqual(findOption(name)?.immediate, true, name);
  }
});
