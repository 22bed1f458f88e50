// Paths that try to climb out of a root are named before any file is touched; ordinary names,
// including odd but legal ones, pass.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hostilePath } from '../../../src/static/hostile-path.js';

test('ordinary paths pass', () => {
  for (const p of [
    '/',
    '/a.txt',
    '/sub/index.html',
    '/100%.txt',
    '/sp ace.txt',
    '/a..b',
    '/...',
    '/.hidden',
    '/./a',
    '/é.txt',
    '/日本.txt',
    '',
  ]) {
    assert.equal(hostilePath(p), undefined, p);
  }
});

test('each kind of attack is named', () => {
  const cases: [string, string][] = [
    ['/../etc/passwd', 'dotdot'],
    ['/a/../../x', 'dotdot'],
    ['/a/..', 'dotdot'],
    ['..', 'dotdot'],
    ['/a\\..\\b', 'backslash'],
    ['/a.txt\0.css', 'nul'],
    ['/a\nb', 'control'],
    ['/\x1b[31m', 'control'],
    ['/%2e%2e/x', 'double-encoded'],
    ['/%2E%2E%2Fx', 'double-encoded'],
    ['/a%2fb', 'double-encoded'],
    ['/a%5cb', 'double-encoded'],
    ['/a%00b', 'double-encoded'],
    ['/a%252e', 'double-encoded'],
    ['/\u00c0\u00ae\u00c0\u00ae/x', 'overlong'],
    ['/\u00c0\u00af', 'overlong'],
    ['/\u00e0\u0080\u00ae', 'overlong'],
  ];
  for (const [p, why] of cases) assert.equal(hostilePath(p), why, JSON.stringify(p));
});
