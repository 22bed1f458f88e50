// Python for the WSGI tests: Debian's /usr/bin/python3 first on PATH (the first python3 here may
// be a separate build without Debian's flask/django), and a small HTTP client that sends bodies.
import { execFileSync } from 'node:child_process';
import http from 'node:http';

/** PATH with /usr/bin first, for the server's env. */
export const PYTHON_PATH = `/usr/bin:${process.env['PATH'] ?? '/bin'}`;

/**
 * Whether Debian's `module` imports under /usr/bin/python3; without it the test skips, unless
 * UWSGI_TS_REQUIRE_PYTHON_PKGS is set (CI installs them: then the test fails instead).
 */
export function pythonHas(module: string): boolean {
  try {
    execFileSync('/usr/bin/python3', ['-c', `import ${module}`], { stdio: 'ignore' });
    return true;
  } catch {
    if (process.env['UWSGI_TS_REQUIRE_PYTHON_PKGS']) {
      throw new Error(`python3 module ${module} is required (UWSGI_TS_REQUIRE_PYTHON_PKGS is set)`);
    }
    return false;
  }
}

export interface BodyReply {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
}

/** One request with an optional body (chunked when `chunked`, else with content-length). */
export function send(
  port: number,
  method: string,
  path: string,
  body?: Buffer,
  options: { chunked?: boolean; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<BodyReply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...options.headers };
    if (body && !options.chunked) headers['content-length'] = String(body.length);
    if (body && options.chunked) headers['transfer-encoding'] = 'chunked';
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        headers,
        agent: false,
        signal: AbortSignal.timeout(options.timeoutMs ?? 20_000),
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (d: Buffer) => parts.push(d));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (body && options.chunked) {
      // several chunks, as a streaming client sends them
      for (let p = 0; p < body.length; p += 256 * 1024) req.write(body.subarray(p, p + 256 * 1024));
      req.end();
    } else req.end(body);
  });
}
