// One HTTP request from a test, as a client would send it: a fresh connection (no agent), a
// bounded wait, the status and the whole body as text.
import http from 'node:http';

export interface Reply {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/** GET `path` on 127.0.0.1:`port` (or a unix socket path); rejects after `timeoutMs`. */
export function httpGet(
  target: number | { readonly socketPath: string },
  path: string,
  timeoutMs = 10_000,
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const where =
      typeof target === 'number' ? { host: '127.0.0.1', port: target } : { socketPath: target.socketPath };
    http
      .get({ ...where, path, agent: false, signal: AbortSignal.timeout(timeoutMs) }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          body += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

/**
 * GETs `path` every 100 ms until its body passes `want` (what a signal handler or a mule does
 * after the request that caused it); the body, or a failure naming `what` and the last answer.
 */
export async function untilBody(
  port: number,
  path: string,
  want: (body: string) => boolean,
  what: string,
  timeoutMs = 10_000,
): Promise<string> {
  const end = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < end) {
    last = (await httpGet(port, path)).body;
    if (want(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what}: ${path} still answers ${JSON.stringify(last)}`);
}
