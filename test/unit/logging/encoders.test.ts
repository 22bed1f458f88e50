// Log encoders (uWSGI core/logging.c): prefix, suffix, nl, format and json, bound to a logger or not.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${...} is uWSGI's encoder template syntax
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isUwsgiError } from '../../../src/errors.js';
import { encodeFor, escapeJson, parseEncoder, parseTemplate } from '../../../src/logging/encoders.js';

describe('log encoders', () => {
  it('prefix, suffix and nl', () => {
    assert.equal(parseEncoder('prefix [app] ', 'x').encode('hi\n'), '[app] hi\n');
    assert.equal(parseEncoder('suffix  <<', 'x').encode('hi\n'), 'hi\n <<');
    assert.equal(parseEncoder('nl', 'x').encode('hi'), 'hi\n');
  });

  it('format fills ${msg} (no newline), ${msgnl}, ${unix}, ${millis}, ${micros}, ${strftime:...}', () => {
    const e = parseEncoder(
      'format [${strftime:%Y}] ${msg}|${msgnl}|${unix}|${millis}|${micros}|${nope}|',
      'x',
    );
    const out = e.encode('line\n');
    const m = out.match(/^\[(\d{4})\] line\|line\n\|(\d+)\|(\d+)\|(\d+)\|\|$/);
    assert.ok(m, out);
    assert.equal(Number(m[1]), new Date().getFullYear());
    assert.ok(Math.abs(Number(m[2]) - Date.now() / 1000) < 5);
    assert.ok(Math.abs(Number(m[3]) - Date.now()) < 5000);
    assert.ok(Math.abs(Number(m[4]) / 1000 - Date.now()) < 5000);
  });

  it('json escapes the message and strftime, and produces valid JSON', () => {
    const e = parseEncoder('json {"msg":"${msg}","nl":"${msgnl}","t":"${strftime:"%Y"}"}', 'x');
    const msg = 'a "quoted" back\\slash\ttab\r\u0001\u001f \u00e9\n';
    const parsed = JSON.parse(e.encode(msg)) as { msg: string; nl: string; t: string };
    assert.equal(parsed.msg, msg.slice(0, -1));
    assert.equal(parsed.nl, msg);
    assert.match(parsed.t, /^"\d{4}"$/);
  });

  it('json escaping is uWSGI\'s for \\t \\n \\r " \\\\, and \\u00XX for other control characters', () => {
    assert.equal(escapeJson('a"b\\c\td\ne\rf'), 'a\\"b\\\\c\\td\\ne\\rf');
    assert.equal(escapeJson('\u0001\u007f'), '\\u0001\u007f');
    assert.equal(escapeJson('plain'), 'plain');
  });

  it('templates: text, ${vars}, a lone $ and an unclosed ${ stay text', () => {
    assert.deepEqual(parseTemplate('a ${x} $b ${c'), [
      { text: 'a ' },
      { variable: 'x' },
      { text: ' $b ${c' },
    ]);
  });

  it('NAME:LOGGER binds an encoder to one logger (uwsgi_log_func_do)', () => {
    const chain = [parseEncoder('prefix:big B ', 'x'), parseEncoder('prefix A ', 'x')];
    assert.equal(chain[0]?.useFor, 'big');
    assert.equal(encodeFor(chain, 'big', 'm'), 'A B m');
    assert.equal(encodeFor(chain, 'other', 'm'), 'A m');
    assert.equal(encodeFor(chain, undefined, 'm'), 'A m');
  });

  it('an unknown encoder is an error naming it', () => {
    assert.throws(
      () => parseEncoder('gzip', 'app.ini:3'),
      (err) =>
        isUwsgiError(err) &&
        err.code === 'ERR_CONFIG_BAD_VALUE' &&
        /"gzip" not found \(app\.ini:3\)/.test(err.message),
    );
  });
});
