import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readJsonSection } from '../../../src/config/sources/json.js';
import { isUwsgiError } from '../../../src/errors.js';

test('json: literals as uWSGI 2.0.21 prints them, duplicates kept, containers in arrays skipped', () => {
  const text =
    '{"uwsgi": {"master": true, "vacuum": false, "n": null, "p": 4, "f": 1.5, "e": 1e3,\n "dup": "a", "dup": "b", "env": ["A=1", 2, ["x"], {"k": "v"}], "obj": {"k": "v"}}}';
  const read = readJsonSection(text, 'uwsgi', 'x.json');
  assert.deepEqual(
    read.lines.map((l) => [l.key, l.value]),
    [
      ['master', '1'],
      ['vacuum', '0'],
      ['n', '0'],
      ['p', '4'],
      ['f', '1.5'],
      ['e', '1e3'],
      ['dup', 'a'],
      ['dup', 'b'],
      ['env', 'A=1'],
      ['env', '2'],
    ],
  );
  assert.equal(read.lines[6]?.line, 2);
  assert.equal(readJsonSection(text, 'nope', 'x.json').found, false);
});

test('json: a syntax error is ERR_CONFIG_PARSE naming the file and line', () => {
  assert.throws(
    () => readJsonSection('{"uwsgi": {\n"a": }', 'uwsgi', 'bad.json'),
    (err) =>
      isUwsgiError(err) &&
      err.code === 'ERR_CONFIG_PARSE' &&
      err.message.includes('bad.json') &&
      err.message.includes('line 2'),
  );
});
