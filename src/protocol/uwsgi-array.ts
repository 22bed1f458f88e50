// Sans-I/O codec for the "uwsgi array" (reference §1.3): u16 LE length-prefixed items with no keys,
// the body of RPC requests (name, then arguments) and of cache SET packets. Decoding follows what
// uWSGI 2.0.21 was observed to do, including its quirks (empty items vanish, items past 255 too).

/** uWSGI parses at most 255 items (its counter is a u8): the rest of the payload is ignored. */
export const UWSGI_ARRAY_MAX_ITEMS = 255;

/**
 * Why a payload is not an array, named after uWSGI's two log lines (observed on 2.0.21):
 * `'request'`: a length prefix that is cut short or leaves nothing after it
 * (`invalid uwsgi array. skip this request.`); `'var'`: an item longer than what is left
 * (`invalid uwsgi array. skip this var.`).
 */
export type UwsgiArrayError = 'request' | 'var';

export type UwsgiArrayResult =
  | { readonly ok: true; readonly items: Buffer[] }
  | { readonly ok: false; readonly error: UwsgiArrayError };

/** uWSGI's log line for a decoding error. */
export function uwsgiArrayErrorLine(error: UwsgiArrayError): string {
  return `invalid uwsgi array. skip this ${error}.`;
}

/**
 * Decodes an array. Items are views into `payload` (no copy). Zero-length items are skipped, as
 * uWSGI skips them, so `['a', '', 'b']` arrives as `['a', 'b']`.
 *
 * @example
 * decodeUwsgiArray(Buffer.from('050068656c6c6f0100' + '61', 'hex')); // { ok: true, items: [<hello>, <a>] }
 */
export function decodeUwsgiArray(payload: Buffer, maxItems = UWSGI_ARRAY_MAX_ITEMS): UwsgiArrayResult {
  const items: Buffer[] = [];
  const end = payload.length;
  let p = 0;
  while (p < end && items.length < maxItems) {
    // uWSGI 2.0.21 (observed): a length prefix must be followed by at least one byte, so an empty
    // item as the very last one is an error, while an empty item in the middle is skipped.
    if (p + 2 >= end) return { ok: false, error: 'request' };
    const len = payload[p]! | (payload[p + 1]! << 8);
    p += 2;
    if (p + len > end) return { ok: false, error: 'var' };
    if (len > 0) items.push(payload.subarray(p, p + len));
    p += len;
  }
  return { ok: true, items };
}

/** Encoded size of `items` (2 bytes of length each). */
export function uwsgiArraySize(items: readonly Uint8Array[]): number {
  let size = 0;
  for (const item of items) size += 2 + item.length;
  return size;
}

/**
 * Encodes an array; throws RangeError for an item longer than 65535 bytes. Empty items are
 * encoded (uWSGI's clients send them too); the receiving side drops them.
 *
 * @example
 * encodeUwsgiArray([Buffer.from('hello'), Buffer.from('a')]); // <05 00 'hello' 01 00 'a'>
 */
export function encodeUwsgiArray(items: readonly Uint8Array[]): Buffer {
  const out = Buffer.allocUnsafe(uwsgiArraySize(items));
  let p = 0;
  for (const item of items) {
    if (item.length > 0xffff) throw new RangeError(`uwsgi array item of ${item.length} bytes exceeds 65535`);
    p = out.writeUInt16LE(item.length, p);
    out.set(item, p);
    p += item.length;
  }
  return out;
}
