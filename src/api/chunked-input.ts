// uWSGI's chunked input API for JS apps (seed manual "The Chunked input API": chunked_read and
// chunked_read_nb): the request body as it arrives, piece by piece. The worker side is
// src/worker/chunked-input.ts.

import { UwsgiError } from '../errors.js';
import { callRuntime } from './runtime.js';

/**
 * uWSGI's `chunked_read([timeout])`: the next bytes of the body of `request` (the Node `req`/`res`
 * or the fetch `Request` the app was given), an empty Buffer at its end. Waits `timeout` seconds
 * at most (default chunked-input-timeout, else socket-timeout; 0 = no limit), then rejects with
 * ERR_CHUNKED_INPUT, as it does when the client goes away before the end. A piece is at most
 * chunked-input-limit bytes.
 *
 * @example
 * ```ts
 * import { chunkedRead } from 'uwsgi-ts';
 * export default async function store(req, res) {
 *   const out = createWriteStream('/tmp/upload');
 *   for (let piece = await chunkedRead(req); piece.length > 0; piece = await chunkedRead(req)) out.write(piece);
 *   out.end(() => res.end('stored\n'));
 * }
 * ```
 */
export function chunkedRead(request: unknown, timeout?: number): Promise<Buffer> {
  if (timeout !== undefined && (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout < 0)) {
    throw new UwsgiError(
      'ERR_API_BAD_ARGUMENT',
      `chunkedRead(): timeout must be a number of seconds >= 0, got ${String(timeout)}`,
    );
  }
  return callRuntime('chunkedRead', request, timeout);
}

/**
 * uWSGI's `chunked_read_nb()`: body bytes already received, an empty Buffer at the end of the
 * body, undefined when nothing has arrived yet (uWSGI: None).
 */
export function chunkedReadNb(request: unknown): Buffer | undefined {
  return callRuntime('chunkedReadNb', request);
}
