// htpasswd hash schemes (src/routing/htpasswd.ts and the crypt modules): known-answer vectors
// made with glibc/libxcrypt crypt(3) through Python and with `openssl passwd -apr1` (the same
// lines are in test/fixtures/routing/htpasswd), plus the DES core against OpenSSL's DES.
import assert from 'node:assert/strict';
import { createCipheriv, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { bcrypt } from '../../../src/routing/bcrypt.js';
import { desCrypt, desEncrypt, desSubkeys } from '../../../src/routing/des-crypt.js';
import { hashScheme, verifyHtpasswd } from '../../../src/routing/htpasswd.js';
import { piWords } from '../../../src/routing/pi-hex.js';

const FIXTURE = new URL('../../fixtures/routing/htpasswd', import.meta.url);
const pw = (s: string) => Buffer.from(s, 'latin1');

describe('htpasswd schemes', () => {
  const lines = new Map(
    readFileSync(FIXTURE, 'utf8')
      .trim()
      .split('\n')
      .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1)] as const),
  );

  it('every scheme of the fixture file accepts "secret" and refuses anything else', () => {
    for (const user of ['des', 'md5', 'apr1', 'sha256', 'sha512', 'bcrypt', 'sha1']) {
      const hash = lines.get(user) as string;
      assert.equal(verifyHtpasswd(hash, 'secret'), true, user);
      assert.equal(verifyHtpasswd(hash, 'secreT'), false, user);
      assert.equal(verifyHtpasswd(hash, ''), false, user);
    }
    assert.deepEqual(
      ['des', 'md5', 'apr1', 'sha256', 'sha512', 'bcrypt', 'sha1', 'plain', 'empty'].map((u) =>
        hashScheme(lines.get(u) as string),
      ),
      ['des', 'md5', 'apr1', 'sha256', 'sha512', 'bcrypt', 'sha1', undefined, undefined],
    );
  });

  it('plain text and empty hashes never match', () => {
    assert.equal(verifyHtpasswd('secret', 'secret'), false);
    assert.equal(verifyHtpasswd('', ''), false);
  });

  it('DES crypt(3): salts, 8-character truncation (Python crypt vectors)', () => {
    assert.equal(desCrypt(pw('secret'), 'ab'), 'abNANd1rDfiNc');
    assert.equal(desCrypt(pw('hello'), 'zZ'), 'zZeglfqvnZbXw');
    assert.equal(desCrypt(pw('longpassword123'), './'), './x0kTlw5iEAs');
    assert.equal(desCrypt(pw('longpass'), './'), './x0kTlw5iEAs');
    assert.equal(desCrypt(pw('x'), '9.'), '9.ID3L4WZ5Gdw');
  });

  it('the DES core matches OpenSSL (3DES with three equal keys is DES)', () => {
    const bits = (b: Buffer) => [...b].flatMap((x) => [7, 6, 5, 4, 3, 2, 1, 0].map((j) => (x >> j) & 1));
    for (let t = 0; t < 8; t++) {
      const key = randomBytes(8);
      const block = randomBytes(8);
      const c = createCipheriv('des-ede3-ecb', Buffer.concat([key, key, key]), null);
      c.setAutoPadding(false);
      const want = bits(c.update(block));
      assert.deepEqual(desEncrypt(bits(block), desSubkeys(bits(key))), want);
    }
  });

  it('bcrypt: Blowfish state from computed pi digits; $2a$/$2b$/$2y$', () => {
    const pi = piWords(1042);
    assert.deepEqual(
      [pi[0], pi[1], pi[17], pi[18], pi[1041]],
      [0x243f6a88, 0x85a308d3, 0x8979fb1b, 0xd1310ba6, 0x3ac372e6],
    );
    assert.equal(
      bcrypt(pw('secret'), '$2b$05$abcdefghijklmnopqrstuu'),
      '$2b$05$abcdefghijklmnopqrstuuOQiyCxlgf/oeuTqixKmWdcYUh4Hjl0a',
    );
    assert.equal(
      bcrypt(pw('secret'), '$2y$05$abcdefghijklmnopqrstuu'),
      '$2y$05$abcdefghijklmnopqrstuuOQiyCxlgf/oeuTqixKmWdcYUh4Hjl0a',
    );
    assert.equal(bcrypt(pw('secret'), '$2b$03$abcdefghijklmnopqrstuu'), undefined);
  });
});
