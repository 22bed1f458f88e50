// uWSGI's chunked input API (chunked_read/chunked_read_nb, seed manual "The Chunked input API") on
// a JS request: the body as it arrives, one piece per call, an empty Buffer at its end. Node's
// HTTP parser has already taken the chunked framing off (and the HTTP router sends the body on
// as it gathered it), so a piece is what arrived since the last call, at most chunked-input-limit
// bytes: never an error for a large chunk, unlike uWSGI's fixed buffer. Works on any body
// (chunked or with a length) and on every socket kind.

import type { IncomingMessage } from 'node:http';
import { UwsgiError } from '../errors.js';

const EMPTY = Buffer.alloc(0);

/** Bytes already read from the body, at most `limit`; null when none is there yet. */
function readSome(req: IncomingMessage, limit: number): Buffer | null {
  const chunk = req.read() as Buffer | string | null;
  if (chunk === null) return null;
  const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk;
  if (bytes.length <= limit) return bytes;
  // the rest stays first in line for the next call
  req.unshift(bytes.subarray(limit));
  return bytes.subarray(0, limit);
}

function ended(req: IncomingMessage): boolean {
  return req.readableEnded || (req.complete && req.readableLength === 0);
}

/** chunked_read_nb(): what is there, an empty Buffer at the end, undefined when nothing is yet. */
export function chunkedReadNb(req: IncomingMessage, limit: number): Buffer | undefined {
  failIfBroken(req);
  const bytes = readSome(req, limit);
  if (bytes !== null) return bytes;
  return ended(req) ? EMPTY : undefined;
}

/** chunked_read(timeout): the next bytes, waiting up to `timeoutMs` (0: no limit). */
export function chunkedRead(req: IncomingMessage, limit: number, timeoutMs: number): Promise<Buffer> {
  try {
    const now = chunkedReadNb(req, limit);
    if (now !== undefined) return Promise.resolve(now);
  } catch (err) {
    return Promise.reject(err);
  }
  return new Promise((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const done = () => {
      clearTimeout(timer);
      req.off('readable', onReadable);
      req.off('end', onReadable);
      req.off('error', onError);
      req.off('close', onReadable);
    };
    const onReadable = () => {
      let next: Buffer | undefined;
      try {
        next = chunkedReadNb(req, limit);
      } catch (err) {
        done();
        reject(err);
        return;
      }
      if (next === undefined) return;
      done();
      resolve(next);
    };
    const onError = (err: Error) => {
      done();
      reject(new UwsgiError('ERR_CHUNKED_INPUT', `chunkedRead(): the body failed: ${err.message}`));
    };
    req.on('readable', onReadable);
    req.on('end', onReadable);
    req.on('close', onReadable);
    req.on('error', onError);
    if (timeoutMs > 0) {
      timer = setTimeout(() => {
        done();
        reject(
          new UwsgiError(
            'ERR_CHUNKED_INPUT',
            `chunkedRead(): no body bytes within ${timeoutMs / 1000} s (chunked-input-timeout)`,
          ),
        );
      }, timeoutMs);
    }
  });
}

/** A body cut short (the client went away) is an error, as in uWSGI, not an end. */
function failIfBroken(req: IncomingMessage): void {
  if (req.destroyed && !req.complete) {
    throw new UwsgiError(
      'ERR_CHUNKED_INPUT',
      'chunkedRead(): the client went away before the end of the body',
    );
  }
}
