// Expires: families in 2.0.21's order (filename, PATH_INFO, REQUEST_URI, then the type), plain
// rules before -mtime ones, now + N or mtime + N, one header.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ExpiresRules, httpDate } from '../../../src/static/expires.js';

const facts = {
  filename: '/www/hello.txt',
  pathInfo: '/hello.txt',
  uri: '/hello.txt?v=1',
  type: 'text/plain',
  mtimeS: 1622548800,
  nowS: 1800000000,
};

test('httpDate is the IMF-fixdate of an epoch second', () => {
  assert.equal(httpDate(1622548800), 'Tue, 01 Jun 2021 12:00:00 GMT');
});

test('no rule: empty, no answer', () => {
  const rules = new ExpiresRules([], []);
  assert.equal(rules.empty, true);
  assert.equal(rules.answer(facts), undefined);
});

test('the first family that matches wins; its plain rules before its -mtime rules', () => {
  const rules = new ExpiresRules(
    [
      { subject: 'filename', regexp: 'nomatch', seconds: 1, fromMtime: false },
      { subject: 'filename', regexp: 'hello', seconds: 700, fromMtime: true },
      { subject: 'path-info', regexp: 'hello', seconds: 300, fromMtime: false },
      { subject: 'uri', regexp: 'v=1', seconds: 1000, fromMtime: false },
    ],
    [{ type: 'text/plain', seconds: 60, fromMtime: false }],
  );
  assert.deepEqual(rules.answer(facts), { value: httpDate(facts.mtimeS + 700), afterType: false });
  assert.deepEqual(rules.answer({ ...facts, filename: '/www/other' }), {
    value: httpDate(facts.nowS + 300),
    afterType: false,
  });
  assert.deepEqual(rules.answer({ ...facts, filename: '/x', pathInfo: '/x' }), {
    value: httpDate(facts.nowS + 1000),
    afterType: false,
  });
  assert.deepEqual(rules.answer({ ...facts, filename: '/x', pathInfo: '/x', uri: '/x' }), {
    value: httpDate(facts.nowS + 60),
    afterType: true,
  });
});

test('type rules: the first rule of a type wins, -mtime counts from the mtime', () => {
  const rules = new ExpiresRules(
    [],
    [
      { type: 'text/css', seconds: 3600, fromMtime: false },
      { type: 'text/css', seconds: 7200, fromMtime: false },
      { type: 'text/plain', seconds: 60, fromMtime: true },
    ],
  );
  assert.deepEqual(rules.answer({ ...facts, type: 'text/css' }), {
    value: httpDate(facts.nowS + 3600),
    afterType: true,
  });
  assert.deepEqual(rules.answer(facts), { value: httpDate(facts.mtimeS + 60), afterType: true });
  assert.equal(rules.answer({ ...facts, type: undefined }), undefined);
});
