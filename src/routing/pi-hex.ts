// Hex digits of pi's fractional part, computed (Machin's formula on BigInt) instead of pasted:
// Blowfish's initial P-array and S-boxes are the first 1042 32-bit words of them.

function atanInverse(x: bigint, one: bigint): bigint {
  const x2 = x * x;
  let term = one / x;
  let sum = term;
  for (let k = 1n; term !== 0n; k++) {
    term /= x2;
    const t = term / (2n * k + 1n);
    sum = k % 2n === 1n ? sum - t : sum + t;
  }
  return sum;
}

/** The first `words` 32-bit words of pi's fractional part (0x243f6a88, 0x85a308d3, ...). */
export function piWords(words: number): Uint32Array {
  const bits = BigInt(words * 32 + 64);
  const one = 1n << bits;
  const pi = 16n * atanInverse(5n, one) - 4n * atanInverse(239n, one);
  // drop the integer part (3) and the guard bits
  const fraction = (pi - 3n * one) >> 64n;
  const out = new Uint32Array(words);
  for (let i = 0; i < words; i++) out[i] = Number((fraction >> BigInt((words - 1 - i) * 32)) & 0xffffffffn);
  return out;
}
