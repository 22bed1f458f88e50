// A reusable byte buffer the request log writes its lines into, as uWSGI's C does: building the
// default line as a string made ~50 small strings per request (a template literal is a chain of
// concatenations) and cost a worker 8-13 µs per request under load, several times what the same
// code costs in a loop (measured with bench/ops-overhead.mjs and CPU time per request): the garbage
// and the memory it touches evict what Node's HTTP code needs next. Bytes in one buffer, written
// once per event-loop turn, make no garbage.

export class LineBuffer {
  private buf: Buffer;
  private at = 0;

  constructor(size = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(size);
  }

  /** Bytes written so far. */
  get length(): number {
    return this.at;
  }

  /** Room for `n` more bytes (the buffer doubles when a line does not fit). */
  ensure(n: number): void {
    if (this.at + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (this.at + n > size) size *= 2;
    const bigger = Buffer.allocUnsafe(size);
    this.buf.copy(bigger, 0, 0, this.at);
    this.buf = bigger;
  }

  /** A string; ASCII byte by byte (the usual case, no call into the runtime), else UTF-8. */
  text(s: string): void {
    const n = s.length;
    this.ensure(n * 3);
    const buf = this.buf;
    let at = this.at;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) {
        this.at = at;
        this.at += buf.write(s.slice(i), at, 'utf8');
        return;
      }
      buf[at++] = c;
    }
    this.at = at;
  }

  /** Bytes prepared once (the constant parts of a line). */
  bytes(b: Uint8Array): void {
    const n = b.length;
    this.ensure(n);
    const buf = this.buf;
    let at = this.at;
    for (let i = 0; i < n; i++) buf[at++] = b[i] as number;
    this.at = at;
  }

  /** An integer in decimal, as String(n) prints it. */
  int(n: number): void {
    if (!Number.isSafeInteger(n)) {
      this.text(String(n));
      return;
    }
    this.ensure(21);
    const buf = this.buf;
    if (n < 0) {
      buf[this.at++] = 0x2d;
      n = -n;
    }
    let digits = 1;
    for (let x = n; x >= 10; x = Math.floor(x / 10)) digits++;
    let at = this.at + digits;
    this.at = at;
    do {
      buf[--at] = 0x30 + (n % 10);
      n = Math.floor(n / 10);
    } while (n > 0);
  }

  /** The bytes written so far (a view: valid until the next write), then empties the buffer. */
  take(): Buffer {
    const out = this.buf.subarray(0, this.at);
    this.at = 0;
    return out;
  }
}

/** A constant part of a line, encoded once. */
export const ascii = (s: string): Uint8Array => Buffer.from(s, 'latin1');
