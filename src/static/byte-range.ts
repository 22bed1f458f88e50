// The Range header of a static file request (`honour-range`, reference §2.7), read as uWSGI 2.0.21
// reads it (recorded in test/fixtures/static/recorded/range.json): one range only (of `0-1,3-4`
// the first is served), and a byte range that is malformed or starts past the end is answered
// 416 with `Content-Range: bytes */SIZE`. Two deliberate differences (README "Static files"): a
// suffix longer than the file (`-100` of 13 bytes) is the whole file as RFC 9110 says (2.0.21
// fails the write), and a unit other than `bytes` is ignored (2.0.21 answers 416). Sans-I/O.

/** What to send: the whole file, bytes `start..end` (inclusive), or 416. */
export type RangeAnswer =
  | { readonly kind: 'whole' }
  | { readonly kind: 'partial'; readonly start: number; readonly end: number }
  | { readonly kind: 'unsatisfiable' };

const WHOLE: RangeAnswer = { kind: 'whole' };
const UNSATISFIABLE: RangeAnswer = { kind: 'unsatisfiable' };
const DIGITS = /^\d+$/;

/**
 * The answer to `header` for a file of `size` bytes.
 * @example byteRange('bytes=0-4', 13) // { kind: 'partial', start: 0, end: 4 }
 */
export function byteRange(header: string | undefined, size: number): RangeAnswer {
  if (header === undefined) return WHOLE;
  const eq = header.indexOf('=');
  if (eq < 0) return UNSATISFIABLE;
  if (header.slice(0, eq).trim().toLowerCase() !== 'bytes') return WHOLE;
  const spec = (header.slice(eq + 1).split(',')[0] ?? '').trim();
  const dash = spec.indexOf('-');
  if (dash < 0) return UNSATISFIABLE;
  const first = spec.slice(0, dash).trim();
  const last = spec.slice(dash + 1).trim();
  if (first === '') {
    // a suffix: the last N bytes
    if (!DIGITS.test(last)) return UNSATISFIABLE;
    const n = Number(last);
    if (n === 0 || size === 0) return UNSATISFIABLE;
    return { kind: 'partial', start: Math.max(0, size - n), end: size - 1 };
  }
  if (!DIGITS.test(first) || (last !== '' && !DIGITS.test(last))) return UNSATISFIABLE;
  const start = Number(first);
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (start >= size || start > end) return UNSATISFIABLE;
  return { kind: 'partial', start, end };
}
