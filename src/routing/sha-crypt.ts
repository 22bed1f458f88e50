// SHA-256-crypt and SHA-512-crypt (`$5$`, `$6$`, Ulrich Drepper's specification), for htpasswd
// files: optional `rounds=N$` (default 5000, clamped to 1000..999999999), salt up to 16 chars.

import { createHash } from 'node:crypto';
import { crypt64 } from './crypt-base64.js';

// the byte order of the final encoding, three bytes per group (the specification's tables)
const ORDER_256 = [
  [0, 10, 20],
  [21, 1, 11],
  [12, 22, 2],
  [3, 13, 23],
  [24, 4, 14],
  [15, 25, 5],
  [6, 16, 26],
  [27, 7, 17],
  [18, 28, 8],
  [9, 19, 29],
];
const ORDER_512 = [
  [0, 21, 42],
  [22, 43, 1],
  [44, 2, 23],
  [3, 24, 45],
  [25, 46, 4],
  [47, 5, 26],
  [6, 27, 48],
  [28, 49, 7],
  [50, 8, 29],
  [9, 30, 51],
  [31, 52, 10],
  [53, 11, 32],
  [12, 33, 54],
  [34, 55, 13],
  [56, 14, 35],
  [15, 36, 57],
  [37, 58, 16],
  [59, 17, 38],
  [18, 39, 60],
  [40, 61, 19],
  [62, 20, 41],
];

/** Repeats `block` to exactly `length` bytes. */
function stretch(block: Buffer, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i += block.length) block.copy(out, i, 0, Math.min(block.length, length - i));
  return out;
}

/** The full hash of `password` with the algorithm, rounds and salt of `setting`, or undefined. */
export function shaCrypt(password: Uint8Array, setting: string): string | undefined {
  const id = setting.slice(0, 3);
  const algo = id === '$5$' ? 'sha256' : id === '$6$' ? 'sha512' : undefined;
  if (algo === undefined) return undefined;
  const size = algo === 'sha256' ? 32 : 64;
  let rest = setting.slice(3);
  let rounds = 5000;
  let roundsText = '';
  const m = /^rounds=(\d+)\$/.exec(rest);
  if (m) {
    rounds = Math.min(999_999_999, Math.max(1000, Number(m[1])));
    roundsText = `rounds=${rounds}$`;
    rest = rest.slice(m[0].length);
  }
  const end = rest.indexOf('$');
  const saltText = (end < 0 ? rest : rest.slice(0, end)).slice(0, 16);
  const salt = Buffer.from(saltText, 'latin1');
  const pw = Buffer.from(password);
  const H = () => createHash(algo);

  const b = H().update(pw).update(salt).update(pw).digest();
  const a = H().update(pw).update(salt).update(stretch(b, pw.length));
  for (let n = pw.length; n > 0; n >>= 1) a.update(n & 1 ? b : pw);
  const aDigest = a.digest();
  const dp = H();
  for (let i = 0; i < pw.length; i++) dp.update(pw);
  const p = stretch(dp.digest(), pw.length);
  const ds = H();
  for (let i = 0; i < 16 + (aDigest[0] as number); i++) ds.update(salt);
  const s = stretch(ds.digest(), salt.length);
  let c = aDigest;
  for (let i = 0; i < rounds; i++) {
    const h = H();
    h.update(i & 1 ? p : c);
    if (i % 3) h.update(s);
    if (i % 7) h.update(p);
    h.update(i & 1 ? c : p);
    c = h.digest();
  }
  const byte = (i: number) => c[i] as number;
  let text = '';
  for (const [x, y, z] of size === 32 ? ORDER_256 : ORDER_512)
    text += crypt64(byte(x as number), byte(y as number), byte(z as number), 4);
  text += size === 32 ? crypt64(0, byte(31), byte(30), 3) : crypt64(0, 0, byte(63), 2);
  return `${id}${roundsText}${saltText}$${text}`;
}
