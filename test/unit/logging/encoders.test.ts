// Log encoders (uWSGI core/logging.c): prefix, suffix, nl, format, json, gzip and compress, bound
// to a logger or not.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${...} is uWSGI's encoder template syntax
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import zlib from 'node:zlib';
import { isUwsgiError } from '../../../src/errors.js';
import { encodeFor, escapeJson, parseEncoder, parseTemplate } from '../../../src/logging/encoders.js';
import { LOGGING_FIXTURES } from '../../helpers/logging.js';

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
    const out = String(e.encode('line\n'));
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
    const parsed = JSON.parse(String(e.encode(msg))) as { msg: string; nl: string; t: string };
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
      () => parseEncoder('msgpack', 'app.ini:3'),
      (err) =>
        isUwsgiError(err) &&
        err.code === 'ERR_CONFIG_BAD_VALUE' &&
        /"msgpack" not found \(app\.ini:3\)/.test(err.message),
    );
  });
});

/** uWSGI 2.0.21's gzip and compress encoders, recorded by scripts/record-uwsgi-loggers.mjs. */
const RECORDED = JSON.parse(readFileSync(join(LOGGING_FIXTURES, 'uwsgi-2.0.21-loggers.json'), 'utf8')) as {
  gzip: { hex: string };
  compress: { hex: string };
};

/** Splits concatenated gzip members / zlib streams (one per message) into [bytes, message]. */
function members(hex: string, kind: 'gzip' | 'compress'): Array<[Buffer, Buffer]> {
  const all = Buffer.from(hex, 'hex');
  const out: Array<[Buffer, Buffer]> = [];
  let at = 0;
  while (at < all.length) {
    const rest = all.subarray(at);
    // the engine reports how many input bytes one stream used; gzip adds a 10-byte header and an
    // 8-byte trailer around raw deflate data
    const r =
      kind === 'gzip'
        ? zlib.inflateRawSync(rest.subarray(10), { info: true })
        : zlib.inflateSync(rest, { info: true });
    const info = r as unknown as { buffer: Buffer; engine: { bytesWritten: number } };
    const used = kind === 'gzip' ? 10 + info.engine.bytesWritten + 8 : info.engine.bytesWritten;
    out.push([rest.subarray(0, used), info.buffer]);
    at += used;
  }
  return out;
}

describe('gzip and compress encoders (binary, one stream per message)', () => {
  const gzipped = members(RECORDED.gzip.hex, 'gzip');
  const compressed = members(RECORDED.compress.hex, 'compress');

  it('the recording holds the three request lines, each compressed on its own', () => {
    assert.equal(gzipped.length, 3);
    assert.equal(compressed.length, 3);
    assert.equal(gzipped[0]?.[1].toString(), 'REQ GET / 200\n');
    assert.deepEqual(
      compressed.map(([, m]) => m.toString()),
      gzipped.map(([, m]) => m.toString()),
    );
  });

  it("gzip: uWSGI's framing (header, sync flush, empty final block, crc/size) and the same text", () => {
    const encoder = parseEncoder('gzip', 'x');
    for (const [theirs, message] of gzipped) {
      const ours = encoder.encode(message.toString());
      assert.ok(Buffer.isBuffer(ours));
      assert.deepEqual(zlib.gunzipSync(ours), message);
      // mtime 0, no extra flags, OS 3 (unix)
      assert.equal(ours.subarray(0, 10).toString('hex'), theirs.subarray(0, 10).toString('hex'));
      // 00 00 ff ff (sync flush), 03 00 (empty final block), crc32, size
      assert.equal(ours.subarray(-14).toString('hex'), theirs.subarray(-14).toString('hex'));
    }
  });

  it('gzip: each message is a complete member, so a file of them gunzips as a whole', () => {
    const encoder = parseEncoder('gzip', 'x');
    const file = Buffer.concat(['one\n', 'two é\n'].map((m) => encoder.encode(m) as Buffer));
    assert.equal(zlib.gunzipSync(file).toString(), 'one\ntwo é\n');
  });

  it("compress: a zlib stream per message (zlib's compress(), default level), as uWSGI writes", () => {
    const encoder = parseEncoder('compress', 'x');
    for (const [theirs, message] of compressed) {
      const ours = encoder.encode(message);
      assert.ok(Buffer.isBuffer(ours));
      assert.deepEqual(zlib.inflateSync(ours), message);
      // 78 9c header, adler32 of the message at the end
      assert.equal(ours.subarray(0, 2).toString('hex'), '789c');
      assert.equal(ours.subarray(-4).toString('hex'), theirs.subarray(-4).toString('hex'));
    }
  });

  it('text encoders after a binary one work on bytes: prefix, suffix, nl', () => {
    const chain = ['gzip', 'prefix >', 'suffix <', 'nl'].map((s) => parseEncoder(s, 'x'));
    const out = encodeFor(chain, undefined, 'hi\n');
    assert.ok(Buffer.isBuffer(out));
    assert.equal(out.subarray(0, 1).toString(), '>');
    assert.equal(out.subarray(-2).toString(), '<\n');
    assert.equal(zlib.gunzipSync(out.subarray(1, -2)).toString(), 'hi\n');
  });
});
