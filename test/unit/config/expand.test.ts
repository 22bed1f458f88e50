import assert from 'node:assert/strict';
import { test } from 'node:test';
import { evaluatePlaceholder, expandPass, strtoll } from '../../../src/config/expand.js';

const table: Record<string, string> = { c: '1', n1: '10', n2: '32', myvar: 'hello', b: '%(c)' };
const lookup = (name: string) => table[name];
const ph = (value: string) => expandPass(value, '%', (content) => evaluatePlaceholder(content, lookup));

// Every expectation below was observed on uWSGI 2.0.21 (test/fixtures/config has the recordings).
test('placeholders resolve left to right, innermost first, without re-scanning', () => {
  assert.equal(ph('pre%(c)post%(c)'), 'pre1post1');
  assert.equal(ph('%(c %(c))'), '%(c 1)');
  assert.equal(ph('%(b)'), '%(c)');
  assert.equal(ph('%(nope) %(c)'), '%(nope) 1');
  assert.equal(ph('%(c'), '%(c');
});

test('the math pipeline concatenates values and applies operators left to right', () => {
  assert.equal(ph('%(n1 + n2)'), '42');
  assert.equal(ph('%(2 * 3 + 1)'), '7');
  assert.equal(ph('%(c ++)'), '2');
  assert.equal(ph('%(c --)'), '0');
  assert.equal(ph('%(7 / 0)'), '0');
  assert.equal(ph('%(c c c)'), '111');
  assert.equal(ph('%(10 - 20)'), '-10');
  assert.equal(ph('%(-5 + 2)'), '2');
  assert.equal(ph('%(myvar 5 + 3)'), '3');
});

test('$() leaves unset variables verbatim', () => {
  const env: Record<string, string> = { HOME: '/root' };
  assert.equal(
    expandPass('$(HOME) $(NOPE) $(HOME', '$', (n) => env[n]),
    '/root $(NOPE) $(HOME',
  );
});

test('strtoll reads like C', () => {
  assert.equal(strtoll('12abc'), 12n);
  assert.equal(strtoll('  -7'), -7n);
  assert.equal(strtoll('x1'), 0n);
  assert.equal(strtoll(''), 0n);
});
