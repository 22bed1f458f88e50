// Password hashes of htpasswd files for the basicauth action. uWSGI 2.0.21 (Debian) accepts only
// the traditional DES crypt(3) and `{SHA}` (observed: test/fixtures/routing/recorded/
// basicauth-htpasswd*.json); issue 5 asks for the schemes in common use, so uwsgi-ts also accepts
// MD5-crypt (`$1$`), Apache's apr1 (`$apr1$`), SHA-256/512-crypt (`$5$`, `$6$`) and bcrypt
// (`$2a$`, `$2b$`, `$2y$`). Plain-text and unknown hashes never match. Comparisons are
// constant-time. bcrypt at cost 10 takes ~0.2 s of a worker's CPU, so successful checks are
// remembered (a bounded map keyed by the hash and a SHA-256 of the password): a known user pays
// once, a wrong guess pays every time, as it should.

import { createHash, timingSafeEqual } from 'node:crypto';
import { bcrypt } from './bcrypt.js';
import { desCrypt } from './des-crypt.js';
import { md5Crypt } from './md5-crypt.js';
import { shaCrypt } from './sha-crypt.js';

function same(a: string, b: string): boolean {
  const x = Buffer.from(a, 'latin1');
  const y = Buffer.from(b, 'latin1');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The scheme of an htpasswd hash, or undefined when uwsgi-ts does not know it. */
export function hashScheme(
  hash: string,
): 'sha1' | 'md5' | 'apr1' | 'sha256' | 'sha512' | 'bcrypt' | 'des' | undefined {
  if (hash.startsWith('{SHA}')) return 'sha1';
  if (hash.startsWith('$1$')) return 'md5';
  if (hash.startsWith('$apr1$')) return 'apr1';
  if (hash.startsWith('$5$')) return 'sha256';
  if (hash.startsWith('$6$')) return 'sha512';
  if (/^\$2[aby]\$\d\d\$/.test(hash)) return 'bcrypt';
  if (/^[./0-9A-Za-z]{13}$/.test(hash)) return 'des';
  return undefined;
}

const verified = new Set<string>();
const VERIFIED_LIMIT = 256;

/** `password` matches the htpasswd `hash`. */
export function verifyHtpasswd(hash: string, password: string): boolean {
  const pw = Buffer.from(password, 'latin1');
  const memo = `${hash}\0${createHash('sha256').update(pw).digest('base64')}`;
  if (verified.has(memo)) return true;
  const ok = check(hash, pw);
  if (ok) {
    if (verified.size >= VERIFIED_LIMIT) verified.clear();
    verified.add(memo);
  }
  return ok;
}

function check(hash: string, pw: Buffer): boolean {
  switch (hashScheme(hash)) {
    case 'sha1':
      return same(hash.slice(5), createHash('sha1').update(pw).digest('base64'));
    case 'md5':
    case 'apr1':
      return same(hash, md5Crypt(pw, hash));
    case 'sha256':
    case 'sha512':
      return same(hash, shaCrypt(pw, hash) ?? '');
    case 'bcrypt':
      return same(hash, bcrypt(pw, hash) ?? '');
    case 'des':
      return same(hash, desCrypt(pw, hash));
    default:
      return false;
  }
}
