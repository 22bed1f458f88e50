// The head of a backend's answer: a uwsgi backend answers with an HTTP status line and headers
// (uWSGI's workers, ours too), then the body until it closes the connection. A codec: it
// gathers bytes until the blank line and parses them; the router re-frames the body for its
// client (keep-alive needs a length or chunks; the backend's own framing ends with its socket).

export interface ResponseHead {
  readonly status: number;
  readonly reason: string;
  /** Flat name, value, name, value..., without the hop-by-hop headers. */
  readonly headers: string[];
  /** The backend's Content-Length, when it sent one. */
  readonly contentLength: number | undefined;
  /** The backend chunked its body itself. */
  readonly chunked: boolean;
  /** The bytes after the head: the start of the body. */
  readonly rest: Buffer;
}

export type HeadResult =
  | { readonly kind: 'more' }
  | { readonly kind: 'bad'; readonly why: string }
  | ({ readonly kind: 'head' } & ResponseHead);

/** Hop-by-hop headers (RFC 9110 §7.6.1): the router frames its own connection. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'proxy-connection',
  'te',
  'trailer',
  'upgrade',
]);

const STATUS_LINE = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/;

export class ResponseHeadParser {
  private parts: Buffer[] = [];
  private size = 0;

  constructor(private readonly limit: number) {}

  push(chunk: Buffer): HeadResult {
    this.parts.push(chunk);
    this.size += chunk.length;
    const data = this.parts.length === 1 ? chunk : Buffer.concat(this.parts);
    this.parts = [data];
    const end = data.indexOf('\r\n\r\n', Math.max(0, this.size - chunk.length - 3), 'latin1');
    if (end < 0) {
      return this.size > this.limit
        ? { kind: 'bad', why: `response head over ${this.limit} bytes` }
        : { kind: 'more' };
    }
    return parseHead(data.toString('latin1', 0, end), data.subarray(end + 4));
  }
}

/**
 * An HTTP head (uwsgi backends), or a CGI one (the workers over FastCGI: `Status: 200 OK` as a
 * header, 200 without it).
 */
export function parseHead(text: string, rest: Buffer): HeadResult {
  const lines = text.split('\r\n');
  const first = lines[0] ?? '';
  const m = STATUS_LINE.exec(first);
  if (!m && (first.startsWith('HTTP/') || !first.includes(':'))) {
    return { kind: 'bad', why: `no HTTP status line from the backend: "${first.slice(0, 60)}"` };
  }
  let status = m ? Number(m[1]) : 200;
  let reason = m ? (m[2] ?? '') : 'OK';
  const headers: string[] = [];
  let contentLength: number | undefined;
  let chunked = false;
  for (let i = m ? 1 : 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const colon = line.indexOf(':');
    if (colon <= 0) return { kind: 'bad', why: `bad header line from the backend: "${line.slice(0, 60)}"` };
    const name = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    const lower = name.toLowerCase();
    if (!m && lower === 'status') {
      const sm = /^(\d{3})(?: (.*))?$/.exec(value);
      if (!sm) return { kind: 'bad', why: `bad Status header from the backend: "${value.slice(0, 60)}"` };
      status = Number(sm[1]);
      reason = sm[2] ?? '';
      continue;
    }
    if (lower === 'transfer-encoding') chunked = value.toLowerCase().includes('chunked');
    if (HOP_BY_HOP.has(lower)) continue;
    if (lower === 'content-length') {
      if (!/^\d+$/.test(value))
        return { kind: 'bad', why: `bad Content-Length from the backend: "${value}"` };
      contentLength = Number(value);
    }
    headers.push(name, value);
  }
  return { kind: 'head', status, reason, headers, contentLength, chunked, rest };
}
