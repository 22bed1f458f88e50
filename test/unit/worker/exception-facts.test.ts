// What reload-on-exception-type/-value/-repr compare for each kind of thing a JS app can throw.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { exceptionFacts } from '../../../src/worker/exception-facts.js';

class QuotaError extends Error {}
class Named extends Error {
  override name = 'NamedError';
}

test('type, value and repr of errors and of thrown non-errors', () => {
  const cases: Array<[unknown, string, string, string]> = [
    [new TypeError('bad type'), 'TypeError', 'bad type', 'TypeError: bad type'],
    // the class name, not `name` (still "Error" on a subclass that does not set it)
    [new QuotaError('over quota'), 'QuotaError', 'over quota', 'QuotaError: over quota'],
    [new Named('x'), 'Named', 'x', 'Named: x'],
    [new Error(''), 'Error', '', 'Error: '],
    ['a plain string', 'String', 'a plain string', 'String: a plain string'],
    [42, 'Number', '42', 'Number: 42'],
    [undefined, 'undefined', 'undefined', 'undefined: undefined'],
    [null, 'null', 'null', 'null: null'],
    [{ message: 'duck' }, 'Object', 'duck', 'Object: duck'],
  ];
  for (const [thrown, type, value, repr] of cases) {
    assert.deepEqual(exceptionFacts(thrown), { type, value, repr }, String(thrown));
  }
});

test('odd objects: no constructor, a throwing getter, an anonymous class', () => {
  const bare = Object.create(null) as object;
  assert.deepEqual(exceptionFacts(bare), {
    type: 'Object',
    value: '[object Object]',
    repr: 'Object: [object Object]',
  });
  const nasty = {
    get message(): string {
      throw new Error('no');
    },
    name: 'Nasty',
  };
  const facts = exceptionFacts(nasty);
  assert.equal(facts.value, '[object Object]');
  const Anonymous = (() => class extends Error {})();
  const err = new Anonymous('m');
  // an anonymous class: the constructor's inferred name, else `name`
  assert.equal(exceptionFacts(err).value, 'm');
  assert.ok(['Anonymous', 'Error'].includes(exceptionFacts(err).type));
});
