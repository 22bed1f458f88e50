// MD5-crypt (`$1$`, Poul-Henning Kamp's FreeBSD scheme) and Apache's `$apr1$` variant (the same
// algorithm with another magic), for htpasswd files.

import { createHash } from 'node:crypto';
import { crypt64 } from './crypt-base64.js';

const md5 = (...parts: Uint8Array[]) => {
  const h = createHash('md5');
  for (const p of parts) h.update(p);
  return h.digest();
};

/** The full hash (`$1$salt$...`) of `password` with the magic and salt of `setting`. */
export function md5Crypt(password: Uint8Array, setting: string): string {
  const magic = setting.startsWith('$apr1$') ? '$apr1$' : '$1$';
  const rest = setting.slice(magic.length);
  const end = rest.indexOf('$');
  const saltText = (end < 0 ? rest : rest.slice(0, end)).slice(0, 8);
  const salt = Buffer.from(saltText, 'latin1');
  const pw = Buffer.from(password);
  const alt = md5(pw, salt, pw);
  const ctx = createHash('md5').update(pw).update(magic).update(salt);
  for (let left = pw.length; left > 0; left -= 16) ctx.update(alt.subarray(0, Math.min(16, left)));
  for (let i = pw.length; i > 0; i >>= 1) ctx.update(i & 1 ? Buffer.from([0]) : pw.subarray(0, 1));
  let final = ctx.digest();
  for (let i = 0; i < 1000; i++) {
    const h = createHash('md5');
    h.update(i & 1 ? pw : final);
    if (i % 3) h.update(salt);
    if (i % 7) h.update(pw);
    h.update(i & 1 ? final : pw);
    final = h.digest();
  }
  const f = (i: number) => final[i] as number;
  const text =
    crypt64(f(0), f(6), f(12), 4) +
    crypt64(f(1), f(7), f(13), 4) +
    crypt64(f(2), f(8), f(14), 4) +
    crypt64(f(3), f(9), f(15), 4) +
    crypt64(f(4), f(10), f(5), 4) +
    crypt64(0, 0, f(11), 2);
  return `${magic}${saltText}$${text}`;
}
