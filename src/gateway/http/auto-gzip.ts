// `http-auto-gzip` (reference §2.11; uWSGI's help: "automatically gzip content if uWSGI-Encoding
// header is set to gzip, but content size (Content-Length/Transfer-Encoding) and Content-Encoding
// are not specified"). Recorded from uWSGI 2.0.21's router (test/fixtures/gateway/
// http-auto-gzip-uwsgi-2.0.21.json): only for a client whose Accept-Encoding names gzip, never
// for an answer with a Content-Length; the uWSGI-Encoding header itself is passed on. A decision
// on two heads: no socket here.

import type { ResponseHead } from './response-head.js';

function has(headers: readonly string[], name: string): string | undefined {
  for (let i = 0; i + 1 < headers.length; i += 2)
    if ((headers[i] as string).toLowerCase() === name) return headers[i + 1] as string;
  return undefined;
}

/** Does the client take gzip (`Accept-Encoding: gzip` or `*`, not with q=0)? */
export function acceptsGzip(acceptEncoding: string | undefined): boolean {
  if (!acceptEncoding) return false;
  for (const part of acceptEncoding.toLowerCase().split(',')) {
    const [coding = '', ...params] = part.trim().split(';');
    if (coding.trim() !== 'gzip' && coding.trim() !== '*' && coding.trim() !== 'x-gzip') continue;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  }
  return false;
}

/**
 * Is this answer gzipped by the router? uWSGI-Encoding: gzip from the app, no length and no
 * chunking of its own (the router frames it), no Content-Encoding (uWSGI 2.0.21 adds a second
 * one there; its help says it should not: we follow the help), a status with a body.
 */
export function shouldGzip(head: ResponseHead, acceptEncoding: string | undefined): boolean {
  if (head.status < 200 || head.status === 204 || head.status === 304) return false;
  if (has(head.headers, 'uwsgi-encoding')?.toLowerCase() !== 'gzip') return false;
  if (head.contentLength !== undefined || head.chunked) return false;
  if (has(head.headers, 'content-encoding') !== undefined) return false;
  return acceptsGzip(acceptEncoding);
}
