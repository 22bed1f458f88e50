// Runs a real nginx in front of a server under test (uwsgi_pass, fastcgi_pass, scgi_pass), as a
// uWSGI shop deploys it. Everything nginx writes lives in a fresh temp dir that close() removes.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** How nginx talks to the backend: the directive prefix (`uwsgi_pass`, `uwsgi_param`...). */
export type NginxPass = 'uwsgi' | 'fastcgi' | 'scgi' | 'proxy';

export interface NginxLocation {
  /** The location match, as written after `location` (`/`, `/api/`, `= /x`). */
  readonly path: string;
  readonly pass: NginxPass;
  /** `127.0.0.1:PORT` or `unix:/path/to.sock` (for proxy: a full `http://...` URL). */
  readonly upstream: string;
  /** More directives for this location, each without the trailing `;` (`uwsgi_buffering off`). */
  readonly directives?: readonly string[];
}

export interface NginxOptions {
  readonly locations: readonly NginxLocation[];
  /** Directives added to the `http {}` block, each without the trailing `;`. */
  readonly httpDirectives?: readonly string[];
  /** Give up starting nginx after this long (default 10 s). */
  readonly timeoutMs?: number;
}

export interface RunningNginx {
  readonly port: number;
  /** `http://127.0.0.1:PORT` + path. */
  url(path: string): string;
  /** The config nginx runs with (for failure messages). */
  readonly config: string;
  /** What nginx wrote to stderr (its error log) so far. */
  log(): string;
  /** Stops nginx (SIGTERM, then SIGKILL after 3 s) and removes its temp dir. */
  close(): Promise<void>;
}

const BINARIES = [
  '/usr/sbin/nginx',
  '/usr/local/sbin/nginx',
  '/usr/bin/nginx',
  '/usr/local/nginx/sbin/nginx',
];
const PARAM_DIRS = ['/etc/nginx', '/usr/local/etc/nginx', '/usr/local/nginx/conf'];
const PARAMS_FILE: Readonly<Record<NginxPass, string | undefined>> = {
  uwsgi: 'uwsgi_params',
  fastcgi: 'fastcgi_params',
  scgi: 'scgi_params',
  proxy: undefined,
};
const READY_PATH = '/__uwsgi_ts_nginx_ready__';
const BIND_ATTEMPTS = 5;

/** The nginx binary (`$NGINX` or a usual path) and the directory of its `*_params` files, or undefined. */
export function findNginx(): { binary: string; paramsDir: string } | undefined {
  const wanted = process.env['NGINX'];
  const binary = (wanted ? [wanted] : BINARIES).find((b) => existsSync(b));
  const paramsDir = PARAM_DIRS.find((d) => existsSync(join(d, 'uwsgi_params')));
  return binary && paramsDir ? { binary, paramsDir } : undefined;
}

/**
 * Starts nginx on a free loopback port with the given locations.
 * Resolves undefined when nginx is not installed (throws instead if UWSGI_TS_REQUIRE_NGINX is set).
 *
 * @example
 * const nginx = await startNginx({ locations: [{ path: '/', pass: 'uwsgi', upstream: `127.0.0.1:${port}` }] });
 * if (!nginx) return t.skip('nginx not installed');
 * t.after(() => nginx.close());
 */
export async function startNginx(options: NginxOptions): Promise<RunningNginx | undefined> {
  const found = findNginx();
  if (!found) {
    if (process.env['UWSGI_TS_REQUIRE_NGINX']) {
      throw new Error('nginx is required (UWSGI_TS_REQUIRE_NGINX is set) but was not found');
    }
    return undefined;
  }
  const dir = mkdtempSync(join(tmpdir(), 'uwsgi-ts-nginx-'));
  try {
    // nginx cannot listen on port 0: take a free port from the kernel and retry if someone else
    // grabs it before nginx binds it.
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const config = renderConfig(dir, port, found.paramsDir, options);
      writeFileSync(join(dir, 'nginx.conf'), config);
      const started = await launch(found.binary, dir, port, config, options.timeoutMs ?? 10_000);
      if (started !== 'address in use') return started;
      if (attempt === BIND_ATTEMPTS) throw new Error(`nginx could not bind a free port in ${attempt} tries`);
    }
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

function renderConfig(dir: string, port: number, paramsDir: string, options: NginxOptions): string {
  const locations = options.locations.map((loc) => {
    const params = PARAMS_FILE[loc.pass];
    const lines = [
      `${loc.pass}_pass ${loc.upstream}`,
      ...(params ? [`include ${join(paramsDir, params)}`] : []),
      ...(loc.directives ?? []),
    ];
    return `    location ${loc.path} {\n${lines.map((l) => `      ${l};\n`).join('')}    }\n`;
  });
  const temp = (name: string) => join(dir, name);
  return `# written by test/helpers/nginx.ts
daemon off;
master_process off;
worker_processes 1;
pid ${temp('nginx.pid')};
error_log stderr warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${temp('client_body')};
  proxy_temp_path ${temp('proxy')};
  fastcgi_temp_path ${temp('fastcgi')};
  uwsgi_temp_path ${temp('uwsgi')};
  scgi_temp_path ${temp('scgi')};
  # 100 headers, a 3 KB cookie and a 10 MB body must pass nginx itself.
  client_max_body_size 20m;
  client_header_buffer_size 16k;
  large_client_header_buffers 8 16k;
  uwsgi_buffer_size 16k;
  uwsgi_buffers 8 16k;
  fastcgi_buffer_size 16k;
  fastcgi_buffers 8 16k;
  scgi_buffer_size 16k;
  scgi_buffers 8 16k;
  proxy_buffer_size 16k;
  proxy_buffers 8 16k;
${(options.httpDirectives ?? []).map((d) => `  ${d};\n`).join('')}  server {
    listen 127.0.0.1:${port};
    server_name localhost;
    location = ${READY_PATH} { return 200 "${dir}"; }
${locations.join('')}  }
}
`;
}

async function launch(
  binary: string,
  dir: string,
  port: number,
  config: string,
  timeoutMs: number,
): Promise<RunningNginx | 'address in use'> {
  // -e: errors met before the config's error_log is read go to stderr too (nginx >= 1.19.5).
  const proc = spawn(binary, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', 'stderr'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  proc.stdout?.on('data', (d: Buffer) => {
    text += d.toString('utf8');
  });
  proc.stderr?.on('data', (d: Buffer) => {
    text += d.toString('utf8');
  });
  const exited = once(proc, 'exit');
  const close = async () => {
    await stop(proc, exited);
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null || proc.signalCode !== null) {
      if (/Address already in use/.test(text)) return 'address in use';
      throw new Error(`nginx exited while starting:\n${text}\n--- config ---\n${config}`);
    }
    // The ready page answers the temp dir's name, so a stranger on the port is not mistaken for it.
    if ((await probe(port)) === dir) {
      return { port, config, url: (path) => `http://127.0.0.1:${port}${path}`, log: () => text, close };
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  await stop(proc, exited);
  throw new Error(`nginx did not answer within ${timeoutMs} ms:\n${text}`);
}

async function stop(proc: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  proc.kill('SIGTERM');
  const kill = setTimeout(() => proc.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(kill);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** The body of nginx's ready page, or undefined if nothing (or something else) answers. */
function probe(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: READY_PATH, agent: false, timeout: 1000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        body += d;
      });
      res.on('end', () => resolve(res.statusCode === 200 ? body : undefined));
      res.on('error', () => resolve(undefined));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end();
  });
}
