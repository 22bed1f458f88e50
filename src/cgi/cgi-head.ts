// The header block a CGI script writes before its body (RFC 3875 §6.3): `Name: value` lines
// ended by LF or CRLF, then an empty line. `Status: NNN reason` sets the status; `Location:`
// without Status is a 302 (uWSGI 2.0.21 answers a local `Location: /path` with the same 302 and
// does not re-run the request: observed, recorded in test/fixtures/cgi-uwsgi-2.0.21.json); with
// neither the status is 200. Every other header is passed as written, in order. A codec: bytes
// in, a head out, no sockets.

export interface CgiHead {
  readonly status: number;
  /** The reason phrase the script gave with Status, else undefined (Node's default for the code). */
  readonly reason: string | undefined;
  /** In order, names as written (Status removed). */
  readonly headers: ReadonlyArray<readonly [string, string]>;
}

export type CgiHeadResult =
  | { readonly state: 'more' }
  | { readonly state: 'done'; readonly head: CgiHead; readonly rest: Buffer }
  | { readonly state: 'error'; readonly why: string };

const MORE = { state: 'more' } as const;
const STATUS = /^(\d{3})(?:\s+(.*))?$/;

export class CgiHeadParser {
  private buffered: Buffer = Buffer.alloc(0);
  /** Where the next unparsed line starts in `buffered`. */
  private offset = 0;
  private status: number | undefined;
  private reason: string | undefined;
  private location = false;
  private readonly headers: Array<readonly [string, string]> = [];

  constructor(private readonly limit: number) {}

  push(chunk: Buffer): CgiHeadResult {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const buf = this.buffered;
    for (;;) {
      const nl = buf.indexOf(10, this.offset);
      if (nl < 0) {
        if (buf.length > this.limit)
          return { state: 'error', why: `no end of headers in ${this.limit} bytes` };
        return MORE;
      }
      const end = nl > this.offset && buf[nl - 1] === 13 ? nl - 1 : nl;
      const line = buf.toString('latin1', this.offset, end);
      this.offset = nl + 1;
      if (line === '') return { state: 'done', head: this.head(), rest: buf.subarray(this.offset) };
      const bad = this.line(line);
      if (bad !== undefined) return { state: 'error', why: bad };
    }
  }

  private line(line: string): string | undefined {
    const colon = line.indexOf(':');
    if (colon <= 0) return `not a header line: ${JSON.stringify(line.slice(0, 80))}`;
    const name = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (name.toLowerCase() === 'status') {
      const m = STATUS.exec(value);
      if (!m) return `bad Status: ${JSON.stringify(value.slice(0, 80))}`;
      this.status = Number(m[1]);
      this.reason = m[2] || undefined;
      return undefined;
    }
    if (name.toLowerCase() === 'location') this.location = true;
    this.headers.push([name, value]);
    return undefined;
  }

  private head(): CgiHead {
    return {
      status: this.status ?? (this.location ? 302 : 200),
      reason: this.reason,
      headers: this.headers,
    };
  }
}
