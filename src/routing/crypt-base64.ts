// The `./0-9A-Za-z` base-64 of crypt(3) hashes: little-endian 6-bit groups of 24-bit words.

export const CRYPT_ALPHABET = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** `n` characters of the 24-bit word `b2 b1 b0`, least significant 6 bits first. */
export function crypt64(b2: number, b1: number, b0: number, n: number): string {
  let w = (b2 << 16) | (b1 << 8) | b0;
  let out = '';
  for (let i = 0; i < n; i++) {
    out += CRYPT_ALPHABET[w & 0x3f];
    w >>>= 6;
  }
  return out;
}
