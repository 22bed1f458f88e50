import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readIniSection } from '../../../src/config/sources/ini.js';

test('ini: sections, comments only at line start, bare flags, repeated keys, CRLF', () => {
  const text =
    '; top\r\n[uwsgi]\r\n  # comment\r\nsocket = :3031 ; not a comment\r\nmaster\r\nenv=A=1\r\nenv = B=2\r\n\r\n[other]\r\nx = 1';
  const read = readIniSection(text, 'uwsgi');
  assert.equal(read.found, true);
  assert.deepEqual(
    read.lines.map((l) => [l.key, l.value, l.line]),
    [
      ['socket', ':3031 ; not a comment', 4],
      ['master', '', 5],
      ['env', 'A=1', 6],
      ['env', 'B=2', 7],
    ],
  );
  assert.deepEqual(readIniSection(text, 'other').lines, [{ key: 'x', value: '1', line: 10 }]);
  assert.equal(readIniSection(text, 'missing').found, false);
});

test('ini: a section header loses its first and last character whatever they are', () => {
  assert.equal(readIniSection('[uwsgi ]\na=1\n', 'uwsgi ').found, true);
  assert.deepEqual(
    readIniSection('[uwsgi]\n  key   =   value with spaces   \nempty =\n', 'uwsgi').lines.map((l) => l.value),
    ['value with spaces', ''],
  );
});
