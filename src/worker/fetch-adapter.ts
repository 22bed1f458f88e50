// Runs a fetch-style app (`(request, env) => Response`) on a Node request: builds the Request
// (body streamed, never buffered), awaits the Response and writes it. A body that arrives in one
// piece is written with its Content-Length; a streamed one goes out chunked.

import { Readable } from 'node:stream';
import type { FetchHandler } from './app-loader.js';
import type { UwsgiRequest, UwsgiResponse } from './request.js';

function toRequest(req: UwsgiRequest, scheme: string): Request {
  const headers = new Headers();
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) headers.append(raw[i] ?? '', raw[i + 1] ?? '');
  const host = req.headers.host ?? req.envContext?.serverName ?? 'localhost';
  const url = `${scheme}://${host}${req.url ?? '/'}`;
  const method = req.method ?? 'GET';
  if (method === 'GET' || method === 'HEAD') return new Request(url, { method, headers });
  return new Request(url, {
    method,
    headers,
    body: Readable.toWeb(req) as ReadableStream<Uint8Array>,
    duplex: 'half',
  } as RequestInit);
}

export async function serveFetch(
  handler: FetchHandler,
  req: UwsgiRequest,
  res: UwsgiResponse,
): Promise<void> {
  const scheme = req.envContext?.https ? 'https' : 'http';
  const response = await handler(toRequest(req, scheme), req.env);
  if (!(response instanceof Response)) throw new TypeError('the fetch handler did not return a Response');
  res.statusCode = response.status;
  if (response.statusText) res.statusMessage = response.statusText;
  for (const [name, value] of response.headers) {
    if (name === 'set-cookie') continue;
    res.setHeader(name, value);
  }
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) res.setHeader('set-cookie', cookies);
  const body = response.body;
  if (body === null || req.method === 'HEAD') {
    if (body) await body.cancel();
    res.end();
    return;
  }
  const reader = body.getReader();
  const first = await reader.read();
  if (first.done) {
    res.end();
    return;
  }
  const second = await reader.read();
  if (second.done) {
    // the whole body in one piece: send it with its length, no chunked encoding
    if (!res.hasHeader('content-length')) res.setHeader('content-length', first.value.byteLength);
    res.end(first.value);
    return;
  }
  res.write(first.value);
  res.write(second.value);
  for (;;) {
    const next = await reader.read();
    if (next.done) break;
    if (!res.write(next.value)) await new Promise<void>((resolve) => res.once('drain', resolve));
    if (res.destroyed) {
      await reader.cancel();
      return;
    }
  }
  res.end();
}
